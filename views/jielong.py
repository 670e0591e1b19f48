"""What a 接龙 says: its post (kept current), its buttons, the summary when it ends, a press's
toast, and the list as a CSV. Pure functions, called in the group's language."""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Jielong
from services.csvcells import SafeWriter
from services.jielong import ListRow, Press, Pressed
from views.keyboards import Button
from views.numbers import number, yuan

SHOWN = 50  # lines of the list on the post; the rest are counted (a message holds 4096)


class JielongButton(Button, prefix="jl"):
    """A 接龙 post's buttons: +1 of a choice (its index; -1 when the list has none), −1, or
    take all back (delta 0)."""

    id: int
    delta: int
    choice: int = -1


def jielong_keyboard(jielong: Jielong) -> InlineKeyboardMarkup | None:
    """+1 per option (or one +1), then −1 and cancel, while the list is open."""
    if jielong.status != "open":
        return None

    def button(text: str, delta: int, choice: int = -1) -> InlineKeyboardButton:
        data = JielongButton(id=jielong.id, delta=delta, choice=choice).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    if jielong.choices:
        adds = [button(f"+1 {c}", 1, n) for n, c in enumerate(jielong.choices)]
    else:
        adds = [button("接龙 +1 / Join +1", 1)]
    rows = [adds[at : at + 4] for at in range(0, len(adds), 4)]
    rows.append([button("−1", -1), button("取消 / Cancel", 0)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def jielong_post(jielong: Jielong, rows: Sequence[ListRow], timezone: str) -> str:
    lines = [_("📝 <b>接龙 #{id}</b>: {title}").format(id=jielong.id, title=escape(jielong.title))]
    terms = []
    if jielong.price_fen:
        terms.append(_("{price} each").format(price=yuan(jielong.price_fen)))
    if jielong.limit is not None:
        terms.append(_("limit {count}").format(count=number(jielong.limit)))
    if jielong.ends_at is not None and jielong.status == "open":
        ends = jielong.ends_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
        terms.append(_("ends {ends}").format(ends=ends))
    if terms:
        lines.append(" · ".join(terms))
    for place, row in enumerate(rows[:SHOWN], start=1):
        lines.append(_line(place, row))
    if len(rows) > SHOWN:
        more = len(rows) - SHOWN
        lines.append(
            ngettext("… and {count} more line", "… and {count} more lines", more).format(
                count=number(more)
            )
        )
    lines.append(_total(jielong))
    if jielong.status != "open":
        lines.append(_("Closed."))
    elif not rows:
        lines.append(_("Press +1 to put your name down."))
    return "\n".join(lines)


def jielong_summary(jielong: Jielong, people: int) -> str:
    """The reply to the post when the list ends."""
    text = ngettext(
        "📝 接龙 #{id} closed: {people} member, {total}.",
        "📝 接龙 #{id} closed: {people} members, {total}.",
        people,
    ).format(id=jielong.id, people=number(people), total=_quantity(jielong.taken))
    if jielong.price_fen:
        text += " " + _("Total {amount}.").format(amount=yuan(jielong.price_fen * jielong.taken))
    return (
        text + "\n" + _("Admins: /jielong csv {id} sends the list privately.").format(id=jielong.id)
    )


def press_toast(press: Press) -> str:
    if press.outcome is Pressed.FULL:
        return _("Sorry, this 接龙 is full.")
    if press.outcome is Pressed.CLOSED:
        return _("This 接龙 has ended.")
    if press.outcome is Pressed.UNKNOWN:
        return _("This button no longer works.")
    if not press.mine:
        return _("You're not on this list.")
    mine = ", ".join(
        f"{option} ×{count}" if option else f"×{count}" for option, count in press.mine.items()
    )
    return _("You're down for {list}.").format(list=mine)


def list_csv(jielong: Jielong, rows: Sequence[ListRow]) -> bytes:
    """The list for fulfilment, Excel-safe, with a BOM so Excel reads Chinese names."""
    table = io.StringIO()
    writer = SafeWriter(table)
    writer.writerow(["user_id", "name", "username", "option", "quantity", "amount", "updated_utc"])
    for row in rows:
        amount = _plain(jielong.price_fen * row.quantity) if jielong.price_fen else ""
        writer.writerow(
            [
                row.user_id, row.name, row.username or "", row.option, row.quantity, amount,
                row.updated_at.isoformat(" ", "seconds"),
            ]
        )  # fmt: skip
    writer.writerow(["", "", "", "total", jielong.taken, _amount(jielong), ""])
    return ("\ufeff" + table.getvalue()).encode()


def csv_caption(jielong: Jielong, people: int) -> str:
    return ngettext(
        "接龙 #{id} {title}: {people} member, {total}.",
        "接龙 #{id} {title}: {people} members, {total}.",
        people,
    ).format(
        id=jielong.id, title=escape(jielong.title), people=number(people),
        total=_quantity(jielong.taken),
    )  # fmt: skip


def _amount(jielong: Jielong) -> str:
    return _plain(jielong.price_fen * jielong.taken) if jielong.price_fen else ""


def _plain(fen: int) -> str:
    """19900 -> "199.00": a number a spreadsheet sums."""
    return f"{fen // 100}.{fen % 100:02d}"


def _line(place: int, row: ListRow) -> str:
    what = f" {escape(row.option)}" if row.option else ""
    return f"{place}. {escape(row.name)}{what} ×{row.quantity}"


def _quantity(count: int) -> str:
    return ngettext("{count} piece", "{count} pieces", count).format(count=number(count))


def _total(jielong: Jielong) -> str:
    total = _("Total: {total}").format(total=_quantity(jielong.taken))
    if jielong.price_fen:
        total += f" · {yuan(jielong.price_fen * jielong.taken)}"
    return total


def jielong_problem(field: str) -> str:
    """Why the command was refused, by the field its parser named."""
    reasons = {
        "title": _("Give the title first, at most 200 characters."),
        "ends": _("The end must be 10 s to 90 days from now: 30m, 2h, 7d or 2026-12-01 20:00."),
        "limit": _("limit= takes a whole number from 1 to 100,000."),
        "price": _("price= takes an amount in yuan, such as 29.9."),
        "options": _("options= takes 2 to 8 choices such as S|M|L, each at most 12 characters."),
    }
    return reasons.get(field, reasons["title"])
