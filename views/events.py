"""What the events feature says: the card and its buttons, the answers to a press, the private
notices (offer, reminders, changes), the door's answers and the figures. Pure functions of
data, in the language they are called in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Event
from services.draw_entries import Joined, JoinOutcome
from services.event_door import CheckIn, Door, EventStats, Ticket
from services.event_draws import Opened
from services.event_specs import EventInputError
from services.events import Counts, Outcome, SignUp
from services.tiers import Tier
from views.keyboards import Button
from views.numbers import number, yuan
from views.wording import sentences

GUEST_BUTTONS = 5


class EventButton(Button, prefix="event"):
    """The card's 报名 / Sign up (`in`, `in<N>` with N guests) and 取消 / Cancel (`out`), and the
    private offer's Confirm (`ok`)."""

    action: str
    id: int


def when(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def tier_name(ladder: Sequence[Tier], key: str | None, language: str) -> str:
    found = next((tier for tier in ladder if tier.key == key), None)
    return found.label(language) if found is not None else str(key)


def card_text(
    event: Event, counts: Counts, timezone: str, ladder: Sequence[Tier], language: str
) -> str:
    """The event's card in the group."""
    icon = "📺" if event.online else "📍"
    lines = [
        _("🎫 <b>Event #{id}</b>: {title}").format(id=event.id, title=escape(event.title)),
        _("🕒 {start} – {end} ({timezone})").format(
            start=when(event.starts_at, timezone),
            end=when(event.ends_at, timezone)[-5:],
            timezone=timezone,
        ),
    ]
    if event.online or event.place:
        lines.append(f"{icon} " + (_("Online") if event.online else escape(event.place or "")))
    if event.capacity is not None:
        left = max(0, event.capacity - counts.confirmed - counts.offered)
        seats = ngettext(
            "{left} of {capacity} seat left", "{left} of {capacity} seats left", event.capacity
        ).format(left=number(left), capacity=number(event.capacity))
        if counts.waiting:
            seats = sentences(
                seats, ngettext("{count} waiting.", "{count} waiting.", counts.waiting).format(
                    count=number(counts.waiting))
            )  # fmt: skip
        lines.append(f"💺 {seats}")
    if event.cost:
        lines.append(
            ngettext("💰 {cost} point a seat", "💰 {cost} points a seat", event.cost).format(
                cost=number(event.cost)
            )
        )
    if event.guests:
        lines.append(_("👥 Up to {count} guests each").format(count=event.guests))
    if event.min_tier:
        lines.append(_("🏅 For {tier} and above").format(
            tier=tier_name(ladder, event.min_tier, language)))  # fmt: skip
    if event.priority_tier and event.priority_until:
        lines.append(_("⭐ {tier} and above first, until {until}").format(
            tier=tier_name(ladder, event.priority_tier, language),
            until=when(event.priority_until, timezone)))  # fmt: skip
    if event.status == "cancelled":
        lines.append(_("❌ Cancelled"))
    elif event.closed_at is not None:
        lines.append(_("🏁 Ended"))
    return "\n".join(lines)


def card_keyboard(event: Event) -> InlineKeyboardMarkup:
    sign_up = InlineKeyboardButton(
        text="报名 / Sign up", callback_data=EventButton(action="in", id=event.id).pack()
    )
    cancel = InlineKeyboardButton(
        text="取消 / Cancel", callback_data=EventButton(action="out", id=event.id).pack()
    )
    rows = [[sign_up, cancel]]
    if event.guests:  # 报名 +N: the member and N guests (at most GUEST_BUTTONS offered)
        rows.append([
            InlineKeyboardButton(
                text=f"+{count}", callback_data=EventButton(action=f"in{count}", id=event.id).pack()
            )
            for count in range(1, min(event.guests, GUEST_BUTTONS) + 1)
        ])  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=rows)


def guests_of(action: str) -> int | None:
    """The guests a sign-up press brings (`in`: none, `in2`: two); None if not a sign-up."""
    if action == "in":
        return 0
    rest = action.removeprefix("in")
    return int(rest) if rest != action and rest.isdigit() and len(rest) <= 2 else None


def offer_keyboard(event_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("✅ Confirm my seat"), callback_data=EventButton(action="ok", id=event_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def signed_up_text(signed: SignUp, timezone: str) -> str:
    """The answer to a press of 报名 / Sign up (or of Confirm)."""
    event, seat = signed.event, signed.seat
    if signed.outcome == Outcome.UNKNOWN or event is None:
        return _("This event doesn't exist.")
    if signed.outcome == Outcome.CLOSED:
        return _("Sign-up for this event is closed.")
    if signed.outcome == Outcome.TIER:
        return _("Sorry, this event is for higher tiers.")
    if signed.outcome == Outcome.PRIORITY:
        until = when(event.priority_until, timezone) if event.priority_until else ""
        return _("Higher tiers sign up first: it opens to everyone at {until}.").format(until=until)
    if signed.outcome == Outcome.NO_SHOWS:
        until = when(event.priority_until, timezone) if event.priority_until else ""
        return ngettext(
            "After {count} no-show in a row you sign up with everyone, at {until}.",
            "After {count} no-shows in a row you sign up with everyone, at {until}.",
            signed.place,
        ).format(count=signed.place, until=until)
    if signed.outcome == Outcome.COST:
        cost = event.cost * (seat.seats if seat else 1)
        return ngettext(
            "A seat costs {cost} point; you have {balance}.",
            "A seat costs {cost} points; you have {balance}.",
            cost,
        ).format(cost=number(cost), balance=number(signed.balance))
    if signed.outcome == Outcome.NO_OFFER:
        return _("There is no seat waiting for you to confirm.")
    if signed.outcome == Outcome.WAITING or (
        signed.outcome == Outcome.ALREADY and seat is not None and seat.status == "waiting"
    ):
        return _("⏳ The seats are taken: you are #{place} on the waiting list. I'll tell you "
                 "privately if a seat frees up.").format(place=signed.place)  # fmt: skip
    if signed.outcome == Outcome.ALREADY and seat is not None and seat.status == "offered":
        return _("A seat is waiting for you: confirm it in our private chat.")
    text = _("✅ You're signed up for event #{id}!").format(id=event.id)
    if signed.outcome == Outcome.ALREADY:
        text = _("You're already signed up for event #{id}.").format(id=event.id)
    elif event.cost and seat is not None and seat.paid:
        text = sentences(
            text,
            ngettext("-{cost} point, balance {balance}.", "-{cost} points, balance {balance}.",
                     seat.paid).format(cost=number(seat.paid), balance=number(signed.balance)),
        )  # fmt: skip
    if not event.online:
        text = sentences(text, _("Your ticket: /tickets in our private chat."))
    return text


def cancelled_text(cancelled: bool, refunded: int, started: bool = False) -> str:
    if started:
        return _("The event has started: a seat can no longer be cancelled.")
    if not cancelled:
        return _("You have no seat to cancel here.")
    if refunded:
        return ngettext(
            "Cancelled; {points} point refunded.", "Cancelled; {points} points refunded.", refunded
        ).format(points=number(refunded))
    return _("Cancelled.")


def offer_text(event: Event, until: datetime, timezone: str) -> str:
    return _(
        "🎫 A seat freed up for <b>{title}</b> ({start}). It is yours if you confirm by {until}."
    ).format(
        title=escape(event.title), start=when(event.starts_at, timezone),
        until=when(until, timezone),
    )  # fmt: skip


def reminder_text(event: Event, hour: bool, timezone: str, code: str | None) -> str:
    text = (
        _("⏰ <b>{title}</b> starts within the hour, at {start}.")
        if hour
        else _("⏰ Coming up: <b>{title}</b> at {start}.")
    ).format(title=escape(event.title), start=when(event.starts_at, timezone))
    where = _("Online") if event.online else escape(event.place or "")
    if where:
        text = sentences(text, _("Where: {place}.").format(place=where))
    if code is not None:
        text = sentences(text, _("Your ticket code: <code>{code}</code>.").format(code=code))
    return text


def change_text(event: Event, cancelled: bool, refunded: int, timezone: str) -> str:
    if cancelled:
        text = _("❌ <b>{title}</b> is cancelled.").format(title=escape(event.title))
        if refunded:
            text = sentences(
                text,
                ngettext("{points} point refunded.", "{points} points refunded.", refunded).format(
                    points=number(refunded)
                ),
            )
        return text
    place = _("Online") if event.online else escape(event.place or "")
    return _("📢 <b>{title}</b> changed: now {start}, {place}.").format(
        title=escape(event.title), start=when(event.starts_at, timezone), place=place
    )


def thanks_text(event: Event, came: int, thread: bool) -> str:
    text = ngettext(
        "🙏 Thank you for coming to <b>{title}</b>: {count} fan came.",
        "🙏 Thank you for coming to <b>{title}</b>: {count} fans came.",
        came,
    ).format(title=escape(event.title), count=number(came))
    if event.online:
        text = _("🙏 Thank you for watching <b>{title}</b>!").format(title=escape(event.title))
    if thread:
        text = sentences(text, _("Share your photos in the thread!"))
    return text


def check_in_text(done: CheckIn, timezone: str) -> str:
    event = done.event
    if done.outcome == Door.WRONG or event is None:
        return _("❌ No ticket has that code.")
    title = escape(event.title)
    if done.outcome == Door.OTHER_EVENT:
        return _("❌ That ticket is for another event: #{id} {title}.").format(
            id=event.id, title=title
        )
    if done.outcome == Door.USED and done.seat is not None and done.seat.checked_in_at:
        return _("❌ That ticket was already used at {at}.").format(
            at=when(done.seat.checked_in_at, timezone)
        )
    if done.outcome == Door.CLOSED:
        return _("❌ Event #{id} is closed: no check-in.").format(id=event.id)
    if done.outcome == Door.NOT_CONFIRMED:
        return _("❌ That ticket holds no seat (cancelled or waiting).")
    seats = done.seat.seats if done.seat else 1
    text = _("✅ Checked in for #{id} {title}.").format(id=event.id, title=title)
    if seats > 1:
        text = sentences(text, _("Seats: {count}.").format(count=seats))
    return text


def tickets_text(tickets: Sequence[Ticket], timezones: dict[int, str]) -> str:
    if not tickets:
        return _("You have no tickets for upcoming events.")
    lines = [_("🎫 Your tickets (show the code, or the QR code in the Mini App, at the door):")]
    for ticket in tickets:
        zone = timezones.get(ticket.event.chat_id, "UTC")
        lines.append(
            f"#{ticket.event.id} {escape(ticket.event.title)} · "
            f"{when(ticket.event.starts_at, zone)} · <code>{ticket.seat.code}</code>"
        )
    return "\n".join(lines)


def events_list_text(events: Sequence[Event], timezone: str) -> str:
    if not events:
        return _("No upcoming events.")
    lines = [_("🎫 Upcoming events:")]
    lines += [f"#{e.id} {escape(e.title)} · {when(e.starts_at, timezone)}" for e in events]
    return "\n".join(lines)


def stats_text(stats: EventStats, ladder: Sequence[Tier], language: str) -> str:
    event = stats.event
    rate = f"{stats.checked_in * 100 // stats.confirmed}%" if stats.confirmed else "–"
    lines = [
        _("📊 <b>Event #{id}</b>: {title}").format(id=event.id, title=escape(event.title)),
        _("Signed up: {signed} ({seats} seats) · waiting: {waiting} · cancelled: {cancelled}")
        .format(signed=number(stats.confirmed), seats=number(stats.seats),
                waiting=number(stats.waiting), cancelled=number(stats.cancelled)),
        _("Checked in: {came} · no-shows: {missed} · attendance: {rate}").format(
            came=number(stats.checked_in), missed=number(stats.no_shows), rate=rate),
    ]  # fmt: skip
    for key, (signed, came) in sorted(stats.by_tier.items(), key=lambda item: str(item[0])):
        name = tier_name(ladder, key, language) if key else _("no tier")
        lines.append(f"· {escape(name)}: {came}/{signed} ({came * 100 // max(signed, 1)}%)")
    lines.append(
        ngettext(
            "Orders by attendees in the 30 days after: {count} ({amount})",
            "Orders by attendees in the 30 days after: {count} ({amount})",
            stats.orders,
        ).format(count=number(stats.orders), amount=yuan(stats.order_fen))
    )
    return "\n".join(lines)


def event_problem_text(error: EventInputError) -> str:
    reasons = {
        "title": _("The title comes first, then the start."),
        "start": _("The start is YYYY-MM-DD HH:MM in the group's time, or 3d / 5h from now."),
        "ends": _("ends= is a time after the start (a date and time, or 2h after it)."),
        "capacity": _("capacity= is a number of seats, 1 or more."),
        "cost": _("cost= is a number of points."),
        "guests": _("guests= is 0 to 10."),
        "min_tier": _("min_tier= names one of this group's tiers."),
        "priority": _("priority= is a tier and a window before the start, such as Gold:24h."),
        "place": _("place= is at most 200 characters."),
        "keyword": _("keyword= is at most 64 characters."),
        "draw": _("draw= is the prize of an online session's draw, with place=online keyword=…"),
    }
    return reasons.get(str(error), _("That option is given twice."))


def unknown_event_text(event_id: int) -> str:
    return _("There is no event #{id} in this group.").format(id=event_id)


def event_cancelled_text(event_id: int, told: int) -> str:
    return ngettext(
        "❌ Event #{id} cancelled; {count} member told, costs refunded.",
        "❌ Event #{id} cancelled; {count} members told, costs refunded.",
        told,
    ).format(id=event_id, count=number(told))


def event_moved_text(event_id: int, told: int) -> str:
    return ngettext(
        "✅ Event #{id} changed; {count} member told.",
        "✅ Event #{id} changed; {count} members told.",
        told,
    ).format(id=event_id, count=number(told))


def not_staff_text() -> str:
    return _("Only the group's admins and staff check tickets in.")


def check_in_privately_text() -> str:
    return _("Check tickets in privately: send me /checkin_event <code> in our chat.")


def draw_opened_text(outcome: Opened, event_id: int, draw_id: int | None) -> str:
    """The answer to `/event draw <id> <prize> <keyword> [winners=N]`."""
    if outcome == Opened.OPENED:
        return _(
            "🎁 Draw #{draw} is open for event #{id}: those signed up send the keyword in the "
            "group during the session."
        ).format(draw=draw_id, id=event_id)
    if outcome == Opened.NOT_ONLINE:
        return _("A keyword draw is for online sessions (place=online).")
    if outcome == Opened.TWICE:
        return _("Event #{id} already has a draw.").format(id=event_id)
    return _("Event #{id} is over or cancelled.").format(id=event_id)


def keyword_entry_text(joined: Joined, event_id: int) -> str:
    """The sender's answer to an online session's keyword."""
    draw_id = joined.draw.id if joined.draw is not None else 0
    if joined.outcome == JoinOutcome.JOINED:
        return _("✅ You're in draw #{id}! Good luck.").format(id=draw_id)
    if joined.outcome == JoinOutcome.ALREADY:
        return _("You've already joined this draw.")
    if joined.outcome == JoinOutcome.EVENT:
        return _("Only members signed up for event #{id} enter its draw.").format(id=event_id)
    if joined.outcome == JoinOutcome.SILENCED:
        return _("You are restricted here: you can't enter draws meanwhile.")
    if joined.outcome == JoinOutcome.ENDED:
        return _("This draw has ended.")
    return _("Sorry, this draw is not open to you.")
