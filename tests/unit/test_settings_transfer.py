"""A group's settings exported as a file and imported into a new group: the same profile; a
file with a part the bot cannot apply changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chats import ChatService
from services.clock import Clock
from services.referral_rules import set_referral_reward
from services.settings_transfer import SettingsFileError, SettingsTransfer
from services.tiers import TierService
from services.welcome import set_rules
from tests.unit.conftest import GROUP

NEW = -100_2


async def set_up(session_pool: async_sessionmaker[AsyncSession]) -> bytes:
    async with session_pool() as session, session.begin():
        chats = ChatService(session, Clock(), "UTC")
        await chats.ensure(NEW, "supergroup", "New fans")
        await chats.set_timezone(GROUP, "Europe/London")
        await chats.set_language(GROUP, "zh")
        await set_rules(session, GROUP, "Be kind 友善")
        await set_referral_reward(session, GROUP, 35)
        await TierService(session).set(GROUP, "Platinum", 5_000, "Lounge")
        await chats.note_missing_rights(GROUP, ["can_pin_messages"])  # the group's own
    async with session_pool() as session:
        return await SettingsTransfer(session).export(GROUP, GROUP)


async def test_settings_exported_and_imported_into_a_new_group_give_the_same_profile(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    data = await set_up(session_pool)
    document = json.loads(data)
    assert "missing_rights" not in document["settings"]
    async with session_pool() as session, session.begin():
        applied = await SettingsTransfer(session).apply(NEW, NEW, data)
    assert applied.tiers == 6  # the five default steps and Platinum
    async with session_pool() as session:
        chats = ChatService(session, Clock(), "UTC")
        old, new = await chats.profile(GROUP), await chats.profile(NEW)
        assert old is not None
        assert new is not None
        assert (new.timezone, new.language) == ("Europe/London", "zh")
        assert (new.welcome, new.referral_rules) == (old.welcome, old.referral_rules)
        assert new.welcome.rules == "Be kind 友善"
        assert await TierService(session).ladder(NEW) == await TierService(session).ladder(GROUP)


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({"settings": {"nonsense": {}}}, ("nonsense",)),
        ({"settings": {"referral": {"reward": "lots"}}}, ("referral",)),
        ({"settings": {"referral": {"reward": 20_000}}}, ("referral",)),  # past its limit
        ({"settings": {"checkin": {"base": -5}}}, ("checkin",)),
        ({"timezone": "Mars/Olympus"}, ("timezone",)),
        ({"tiers": [{"key": "a", "threshold": 1}, {"key": "b", "threshold": 1}]}, ("tiers",)),
    ],
)
async def test_a_part_that_cannot_be_applied_is_refused_by_name_and_nothing_changes(
    session_pool: async_sessionmaker[AsyncSession],
    chat: int,
    change: dict[str, object],
    refused: tuple[str, ...],
) -> None:
    data = await set_up(session_pool)
    broken = json.dumps({**json.loads(data), **change}).encode()
    async with session_pool() as session, session.begin():
        with pytest.raises(SettingsFileError) as error:
            await SettingsTransfer(session).apply(NEW, NEW, broken)
    assert error.value.refused == refused
    async with session_pool() as session:
        new = await ChatService(session, Clock(), "UTC").profile(NEW)
        assert new is not None
        assert new.welcome.rules is None


async def test_a_file_that_is_no_settings_export_is_refused(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    async with session_pool() as session:
        with pytest.raises(SettingsFileError) as error:
            await SettingsTransfer(session).apply(GROUP, GROUP, b"user_id,points\n1,2\n")
    assert error.value.reason == "not json"
