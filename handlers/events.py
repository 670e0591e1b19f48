"""Events (线下活动 · 同城 meetup · 直播): admins post an event's card (`/event new`), members
sign up and cancel by its buttons, a freed seat is confirmed privately; tickets privately
(`/tickets`), check-in by the door staff privately (`/checkin_event <code>`) or in the Mini
App; `/event stats|cancel|move`, `/export attendees <id>`, `/settings events …`."""

from __future__ import annotations

from functools import partial
from typing import cast

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.admins import AdminCache
from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.console_access import ConsoleAccess
from infrastructure.filters import IsAdmin, refuses_chatter
from infrastructure.i18n import reply_language
from infrastructure.middlewares.commands import ONCE, CommandMiddleware
from infrastructure.middlewares.press_order import PressOrder
from infrastructure.sender_only import answer_press, for_sender
from infrastructure.settings_sections import SettingsSection
from infrastructure.transactions import after_commit, commit_so_far
from models import Draw, Event
from services.chat_settings import BadSetting
from services.chats import ChatProfile, ChatService
from services.draw_entries import JoinRequest
from services.draws import JoinGroupCommit
from services.event_draws import MAX_KEYWORD, EventWords, Opened
from services.event_export import attendees_csv
from services.event_rules import EventRules, set_event_rule
from services.event_specs import EventInputError, moment, parse_event
from services.events import EventService
from services.factory import UpdateServices
from services.tiers import TierService
from views import events as view
from views.numbers import number
from views.settings import out_of_range

ADMIN_ACTIONS = ("new", "cancel", "move", "stats", "draw")
RULES = {"attend": "attend", "noshows": "noshows", "refund": "refund_hours",
         "confirm": "confirm_hours", "photos": "photos"}  # fmt: skip


def is_admin_action(message: Message) -> bool:
    words = (message.text or "").split()
    return len(words) > 1 and words[1].lower() in ADMIN_ACTIONS


async def event_command(
    message: Message,
    command: CommandObject,
    events: EventService,
    tiers: TierService,
    chat_profile: ChatProfile,
    i18n: I18n,
    session: AsyncSession,
    chat_cache: ChatCache,
) -> None:
    """/event new <title> <start> [options] · /event cancel|stats <id> ·
    /event move <id> [start=…] [place=…] · /event draw <id> <prize> <keyword> [winners=N]"""
    # A draw's keyword goes into the group's settings: its cached profile is read anew.
    after_commit(session, partial(chat_cache.forget, chat_profile.id))
    words = (command.args or "").split()
    action, rest = words[0].lower(), (command.args or "").strip()[len(words[0]) :].strip()
    if action == "new":
        await new_event(message, rest, events, tiers, chat_profile, i18n)
        return
    if len(words) < 2 or not words[1].isdigit():
        await message.reply(usage_reply("event"))
        return
    event = await events.event(int(words[1]), [chat_profile.id])
    if event is None:
        await message.reply(for_sender(view.unknown_event_text(int(words[1]))))
        return
    if action == "stats":
        stats = await events.door.stats(event)
        ladder = await tiers.ladder(chat_profile.program_id)
        await message.reply(view.stats_text(stats, ladder, i18n.current_locale))
    elif action == "draw":
        await open_draw(message, words[2:], events, event.id)
    elif action == "cancel":
        _cancelled, told = await events.cancel_event(event.id)
        await message.reply(view.event_cancelled_text(event.id, told))
    else:
        await move_event(message, words[2:], events, chat_profile, event.id)


async def open_draw(
    message: Message, words: list[str], events: EventService, event_id: int
) -> None:
    """/event draw <id> <prize> <keyword> [winners=N]: an online session's keyword draw."""
    options = dict(word.partition("=")[::2] for word in words if "=" in word)
    plain = [word for word in words if "=" not in word]
    winners = options.get("winners", "1")
    if len(plain) < 2 or set(options) - {"winners"} or not winners.isdigit():
        await message.reply(usage_reply("event"))
        return
    event = await events.locked(event_id)
    assert event is not None
    sender = message.from_user.id if message.from_user else 0
    opened, draw = await events.draws.open(
        event, " ".join(plain[:-1]), plain[-1], int(winners), sender
    )
    if opened == Opened.BAD:
        await message.reply(usage_reply("event"))
        return
    await message.reply(view.draw_opened_text(opened, event_id, draw.id if draw else None))


@refuses_chatter
async def is_event_word(message: Message, chat_profile: ChatProfile | None = None) -> bool:
    """One of the group's draw keywords (a set lookup in its cached profile)."""
    return (
        chat_profile is not None
        and message.text is not None
        and chat_profile.rules(EventWords).is_keyword(message.text)
    )


async def is_event_keyword(
    message: Message,
    chat_profile: ChatProfile | None = None,
    update_services: UpdateServices | None = None,
) -> bool | dict[str, object]:
    """A short plain text in a group during one of its online sessions with a draw: its
    keyword? (Cheap checks first; one indexed query for the group's running sessions.)"""
    text = message.text
    if (
        not text or len(text) > MAX_KEYWORD or text.startswith("/") or chat_profile is None
        or not chat_profile.is_group or message.from_user is None or message.sender_chat
        or update_services is None
    ):  # fmt: skip
        return False
    events = cast(EventService, update_services.get("events"))
    found = await events.draws.sent(chat_profile.id, text, events.clock.now())
    return False if found is None else {"keyword_draw": found}


async def keyword_entry(
    message: Message,
    keyword_draw: tuple[Event, Draw],
    joins: JoinGroupCommit,
    session: AsyncSession,
    chat_profile: ChatProfile,
) -> None:
    """The keyword sent during the session: an entry for those signed up, the reason for
    others (only the sender sees either)."""
    event, draw = keyword_draw
    assert message.from_user is not None
    await commit_so_far(session)  # the entry is written in a shared transaction
    request = JoinRequest(draw.id, chat_profile.id, message.from_user.id, keyword=True)
    joined = await joins.join(request)
    await message.reply(for_sender(view.keyword_entry_text(joined, event.id)))


async def event_usage(message: Message) -> None:
    await message.reply(usage_reply("event"))


async def new_event(
    message: Message,
    args: str,
    events: EventService,
    tiers: TierService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> None:
    ladder = await tiers.ladder(chat_profile.program_id)
    try:
        spec = parse_event(args, events.clock.now(), chat_profile.timezone, ladder)
    except EventInputError as bad:
        await message.reply(problem_reply(view.event_problem_text(bad), "event"))
        return
    sender = message.from_user.id if message.from_user and not message.sender_chat else None
    event = await events.create(chat_profile.id, chat_profile.program_id, spec, sender)
    counts = await events.counts(event.id)
    language = reply_language(chat_profile, None, i18n.default_locale)  # as its edits will be
    with i18n.use_locale(language):
        text = view.card_text(event, counts, chat_profile.timezone, ladder, language)
        keyboard = view.card_keyboard(event)
    sent = await message.reply(text, reply_markup=keyboard)
    await events.set_card(event.id, sent.message_id)


async def move_event(
    message: Message, words: list[str], events: EventService, profile: ChatProfile, event_id: int
) -> None:
    options = dict(word.partition("=")[::2] for word in words if "=" in word)
    start_text = options.get("start")
    if start_text and len(words) > 1 and ":" in words[-1] and "=" not in words[-1]:
        start_text = f"{start_text} {words[-1]}"
    starts_at = moment(start_text, events.clock.now(), profile.timezone) if start_text else None
    place = options.get("place")
    late = starts_at is not None and starts_at <= events.clock.now()
    if (start_text and starts_at is None) or (starts_at is None and place is None) or late:
        await message.reply(usage_reply("event"))
        return
    _moved, told = await events.move(event_id, starts_at, place)
    await message.reply(view.event_moved_text(event_id, told))


async def list_events(message: Message, events: EventService, chat_profile: ChatProfile) -> None:
    """/events: what is coming up in this group."""
    if not chat_profile.is_group:
        await message.reply(_("Use /events in a group."))
        return
    upcoming = await events.upcoming(chat_profile.id)
    await message.reply(for_sender(view.events_list_text(upcoming, chat_profile.timezone)))


async def press(
    query: CallbackQuery,
    callback_data: view.EventButton,
    events: EventService,
    chats: ChatService,
    session: AsyncSession,
    chat_profile: ChatProfile | None,
    bot: Bot,
    event_update: Update,
    press_order: PressOrder | None = None,
) -> None:
    """报名 / Sign up and 取消 / Cancel on the card; Confirm on a private offer. Seats go in
    press order: each press waits for the presses before it (`PressOrder`)."""
    user = query.from_user.id
    await commit_so_far(session)  # what the update wrote before: the seat is its own write
    if press_order is not None:
        await press_order.turn(event_update.update_id)
    if callback_data.action == "ok":
        signed = await events.confirm(callback_data.id, user)
        profile = await chats.profile(signed.event.chat_id) if signed.event else None
        await query.answer(view.signed_up_text(signed, profile.timezone if profile else "UTC"))
        return
    event = await events.event(callback_data.id)
    if chat_profile is None or event is None or event.chat_id != chat_profile.id:
        await query.answer(_("This event doesn't exist."))
        return
    if callback_data.action == "out":
        cancelled = await events.cancel(event.id, user)
        text = view.cancelled_text(cancelled.cancelled, cancelled.refunded, cancelled.started)
    else:
        guests = view.guests_of(callback_data.action) or 0
        signed = await events.sign_up(event.id, user, guests)
        text = view.signed_up_text(signed, chat_profile.timezone)
    await answer_press(query, bot, chat_profile, text)


async def tickets(message: Message, events: EventService, chats: ChatService) -> None:
    """/tickets privately: the member's ticket codes."""
    if message.chat.type != "private" or message.from_user is None:
        await message.reply(for_sender(_("Your tickets are private: send /tickets to me.")))
        return
    held = await events.door.tickets(message.from_user.id)
    zones = {}
    for ticket in held:
        profile = await chats.profile(ticket.event.chat_id)
        zones[ticket.event.chat_id] = profile.timezone if profile else "UTC"
    await message.reply(view.tickets_text(held, zones))


async def checkin_event(
    message: Message,
    command: CommandObject,
    events: EventService,
    chats: ChatService,
    session: AsyncSession,
    admin_cache: AdminCache,
    bot: Bot,
) -> None:
    """/checkin_event <code>, privately, by the event group's admins and the program's staff."""
    if message.chat.type != "private" or message.from_user is None:
        await message.reply(for_sender(view.check_in_privately_text()))
        return
    code = "".join((command.args or "").split())
    if not code:
        await message.reply(usage_reply("checkin_event"))
        return
    ticket = await events.door.ticket(code)
    profile = await chats.profile(ticket.event.chat_id) if ticket else None
    if ticket is not None:  # a group fanbot no longer knows has no staff to let in
        access = ConsoleAccess(admin_cache, bot, events.clock)
        staff = None
        if profile is not None:
            staff = await access.access(
                session, message.from_user.id, ticket.event.chat_id, ticket.event.program_id
            )
        if staff is None:
            await message.reply(view.not_staff_text())
            return
    rules = profile.rules(EventRules) if profile else EventRules()
    done = await events.door.check_in(code, message.from_user.id, rules.attend)
    await message.reply(view.check_in_text(done, profile.timezone if profile else "UTC"))


async def export_attendees(
    message: Message, command: CommandObject, events: EventService, chat_profile: ChatProfile
) -> None:
    """/export attendees <id>: everyone who signed up, as CSV."""
    words = (command.args or "").split()
    if len(words) != 2 or not words[1].isdigit():
        await message.reply(usage_reply("event"))
        return
    event = await events.event(int(words[1]), [chat_profile.id])
    if event is None:
        await message.reply(for_sender(view.unknown_event_text(int(words[1]))))
        return
    rows = await events.door.attendees(event.id)
    data = attendees_csv(rows, chat_profile.timezone)
    await message.reply_document(
        BufferedInputFile(data, f"event-{event.id}-attendees.csv"),
        caption=_("📄 Event #{id}: {count} signed up.").format(id=event.id, count=len(rows)),
    )


def is_attendees(message: Message) -> bool:
    words = (message.text or "").split()
    return len(words) > 1 and words[1].lower() == "attendees"


async def change_event_rules(message: Message, setting: list[str], session: AsyncSession) -> bool:
    """/settings events attend|noshows|refund|confirm <n>"""
    args = setting[1:]
    if len(args) != 2 or args[0].lower() not in RULES or not args[1].isdigit():
        await message.reply(usage_reply("settings", "events"))
        return False
    name = RULES[args[0].lower()]
    try:
        await set_event_rule(session, message.chat.id, name, int(args[1]))
    except BadSetting:
        await message.reply(out_of_range(args[0].lower(), EventRules.LIMITS[name]))
        return False
    await message.reply(_("✅ Events: {name} is now {value}.").format(
        name=args[0].lower(), value=number(int(args[1]))))  # fmt: skip
    return True


def event_settings(profile: ChatProfile) -> list[str]:
    rules = profile.rules(EventRules)
    return [
        _("Events: {attend} points for coming; {noshows} no-shows in a row lose priority; "
          "refund until {refund}h before; {confirm}h to confirm a freed seat").format(
            attend=number(rules.attend), noshows=rules.noshows, refund=rules.refund_hours,
            confirm=rules.confirm_hours)
    ]  # fmt: skip


SETTINGS_SECTION = SettingsSection(
    ("events",),
    change_event_rules,
    event_settings,
    usage=(__("/settings events attend|noshows|refund|confirm|photos <number>"),),
    title=__("Events"),
)

COMMANDS = (
    CommandSpec("events", __("Upcoming events"), usage="/events"),
    CommandSpec("tickets", __("Your event tickets (privately)"), usage="/tickets"),
    CommandSpec(
        "event",
        __("Post an event with sign-up; its figures, changes, cancel"),
        usage=__(
            "/event new <title> <start> [ends=…] [place=…|online] [capacity=N] [cost=N] "
            "[guests=N] [min_tier=…] [priority=Gold:24h] [keyword=… draw=<prize>] · "
            "/event draw <id> <prize> <keyword> [winners=N] · /event stats|cancel <id> · "
            "/event move <id> [start=…] [place=…] · "
            "/export attendees <id>"
        ),
        admin=True,
    ),
    CommandSpec(
        "checkin_event",
        __("Check an event ticket in (door staff, privately)"),
        usage=__("/checkin_event <code>"),
    ),
)


def create_router() -> Router:
    router = Router(name="events")
    router.message.register(event_command, Command("event"), is_admin_action, IsAdmin(),
                            flags=ONCE)  # fmt: skip
    router.message.register(event_usage, Command("event"), IsAdmin())
    router.message.register(export_attendees, Command("export"), is_attendees, IsAdmin())
    router.message.register(list_events, Command("events"))
    router.message.register(tickets, Command("tickets"))
    router.message.register(checkin_event, Command("checkin_event"), flags=ONCE)
    router.callback_query.register(press, view.EventButton.filter())
    return router


def create_keyword_router() -> Router:
    """An online session's draw keyword, sent as plain text in the group (outside `commands`)."""
    router = Router(name="event_keywords")
    router.message.middleware(CommandMiddleware())  # its own sender-only scope
    router.message.register(keyword_entry, is_event_word, is_event_keyword)
    return router
