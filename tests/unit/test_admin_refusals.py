"""Every admin command, sent by a member of a group, gets the one short refusal: none is
silent, none runs, whatever its arguments (table-driven from `bot/commands.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher

from bot.app import Resources, create_dispatcher
from handlers.menu import COMMANDS
from infrastructure.commands import spec_of
from infrastructure.config import load_settings
from models import create_engine, create_session_pool
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot

REFUSAL = "Sorry, only the group's admins can use this command."
ADMIN, MEMBER = 1, 2

# An admin form of each admin command: what a member may try. /console is left out: it answers
# anyone with a private link to the groups they administer (none, for a member).
ADMIN_FORMS = {
    "setwelcome": "/setwelcome Hi {name}",
    "post": "/post daily 09:00 hello",
    "posts": "/posts",
    "campaign": "/campaign new Sale 2026-12-01 2026-12-03 x2",
    "campaigns": "/campaigns",
    "setrules": "/setrules be kind",
    "draw": "/draw A mug winners=1",
    "event": "/event new Meetup 3d",
    "reward": "/reward add Mug price=100",
    "rewards": "/rewards",
    "orders": "/orders import",
    "import": "/import members",
    "order": "/order @bob 199.00",
    "push": "/push paying hello",
    "warn": "/warn @bob spam",
    "unwarn": "/unwarn @bob",
    "mute": "/mute @bob 10m",
    "unmute": "/unmute @bob",
    "ban": "/ban @bob",
    "unban": "/unban @bob",
    "kick": "/kick @bob",
    "modlog": "/modlog console",
    "staff": "/staff add @bob full",
    "filter": "/filter add spam",
    "filters": "/filters",
    "link": "/link",
    "unlink": "/unlink",
    "program": "/program join -100123",
    "vip": "/vip room gold",
    "raid": "/raid on",
    "invitelink": "/invitelink new 包裹卡",
    "distributor": "/distributor add @bob rate=8%",
    "payout": "/payout @bob 10 WX-1",
    "jielong": "/jielong T恤 options=S|M",
    "groupbuy": "/groupbuy 耳机 2:99,5:89 ends=2h",
    "captcha": "/captcha list",
    "stats": "/stats",
    "segments": "/segments",
    "segment": "/segment paying",
    "export": "/export members",
    "settings": "/settings points message 5",
    "coupon": "/coupon used FAN-123",
    "gifts": "/gifts",
    "gift": "/gift sent 1",
    "purge": "/purge",
    "del": "/del",
    "pin": "/pin loud",
    "unpin": "/unpin all",
    "lock": "/lock stickers",
    "unlock": "/unlock links",
    "locks": "/locks",
    "tag": "/tag @bob 高潜",
    "badge": "/badge give @bob vip",
    "untag": "/untag @bob all",
    "note": "/note @bob likes tea",
    "tags": "/tags",
    "forget": "/forget @bob",
}
# Member commands with admin forms: the admin form from a member is refused too.
MEMBER_COMMANDS_ADMIN_FORMS = [
    "/points @bob +50 thanks",
    "/tiers set Gold 500",
    "/tiers del Gold",
    "/faq add price | ¥99",
    "/faq del 1",
    "/topic new Show your desk",
    "/topic close",
    "/reward pause 1",
    "/quiz",
    "/quiz end",
    "/quiz import",
    "/guess 199 Tea set",
    "/guess end",
]


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[Dispatcher]:
    settings = load_settings(bot_token=TOKEN, database_url=database_url)
    engine = create_engine(database_url)
    services = Resources(settings, engine, create_session_pool(engine))
    yield create_dispatcher(services)
    await services.close()


def test_every_admin_command_has_a_form_here() -> None:
    admin = {spec.name for spec in COMMANDS if spec.admin} - {"console"}
    assert admin == set(ADMIN_FORMS)


@pytest.mark.parametrize("text", [*ADMIN_FORMS.values(), *MEMBER_COMMANDS_ADMIN_FORMS])
async def test_a_member_sending_an_admin_command_gets_the_refusal(
    app: Dispatcher, text: str
) -> None:
    bot, telegram = recording_bot()
    chat = group(-1009)
    telegram.admins[chat.id] = [ADMIN]
    await app.feed_update(bot, message_update(chat, person(MEMBER), text))
    assert telegram.sent_texts() == [REFUSAL], text


@pytest.mark.parametrize("name", ["coupon", "gift", "gifts"])
def test_the_shop_admin_commands_are_listed_for_help_and_usage(name: str) -> None:
    spec = spec_of(name)
    assert spec is not None
    assert spec.admin
