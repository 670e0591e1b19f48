"""A per-process cache of chat profiles and recent sightings, so the hot path rarely writes.

Several workers each keep their own: profiles expire after a short TTL, so a setting changed
through one worker reaches the others within `PROFILE_TTL` seconds. When a busy chat's profile
expires, one update reads it again while the others keep using the expiring one, instead of a
hundred concurrent updates each writing the chat row.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from services.chats import ChatProfile

PROFILE_TTL = 60.0
REFRESH_TIMEOUT = 10.0  # a refresh that has not come back by then (it failed) is tried again
SIGHTING_INTERVAL = 300.0  # write `last_seen_at` at most every 5 minutes per member
MAX_ENTRIES = 200_000


class ChatCache:
    def __init__(self) -> None:
        self._profiles: dict[int, tuple[float, ChatProfile]] = {}
        self._generations: dict[int, int] = {}  # bumped by forget()
        self._refreshing: dict[int, float] = {}  # chats whose expired profile is being read
        self._sightings: OrderedDict[tuple[int, int], float] = OrderedDict()

    def profile(self, chat_id: int) -> ChatProfile | None:
        """The cached profile, or None: then the caller reads it and calls `remember`."""
        cached = self._profiles.get(chat_id)
        if cached is None:
            return None
        now = time.monotonic()
        if now - cached[0] <= PROFILE_TTL:
            return cached[1]
        started = self._refreshing.get(chat_id)
        if started is not None and now - started < REFRESH_TIMEOUT:
            return cached[1]  # another update is reading it right now
        self._refreshing[chat_id] = now
        return None

    def generation(self, chat_id: int) -> int:
        return self._generations.get(chat_id, 0)

    def remember(self, profile: ChatProfile, generation: int) -> None:
        """Cache a profile read at `generation`, unless the chat changed since it was read."""
        if self.generation(profile.id) == generation:
            self._profiles[profile.id] = (time.monotonic(), profile)
            self._refreshing.pop(profile.id, None)

    def forget(self, chat_id: int) -> None:
        self._profiles.pop(chat_id, None)
        self._refreshing.pop(chat_id, None)
        self._generations[chat_id] = self.generation(chat_id) + 1

    def cached(self, chat_id: int) -> ChatProfile | None:
        """The cached profile while it is fresh, else None; unlike `profile`, never the start
        of a refresh (for a look that hands the update on when it finds nothing)."""
        cached = self._profiles.get(chat_id)
        if cached is None or time.monotonic() - cached[0] > PROFILE_TTL:
            return None
        return cached[1]

    def needs_sighting(self, chat_id: int, user_id: int) -> bool:
        written = self._sightings.get((chat_id, user_id))
        return written is None or time.monotonic() - written > SIGHTING_INTERVAL

    def sighted(self, chat_id: int, user_id: int) -> None:
        key = (chat_id, user_id)
        self._sightings[key] = time.monotonic()
        self._sightings.move_to_end(key)
        if len(self._sightings) > MAX_ENTRIES:
            self._sightings.popitem(last=False)
