"""The per-process chat cache: one reader refreshes an expired profile, the rest keep going."""

from __future__ import annotations

import pytest

from infrastructure.chat_cache import PROFILE_TTL, REFRESH_TIMEOUT, ChatCache
from services.chats import ChatProfile


class Ticking:
    """A stand-in for time.monotonic that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticking(monkeypatch) -> Ticking:
    clock = Ticking()
    monkeypatch.setattr("infrastructure.chat_cache.time.monotonic", clock)
    return clock


def profile(title: str = "Fans") -> ChatProfile:
    return ChatProfile(
        id=-1, type="supergroup", title=title, timezone="UTC", language=None, active=True
    )


def test_an_expired_profile_is_read_again_by_one_update_only(ticking) -> None:
    chat_cache = ChatCache()
    assert chat_cache.profile(-1) is None  # never seen: the update reads it
    chat_cache.remember(profile(), chat_cache.generation(-1))
    assert chat_cache.profile(-1) == profile()
    ticking.now += PROFILE_TTL + 1
    assert chat_cache.profile(-1) is None  # this update refreshes it...
    assert chat_cache.profile(-1) == profile()  # ...the others use the old one meanwhile
    chat_cache.remember(profile("New title"), chat_cache.generation(-1))
    assert chat_cache.profile(-1) == profile("New title")


def test_a_refresh_that_never_came_back_is_tried_again(ticking) -> None:
    chat_cache = ChatCache()
    chat_cache.remember(profile(), 0)
    ticking.now += PROFILE_TTL + 1
    assert chat_cache.profile(-1) is None  # its transaction rolls back: remember() never runs
    ticking.now += REFRESH_TIMEOUT + 1
    assert chat_cache.profile(-1) is None


def test_a_forgotten_chat_is_read_again_and_a_stale_read_is_not_kept(ticking) -> None:
    chat_cache = ChatCache()
    generation = chat_cache.generation(-1)
    chat_cache.remember(profile(), generation)
    chat_cache.forget(-1)  # a setting changed while an older read was in flight
    chat_cache.remember(profile("Old read"), generation)
    assert chat_cache.profile(-1) is None
