"""What `/staff` says, the private notice of console access given, and `/modlog console`."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import ModAction, StaffGrant


def role_label(role: str) -> str:
    return _("full") if role == "full" else _("read-only")


def staff_list_text(grants: Sequence[StaffGrant], names: dict[int, str]) -> str:
    if not grants:
        return _("No staff have console access beyond the group admins. Give it with "
                 "<code>/staff add @user [read|full]</code>.")  # fmt: skip
    head = ngettext(
        "🔑 <b>{count} person has console access</b> besides the admins, in every group of "
        "this program:",
        "🔑 <b>{count} people have console access</b> besides the admins, in every group of "
        "this program:",
        len(grants),
    ).format(count=len(grants))
    lines = [
        f"{escape(names.get(g.user_id, str(g.user_id)))} (<code>{g.user_id}</code>) · "
        f"{role_label(g.role)}"
        for g in grants
    ]
    return "\n".join([head, *lines])


def staff_granted_text(name: str, role: str, changed: bool, told: bool) -> str:
    text = (
        _("✅ {name}'s console access is now {role}.")
        if changed
        else _("✅ {name} now has {role} access to the console of every group of this program.")
    ).format(name=escape(name), role=role_label(role))
    if told:
        return text + " " + _("I told them privately.")
    return text + " " + _("They have not started me: tell them to send me /console privately.")


def staff_same_text(name: str, role: str) -> str:
    return _("{name} has {role} access already.").format(name=escape(name), role=role_label(role))


def staff_removed_text(name: str) -> str:
    return _("🚫 {name}'s console access is taken back.").format(name=escape(name))


def staff_not_found_text(name: str) -> str:
    return _("{name} had no console access.").format(name=escape(name))


def not_owner_text() -> str:
    return _("Only the program's owner can give console access (the admin who made the "
             "program, or the founding group's creator).")  # fmt: skip


def staff_notice_text(program: str, role: str) -> str:
    """Privately, to whom the access was given."""
    if role == "full":
        text = _("🔑 You now have full access to the web console of {program}: what its admins "
                 "can do there.")  # fmt: skip
    else:
        text = _("🔑 You may now read the web console of {program}: its pages and downloads, "
                 "without changing anything.")  # fmt: skip
    return text.format(program=escape(program)) + "\n" + _("Send /console for your link.")


def console_log_text(
    entries: Sequence[ModAction], names: dict[int, str], titles: dict[int, str], zone: ZoneInfo
) -> str:
    """`/modlog console`: the latest changes made through the web console."""
    if not entries:
        return _("No changes made through the console yet.")
    lines = [_("🖥 <b>Last changes made through the console</b>")]
    for entry in entries:
        when = entry.created_at.astimezone(zone).strftime("%m-%d %H:%M")
        who = escape(names.get(entry.actor_id or 0, str(entry.actor_id)))
        line = f"<code>{when}</code> {who} · <code>{escape(entry.rule or '')}</code>"
        if entry.chat_id in titles:
            line += f" · {escape(titles[entry.chat_id])}"
        if entry.reason:
            line += f" · {escape(entry.reason)}"
        lines.append(line)
    return "\n".join(lines)
