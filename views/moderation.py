"""What the bot says when it keeps the group clean: notices, the verification challenge, the
moderation commands' answers, `/modlog`, and the moderation settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import MemberWarning, ModAction
from services.guards import Challenge, ModerationRules, WordFilter
from services.moderation import JoinRequestAnswer
from views.keyboards import Button
from views.numbers import number
from views.wording import duration, sentences


class VerifyButton(Button, prefix="verify"):
    """A newcomer's answer: the group, who is asked (nobody else may answer), and the choice
    ("ok" for the plain button)."""

    chat_id: int
    user_id: int
    answer: str


def mention(user_id: int, name: str) -> str:
    return f'<a href="tg://user?id={user_id}">{escape(name or str(user_id))}</a>'


def challenge_text(name: str, user_id: int, challenge: Challenge, seconds: int, group: str) -> str:
    who = mention(user_id, name)
    limit = duration(seconds)
    if challenge.question is None:
        return _("👋 {name}, welcome to {group}! Press the button within {limit} to show you're "
                 "human; until then you can't post.").format(name=who, group=escape(group),
                                                             limit=limit)  # fmt: skip
    return _("👋 {name}, welcome to {group}! To show you're human, answer within {limit}: "
             "<b>{question} = ?</b>").format(name=who, group=escape(group), limit=limit,
                                            question=challenge.question)  # fmt: skip


def challenge_keyboard(chat_id: int, user_id: int, challenge: Challenge) -> InlineKeyboardMarkup:
    if not challenge.choices:
        data = VerifyButton(chat_id=chat_id, user_id=user_id, answer="ok").pack()
        row = [InlineKeyboardButton(text=_("✅ I'm human"), callback_data=data)]
    else:
        row = [
            InlineKeyboardButton(
                text=choice,
                callback_data=VerifyButton(chat_id=chat_id, user_id=user_id, answer=choice).pack(),
            )
            for choice in challenge.choices
        ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def verified_toast() -> str:
    return _("✅ Thanks! You can post now.")


def request_approved_text(group: str) -> str:
    return _("✅ Thanks! Your request to join {group} is approved.").format(group=escape(group))


def request_unanswered_text(answer: JoinRequestAnswer, group: str, *, approving: bool) -> str:
    """The requester is told the truth when the bot could not approve (or decline) their
    request: short enough for a button's alert (200 characters)."""
    group = escape(group)
    if answer is JoinRequestAnswer.MEMBER:
        return _("✅ You're already in {group}.").format(group=group)
    if answer is JoinRequestAnswer.GONE:
        return _("An admin of {group} has already answered your request.").format(group=group)
    if not approving:
        return _("❌ That's not it. Your request to join {group} now waits for an admin.").format(
            group=group
        )
    if answer is JoinRequestAnswer.NO_RIGHT:
        return _(
            "✅ Right! But {group} can't let you in just now: I lack a right there. The admins "
            "have been told; your request waits for them."
        ).format(group=group)
    return _(
        "✅ Right! But I couldn't let you into {group} just now; your request waits for an admin."
    ).format(group=group)


def wrong_answer_toast() -> str:
    return _("❌ That's not it. You may ask to join again later.")


def not_yours_toast() -> str:
    return _("This question is for someone else.")


def expired_toast() -> str:
    return _("This question has expired.")


def flood_notice(user_id: int, name: str, seconds: int) -> str:
    return _("🔇 {name} is muted for {time}: too many messages at once.").format(
        name=mention(user_id, name), time=duration(seconds)
    )


def links_notice(user_id: int, name: str) -> str:
    return _(
        "🧹 {name}, new members can't post links, forwards from channels or other bots yet. "
        "Say hello first!"
    ).format(name=mention(user_id, name))


def filtered_notice(user_id: int, name: str, action: str) -> str:
    who = mention(user_id, name)
    if action == "warn":
        return _("🧹 {name}'s message was removed and they were warned.").format(name=who)
    if action == "mute":
        return _("🧹 {name}'s message was removed and they were muted.").format(name=who)
    if action == "ban":
        return _("🧹 {name}'s message was removed and they were banned.").format(name=who)
    return _("🧹 {name}'s message was removed: it has a word this group filters.").format(name=who)


def warned_text(name: str, count: int, limit: int, reason: str | None) -> str:
    text = _("⚠️ {name} is warned ({count}/{limit}).").format(
        name=escape(name), count=count, limit=limit
    )
    return sentences(text, reason_text(reason))


def limit_reached_text(name: str, limit: int, action: str) -> str:
    if action == "ban":
        return ngettext(
            "⛔ {name} reached {limit} warning and is banned.",
            "⛔ {name} reached {limit} warnings and is banned.",
            limit,
        ).format(name=escape(name), limit=limit)
    return ngettext(
        "🔇 {name} reached {limit} warning and is muted for 24 hours.",
        "🔇 {name} reached {limit} warnings and is muted for 24 hours.",
        limit,
    ).format(name=escape(name), limit=limit)


def warns_text(name: str, warnings: Sequence[MemberWarning], limit: int, zone: ZoneInfo) -> str:
    if not warnings:
        return _("{name} has no warnings.").format(name=escape(name))
    lines = [
        _("⚠️ {name}: {count}/{limit} warnings").format(
            name=escape(name), count=len(warnings), limit=limit
        )
    ]
    for warning in warnings:
        when = warning.created_at.astimezone(zone).strftime("%m-%d %H:%M")
        lines.append(f"<code>{when}</code> {escape(warning.reason or '—')}")
    return "\n".join(lines)


def unwarned_text(name: str, left: int | None) -> str:
    if left is None:
        return _("{name} has no warnings to lift.").format(name=escape(name))
    return _("✅ One warning lifted from {name}; {left} left.").format(name=escape(name), left=left)


def muted_text(name: str, seconds: int, reason: str | None) -> str:
    text = _("🔇 {name} is muted for {time}.").format(name=escape(name), time=duration(seconds))
    return sentences(text, reason_text(reason))


def unmuted_text(name: str) -> str:
    return _("🔊 {name} may post again.").format(name=escape(name))


def banned_text(name: str, seconds: int | None, reason: str | None, groups: int, taken: int) -> str:
    if seconds:
        text = _("⛔ {name} is banned for {time}.").format(
            name=escape(name), time=duration(seconds)
        )
    else:
        text = _("⛔ {name} is banned.").format(name=escape(name))
    if groups > 1:
        text = sentences(text, also_linked_text(groups))
    text = sentences(text, reason_text(reason))
    if taken:
        text += "\n" + ngettext(
            "{points} point of the last 24 hours taken back.",
            "{points} points of the last 24 hours taken back.",
            taken,
        ).format(points=number(taken))
    return text


def reason_text(reason: str | None) -> str:
    return _("Reason: {reason}").format(reason=escape(reason)) if reason else ""


def also_linked_text(groups: int) -> str:
    return ngettext("Also in {n} linked group.", "Also in {n} linked groups.", groups - 1).format(
        n=groups - 1
    )


def unbanned_text(name: str, groups: int) -> str:
    text = _("✅ {name} is unbanned and may join again.").format(name=escape(name))
    if groups > 1:
        text = sentences(text, also_linked_text(groups))
    return text


def kicked_text(name: str) -> str:
    return _("👢 {name} was removed; they may join again.").format(name=escape(name))


def not_on_admins_text() -> str:
    return _("Admins can't be warned, muted or banned.")


def no_rights_text() -> str:
    return _(
        "I can't do that here: make me an admin with the “Ban users” and “Delete messages” rights."
    )


def action_name(action: str) -> str:
    names = {
        "warn": _("warned"), "unwarn": _("warning lifted"), "mute": _("muted"),
        "unmute": _("unmuted"), "ban": _("banned"), "unban": _("unbanned"),
        "kick": _("removed"), "delete": _("message deleted"), "verify": _("verified"),
        "verify_fail": _("not verified, removed"), "decline": _("join request declined"),
        "night": _("closed for the night"), "morning": _("opened"),
        "forget": _("personal data erased"),
    }  # fmt: skip
    return names.get(action, action)


def rule_name(rule: str | None) -> str:
    if rule is None:
        return ""
    names = {
        "flood": _("flood"), "links": _("newcomer's link"), "warns": _("warning limit"),
        "verify": _("verification"), "network": _("linked group's ban"), "night": _("night mode"),
    }  # fmt: skip
    if rule.startswith("filter:"):
        return _("filter #{id}").format(id=rule.removeprefix("filter:"))
    return names.get(rule, rule)


def log_line(entry: ModAction, names: dict[int, str], zone: ZoneInfo) -> str:
    """One action: when, whom, what, by whom (an admin, or the rule), why."""
    when = entry.created_at.astimezone(zone).strftime("%m-%d %H:%M")
    whom = escape(names.get(entry.target_id, str(entry.target_id))) if entry.target_id else "—"
    by = (
        escape(names.get(entry.actor_id, str(entry.actor_id)))
        if entry.actor_id
        else "🤖 " + rule_name(entry.rule)
    )
    line = f"<code>{when}</code> {whom} · {action_name(entry.action)} · {by}"
    if entry.until is not None and entry.until.year < 9999:
        line += " · " + _("until {time}").format(
            time=entry.until.astimezone(zone).strftime("%m-%d %H:%M")
        )
    return line + (f" · {escape(entry.reason)}" if entry.reason else "")


def modlog_text(entries: Sequence[ModAction], names: dict[int, str], zone: ZoneInfo) -> str:
    if not entries:
        return _("No moderation actions yet.")
    return "\n".join([_("🛡 <b>Last moderation actions</b>")] + [
        log_line(entry, names, zone) for entry in entries
    ])  # fmt: skip


def channel_log_text(entry: ModAction, group: str, names: dict[int, str], zone: ZoneInfo) -> str:
    """The same line for the log channel, plain text (it names the group)."""
    when = entry.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    whom = names.get(entry.target_id, str(entry.target_id)) if entry.target_id else "—"
    by = names.get(entry.actor_id, str(entry.actor_id)) if entry.actor_id else rule_name(entry.rule)
    parts = [f"[{group}] {when}", whom, action_name(entry.action), by]
    if entry.reason:
        parts.append(entry.reason)
    return " · ".join(parts)


def filters_text(filters: Sequence[WordFilter]) -> str:
    if not filters:
        return _("No word filters. Add one with {usage}").format(
            usage="<code>" + escape("/filter add <word> [delete|warn|mute|ban]") + "</code>"
        )
    lines = [_("🧹 <b>Word filters</b>")]
    lines += [f"#{f.id} {escape(f.word)} → {action_label(f.action)}" for f in filters]
    return "\n".join(lines)


def action_label(action: str) -> str:
    return {"delete": _("delete"), "warn": _("delete and warn"), "mute": _("delete and mute"),
            "ban": _("delete and ban")}.get(action, action)  # fmt: skip


def filter_added_text(entry: WordFilter) -> str:
    return _("✅ Filter #{id} added: {word} → {action}.").format(
        id=entry.id, word=escape(entry.word), action=action_label(entry.action)
    )


def filter_deleted_text(entry: WordFilter) -> str:
    return _("🗑 Filter #{id} ({word}) deleted.").format(id=entry.id, word=escape(entry.word))


def night_closed_text(end: str) -> str:
    return _("🌙 Good night! The group is closed until {time}.").format(time=end)


def night_opened_text() -> str:
    return _("☀️ Good morning! The group is open again.")


def linked_text(groups: int) -> str:
    return ngettext(
        "✅ Linked: bans now apply in all {n} group.",
        "✅ Linked: bans now apply in all {n} groups.",
        groups,
    ).format(n=groups)


def link_howto_text(chat_id: int) -> str:
    return _(
        "To share bans with another group, send <code>/link {id}</code> there. You must be an "
        "admin of both groups, and I must be in both."
    ).format(id=chat_id)


def moderation_settings(rules: ModerationRules) -> list[str]:
    """The moderation lines of /settings."""
    verify = {"off": _("off"), "button": _("button"), "math": _("a small sum"),
              "question": _("a brand question")}  # fmt: skip
    flood = (
        _("more than {n} messages in {window} → muted {mute}").format(
            n=rules.flood_messages, window=duration(rules.flood_seconds),
            mute=duration(rules.flood_mute),
        )
        if rules.flood_messages
        else _("off")
    )  # fmt: skip
    links = _("on") if rules.links else _("off")
    if rules.links and rules.allow:
        links += " · " + _("allowed: {domains}").format(domains=escape(", ".join(rules.allow)))
    warn_action = _("ban") if rules.warn_action == "ban" else _("mute 24 h")
    return [
        _("Join verification: {mode}, within {time}").format(
            mode=verify.get(rules.verify, rules.verify), time=duration(rules.verify_seconds)
        ),
        _("Anti-flood: {flood}").format(flood=flood),
        _("Newcomers' links and forwards deleted: {links}").format(links=links),
        _("Warnings: {limit} → {action}").format(limit=rules.warn_limit, action=warn_action),
        _("Word filters: {n}").format(n=len(rules.filters)),
        _("Log channel: {channel}").format(
            channel=rules.log_channel if rules.log_channel else _("off")
        ),
        _("Night mode: {night}").format(
            night=f"{rules.night.start}–{rules.night.end}" if rules.night else _("off")
        ),
    ]


def moderation_summary(rules: ModerationRules) -> list[str]:
    """Moderation in one line of the `/settings` overview; its page has the rest."""
    verify = {"off": _("off"), "button": _("button"), "math": _("a small sum"),
              "question": _("a brand question")}  # fmt: skip
    return [
        _("Moderation: join verification {mode} · anti-flood {flood} · {n} word filters").format(
            mode=verify.get(rules.verify, rules.verify),
            flood=_("on") if rules.flood_messages else _("off"),
            n=len(rules.filters),
        )
    ]


def until_text(until: datetime, zone: ZoneInfo) -> str:
    return until.astimezone(zone).strftime("%m-%d %H:%M")
