"""What the bot says about labels and notes (`/tag`, `/untag`, `/note`, `/tags`): to admins
only, the notes privately."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import MemberNote
from services.labels import MAX_LABEL, MAX_LABELS, MAX_NOTE, LabelError, Tagged
from views.numbers import number
from views.wording import listed


def shown(labels: list[str]) -> str:
    return listed([f"<code>{escape(label)}</code>" for label in labels])


def tagged_text(name: str, tagged: Tagged) -> str:
    lines = []
    if tagged.added:
        lines.append(
            _("🏷 {name}: labelled {labels}.").format(name=escape(name), labels=shown(tagged.added))
        )
    if tagged.already:
        lines.append(
            _("{name} had {labels} already.").format(
                name=escape(name), labels=shown(tagged.already)
            )
        )
    if tagged.over:
        lines.append(
            _("Not added, a member carries {limit} labels at most: {labels}.").format(
                limit=MAX_LABELS, labels=shown(tagged.over)
            )
        )
    return "\n".join(lines)


def untagged_text(name: str, removed: list[str]) -> str:
    if not removed:
        return _("{name} had none of those labels.").format(name=escape(name))
    return _("🏷 {name}: {labels} removed.").format(name=escape(name), labels=shown(removed))


def label_problem_text(error: LabelError) -> str:
    if error.reason == "long":
        return _("{word} is too long for a label: {limit} characters at most.").format(
            word=escape(error.word[:40]), limit=MAX_LABEL
        )
    return _("{word} can't be a label.").format(word=escape(error.word[:40]))


def no_labels_text() -> str:
    return _("Name the labels to give, after the member.")


def unknown_label_text(label: str) -> str:
    return _("No member carries the label {label}: /tags lists the labels.").format(
        label=f"<code>{escape(label)}</code>"
    )


def program_labels_text(counts: list[tuple[str, int]]) -> str:
    if not counts:
        return _("🏷 No labels yet. Give one with /tag @user &lt;label&gt;.")
    lines = [ngettext("🏷 {n} label:", "🏷 {n} labels:", len(counts)).format(n=number(len(counts)))]
    for label, count in counts:
        members = ngettext("{n} member", "{n} members", count).format(n=number(count))
        lines.append(f"<code>{escape(label)}</code> · {members}")
    return "\n".join(lines)


def member_labels_text(name: str, labels: list[str]) -> str:
    if not labels:
        return _("🏷 {name} has no labels.").format(name=escape(name))
    return _("🏷 {name}: {labels}.").format(name=escape(name), labels=shown(labels))


def notes_text(name: str, notes: list[MemberNote], total: int, timezone: str) -> str:
    """A member's newest notes, newest first (sent privately: notes are the admins')."""
    if not notes:
        return _("📝 No notes on {name}. Add one with /note.").format(name=escape(name))
    zone = ZoneInfo(timezone)
    head = ngettext(
        "📝 {n} note on {name}, newest first:",
        "📝 {n} notes on {name}, newest first:",
        total,
    ).format(n=number(total), name=escape(name))
    lines = [head]
    lines += [f"{_when(note.created_at, zone)} · {escape(note.text)}" for note in notes]
    if total > len(notes):
        lines.append(_("The console's member page has them all."))
    return "\n".join(lines)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def notes_sent_text(total: int) -> str:
    return ngettext(
        "📝 {n} note: sent to you in private.", "📝 {n} notes: sent to you in private.", total
    ).format(n=number(total))


def note_saved_text(name: str, private: bool) -> str:
    saved = _("📝 Note on {name} saved; only admins read notes.").format(name=escape(name))
    if private:
        return saved
    return saved + "\n" + needs_private_text()


def note_empty_text() -> str:
    return _("Write the note after the member.")


def note_too_long_text(length: int) -> str:
    return _("A note is {limit} characters at most; this one is {length}.").format(
        limit=number(MAX_NOTE), length=number(length)
    )


def needs_private_text() -> str:
    return _(
        "🔒 Notes are for admins only, so I show them only in a private chat. Open one with me "
        "(the button), press Start, then send the command here again."
    )


def note_left_in_group_text() -> str:
    return _(
        "⚠️ I couldn't delete your /note message (I need the right to delete messages): "
        "delete it yourself, the group can read it."
    )


def console_outcomes() -> dict[str, Callable[[int, int], str]]:
    """What a label or note change on the console's member page did (numbers only: the
    address carries it)."""
    return {
        "labelled": lambda _id, n: ngettext("{n} label added.", "{n} labels added.", n).format(
            n=number(n)
        ),
        "unlabelled": lambda _id, _n: _("Label removed."),
        "bad_label": lambda _id, _n: _("That can't be a label: {limit} characters at most.").format(
            limit=MAX_LABEL
        ),
        "full": lambda _id, _n: _("A member carries {limit} labels at most.").format(
            limit=MAX_LABELS
        ),
        "noted": lambda _id, _n: _("Note saved."),
        "bad_note": lambda _id, _n: _("A note is 1 to {limit} characters.").format(
            limit=number(MAX_NOTE)
        ),
    }
