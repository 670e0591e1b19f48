"""What the bot says about pushes: the count to confirm, the outcome, and each member's copy
(the admin's content, their link buttons, and 退订 / Unsubscribe)."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Push
from services.posts import utf16_length
from services.pushes import DAY_BUDGET, Audience, Reach
from services.stats import SEGMENT_NAMES, Segment
from services.tiers import Tier
from views.keyboards import Button
from views.numbers import number
from views.posts import PostMessage
from views.quests import badge_label
from views.wording import listed, writes_chinese

# The order /push lists them in: the buyers first, as an operator looks for them.
PUSHED_SEGMENTS = (Segment.PAYING, Segment.LAPSED, Segment.NEW, Segment.ACTIVE, Segment.SILENT,
                   Segment.CORE, Segment.KOL)  # fmt: skip


class PushButton(Button, prefix="push"):
    id: int
    action: str  # send, cancel


class Unsubscribe(Button, prefix="unsub"):
    chat: int


def reach_text(audience: str, reach: Reach) -> str:
    text = ngettext(
        "📣 Push to {audience}: {count} member will get it privately.",
        "📣 Push to {audience}: {count} members will get it privately.",
        reach.count,
    ).format(audience=escape(audience), count=number(reach.count))
    if reach.left_out:
        text += "\n" + ngettext(
            "{n} left out: unsubscribed, pushed to today, or never started the bot.",
            "{n} left out: unsubscribed, pushed to today, or never started the bot.",
            reach.left_out,
        ).format(n=number(reach.left_out))
    text += "\n" + _("Today's budget: {left} of {budget} left.").format(
        left=number(reach.left_today), budget=number(DAY_BUDGET)
    )
    return text


def confirm_keyboard(push_id: int, count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[
            InlineKeyboardButton(
                text=_("✅ Send to {count}").format(count=number(count)),
                callback_data=PushButton(id=push_id, action="send").pack(),
            ),
            InlineKeyboardButton(
                text=_("✖️ Cancel"), callback_data=PushButton(id=push_id, action="cancel").pack()
            ),
        ]]
    )  # fmt: skip


def segment_word(segment: Segment) -> str:
    """What an admin types for a segment in their language: 付费 or paying."""
    if writes_chinese():
        return next(word for word, named in SEGMENT_NAMES.items() if named is segment)
    return segment.value


def audience_name(audience: Audience, ladder: list[Tier], language: str) -> str:
    """A push's audience as the admin reads it: the segment's word, or "金牌 and above"."""
    if audience.kind == "segment":
        return segment_word(Segment(audience.key))
    if audience.kind == "label":
        return _("label {label}").format(label=audience.key)
    if audience.kind == "badge":
        return _("the badge {badge}").format(badge=badge_label(audience.key))
    tier = next((tier for tier in ladder if tier.key == audience.key), None)
    return _("{tier} and above").format(tier=tier.label(language) if tier else audience.key)


def unknown_audience_text(word: str, ladder: list[Tier], language: str) -> str:
    """`/push vip …`: why, then what there is to choose from."""
    segments = listed([f"<code>{segment_word(segment)}</code>" for segment in PUSHED_SEGMENTS])
    tiers = listed([f"<code>{escape(tier.label(language))}</code>" for tier in ladder])
    return "\n".join(
        [
            _("There is no segment or tier called {name}.").format(name=escape(word[:32])),
            _("Segments: {segments}. Or a tier (and those above): {tiers}.").format(
                segments=segments, tiers=tiers
            ),
            _("Or the members with a label: <code>tag:&lt;label&gt;</code> (/tags lists them)."),
        ]
    )


def nobody_text(audience: str, reach: Reach) -> str:
    if reach.left_out == 0:
        return _("{audience} is empty: nobody in this group is in it yet.").format(
            audience=escape(audience)
        )
    return _(
        "Nobody in {audience} can get a push now ({n} unsubscribed, pushed to today, or never "
        "started the bot)."
    ).format(audience=escape(audience), n=number(reach.left_out))


def sent_text(push: Push) -> str:
    return ngettext(
        "✅ Push #{id} is going out to {count} member.",
        "✅ Push #{id} is going out to {count} members.",
        push.recipients,
    ).format(id=push.id, count=number(push.recipients))


def budget_text(count: int, left: int) -> str:
    return _("That is {count} messages; only {left} are left in today's budget.").format(
        count=number(count), left=number(max(0, left))
    )


def push_message(push: Push, user_id: int, group: str) -> PostMessage:
    """A member's copy: the group it is from, the content as the admin wrote it (its
    formatting moved past that first line), and 退订 / Unsubscribe under it."""
    header = _("📣 From {group}:").format(group=group) + "\n"
    shift = utf16_length(header)
    rows = [[InlineKeyboardButton(text=t, url=u)] for t, u in push.buttons]
    rows.append([
        InlineKeyboardButton(
            text="退订 / Unsubscribe", callback_data=Unsubscribe(chat=push.chat_id).pack()
        )
    ])  # fmt: skip
    entities = [
        MessageEntity(**{**entity, "offset": entity["offset"] + shift}) for entity in push.entities
    ] or None
    return PostMessage(
        user_id, header + (push.text or ""), entities, InlineKeyboardMarkup(inline_keyboard=rows),
        push.photo_file_id, None,
    )  # fmt: skip


def unsubscribed_text(groups: int) -> str:
    if not groups:
        return _("You get no pushes already. /subscribe turns them back on.")
    return ngettext(
        "✅ Unsubscribed: no more pushes from {n} group. /subscribe turns them back on.",
        "✅ Unsubscribed: no more pushes from {n} groups. /subscribe turns them back on.",
        groups,
    ).format(n=groups)


def subscribed_text(groups: int) -> str:
    if not groups:
        return _("Pushes are on already.")
    return ngettext(
        "✅ Pushes are back on for {n} group.", "✅ Pushes are back on for {n} groups.", groups
    ).format(n=groups)
