"""Lucky draws: admins open, end and cancel them; members join by button; anyone verifies."""

from __future__ import annotations

import io
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.draw_dialogue import start_dialogue
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import answer_press
from infrastructure.transactions import after_commit, commit_so_far
from models import Draw
from scheduler.core import Scheduler
from services.badges import DRAW_PREFIX
from services.chats import ChatProfile
from services.csvcells import SafeWriter
from services.draw_entries import JoinOutcome, JoinRequest
from services.draw_specs import DrawInputError, parse_draw
from services.draws import (
    ClaimOutcome,
    DrawClosed,
    DrawNotFound,
    DrawService,
    JoinGroupCommit,
    RerollRefused,
)
from services.labels import LabelService
from services.members import find_member
from services.redemptions import RedemptionService, Refused
from services.shop import RewardNotFound, ShopService
from services.tiers import TierService
from views.draws import ClaimButton, DrawButton, requirements
from views.labels import unknown_label_text
from views.numbers import number
from views.quests import badge_label
from views.wording import listed, sentences

ACTIONS = ("end", "cancel", "reroll")


async def open_draw(
    message: Message,
    command: CommandObject,
    draws: DrawService,
    tiers: TierService,
    scheduler: Scheduler,
    chat_profile: ChatProfile,
    shop: ShopService,
    labels: LabelService,
) -> None:
    """/draw <prize> [winners=N] [ends=...] [min_tier=...] [min_points=N] [cost=N] ...
    [reward=<id>] (each winner receives that reward of the shop on claiming) [tag=<label>]"""
    if not chat_profile.is_group:
        await message.reply(_("Draws run inside a group."))
        return
    ladder = await tiers.ladder(chat_profile.program_id)
    try:
        spec = parse_draw(command.args or "", draws.clock.now(), chat_profile.timezone, ladder)
    except DrawInputError as error:
        await message.reply(bad_input(str(error)))
        return
    if spec.reward_id is not None:
        try:
            await shop.reward(chat_profile.program_id, spec.reward_id)
        except RewardNotFound:
            await message.reply(bad_input("reward"))
            return
    if (
        spec.label
        and spec.label[:6] != DRAW_PREFIX
        and not await labels.carried(chat_profile.program_id, spec.label)
    ):
        await message.reply(problem_reply(unknown_label_text(spec.label), "draw"))
        return
    admin = message.from_user.id if message.from_user else 0
    await draws.create(chat_profile.id, admin, spec)  # its post is the answer, by the outbox
    after_commit(draws.session, scheduler.reload_soon)  # plans its end


async def manage_draw(
    message: Message,
    command: CommandObject,
    draws: DrawService,
    chat_profile: ChatProfile,
) -> None:
    """/draw end <id>, /draw cancel <id>, /draw reroll <id> [n|@user]"""
    words = (command.args or "").split()
    action = words[0].lower()
    if len(words) < 2 or not words[1].isdigit() or len(words) > (3 if action == "reroll" else 2):
        await message.reply(usage_reply("draw"))
        return
    draw_id = int(words[1])
    try:
        if action == "end":
            await draws.end(chat_profile.id, draw_id)
            return  # the result post, by the outbox, is the answer
        if action == "reroll":
            await reroll(message, draws, chat_profile, draw_id, words[2:])
            return
        draw, refunds = await draws.cancel(chat_profile.id, draw_id)
        await message.reply(
            ngettext(
                "❌ Draw #{id} cancelled; {count} entry cost refunded.",
                "❌ Draw #{id} cancelled; {count} entry costs refunded.",
                refunds,
            ).format(id=draw.id, count=number(refunds))
        )
    except DrawNotFound:
        await message.reply(_("There is no draw #{id} in this group.").format(id=draw_id))
    except DrawClosed as closed:
        if closed.status == "open":
            text = _("Draw #{id} has not ended yet.")
        elif closed.status == "cancelled":
            text = _("Draw #{id} was cancelled.")
        else:
            text = _("Draw #{id} has already ended.")
        await message.reply(text.format(id=closed.draw_id))


async def reroll(
    message: Message,
    draws: DrawService,
    profile: ChatProfile,
    draw_id: int,
    rest: list[str],
) -> None:
    count = user_id = None
    if rest and rest[0].isdigit():
        count = int(rest[0])
        if count == 0:
            await message.reply(usage_reply("draw"))
            return
    elif rest:
        member = await find_member(draws.session, profile.id, rest[0])
        if member is None:
            await message.reply(_("I don't know {who} in this group.").format(who=escape(rest[0])))
            return
        user_id = member.user_id
    try:
        rerolled = await draws.reroll(profile.id, draw_id, count, user_id)
    except RerollRefused as refused:
        reasons = {
            "not_winner": _("{who} is not a winner of draw #{id}."),
            "none": _("Every winner of draw #{id} has claimed: nobody to replace."),
            "no_entrants": _("Nobody is left in draw #{id} who has not won: no reroll."),
        }
        who = escape(rest[0]) if rest else ""
        await message.reply(reasons[str(refused)].format(id=draw_id, who=who))
        return
    await message.reply(
        ngettext(
            "🔁 Draw #{id}: {count} winner replaced; the result post shows the new list.",
            "🔁 Draw #{id}: {count} winners replaced; the result post shows the new list.",
            len(rerolled.replaced),
        ).format(id=draw_id, count=len(rerolled.replaced))
    )


async def has_no_arguments(message: Message, command: CommandObject) -> bool:
    return not (command.args or "").strip()


async def is_management(message: Message, command: CommandObject) -> bool:
    return (command.args or "").split(maxsplit=1)[0].lower() in ACTIONS if command.args else False


async def list_draws(message: Message, draws: DrawService, chat_profile: ChatProfile) -> None:
    """/draws: the open draws."""
    found = await draws.open_draws(chat_profile.id)
    if not found:
        await message.reply(_("No open draws right now."))
        return
    lines = [_("🎁 <b>Open draws</b>")]
    for draw in found:
        ends = draw.ends_at.astimezone(ZoneInfo(chat_profile.timezone)).strftime("%m-%d %H:%M")
        lines.append(
            ngettext(
                "#{id} {prize} — {count} entrant, ends {ends}",
                "#{id} {prize} — {count} entrants, ends {ends}",
                draw.entrants,
            ).format(id=draw.id, prize=escape(draw.prize), count=number(draw.entrants), ends=ends)
        )
    await message.reply("\n".join(lines))


async def verify_draw(
    message: Message, command: CommandObject, draws: DrawService, chat_profile: ChatProfile
) -> None:
    """/verify <id>: recompute the winners from the revealed seed and the entrants."""
    asked = (command.args or "").strip()
    if not asked:
        await message.reply(how_draws_are_checked())
        return
    if not asked.isdigit():
        await message.reply(usage_reply("verify"))
        return
    try:
        check = await draws.verify(chat_profile.id, int(asked))
    except DrawNotFound:
        await message.reply(_("There is no draw #{id} in this group.").format(id=asked))
        return
    except DrawClosed as closed:
        if closed.status == "cancelled":
            text = _("Draw #{id} was cancelled.")
        else:
            text = _("Draw #{id} has not ended yet: its seed is still secret.")
        await message.reply(text.format(id=asked))
        return
    if check.ok:
        text = _(
            "✅ Draw #{id} checks out: the seed matches the commitment, and the winners follow "
            "from it and the {count} entrants."
        )
    else:
        text = _("⚠️ Draw #{id} does NOT check out. Please tell the group's admins.")
    await message.reply(
        text.format(id=check.draw.id, count=number(check.draw.entrants))
        + "\n"
        + _("Seed: <code>{seed}</code>").format(seed=check.draw.seed)
        + "\n"
        + _("How this is checked: /verify")
    )


def how_draws_are_checked() -> str:
    """/verify alone: what the check proves, in words a member can follow."""
    return _(
        "🔍 <b>How a draw is checked</b>\n"
        "1. When a draw opens, its post shows a commitment: the SHA-256 of a secret seed.\n"
        "2. When it ends, the seed is revealed: anyone can hash it and compare.\n"
        "3. The winners follow from the seed and the entrants sorted by id (HMAC-SHA256), so "
        "nobody, not even the admins, could pick them.\n"
        "Send /verify &lt;id&gt; and I redo the whole calculation for that draw."
    )


async def join_button(
    query: CallbackQuery,
    callback_data: DrawButton,
    joins: JoinGroupCommit,
    session: AsyncSession,
    chat_profile: ChatProfile | None,
    i18n: I18n,
    bot: Bot,
) -> None:
    """A press of "参加 / Join": the answer is a toast (a long list of requirements: a message
    only the presser sees), the group stays quiet."""
    if chat_profile is None or not chat_profile.is_group:
        await query.answer(_("This draw doesn't exist."))
        return
    await commit_so_far(session)  # the entry is written in a shared transaction
    joined = await joins.join(JoinRequest(callback_data.id, chat_profile.id, query.from_user.id))
    draw = joined.draw
    if joined.outcome == JoinOutcome.JOINED and draw is not None:
        text = _("✅ You're in draw #{id}! Good luck.").format(id=draw.id)
        if draw.cost:
            text = sentences(
                text,
                ngettext(
                    "-{cost} point, balance {balance}.",
                    "-{cost} points, balance {balance}.",
                    draw.cost,
                ).format(cost=number(draw.cost), balance=number(joined.balance)),
            )
    elif joined.outcome == JoinOutcome.ALREADY:
        text = _("You've already joined this draw.")
    elif joined.outcome == JoinOutcome.ENDED:
        text = _("This draw has ended.")
    elif joined.outcome == JoinOutcome.SILENCED:
        text = _("You are restricted here: you can't enter draws meanwhile.")
    elif joined.outcome == JoinOutcome.LABEL and (badge := badge_of(draw)) is not None:
        text = _("Sorry, this draw is for holders of the badge {badge}.").format(badge=badge)
    elif joined.outcome == JoinOutcome.LABEL:
        text = _("Sorry, this draw is for selected members only.")
    elif joined.outcome == JoinOutcome.COST and draw is not None:
        text = ngettext(
            "Entry costs {cost} point; you have {balance}.",
            "Entry costs {cost} points; you have {balance}.",
            draw.cost,
        ).format(cost=number(draw.cost), balance=number(joined.balance))
    elif draw is not None and joined.outcome != JoinOutcome.UNKNOWN:
        needs = listed(requirements(draw, i18n.current_locale))
        text = _("Sorry, this draw needs: {list}.").format(list=needs)
    else:
        text = _("This draw doesn't exist.")
    await answer_press(query, bot, chat_profile, text)


async def send_entrants(
    message: Message, command: CommandObject, draws: DrawService, chat_profile: ChatProfile
) -> None:
    """/draw entrants <id>: the list the winners were drawn from, as a CSV anyone can check."""
    words = (command.args or "").split()
    if len(words) != 2 or not words[1].isdigit():
        await message.reply(usage_reply("draw"))
        return
    try:
        draw = await draws.get(chat_profile.id, int(words[1]))
    except DrawNotFound:
        await message.reply(_("There is no draw #{id} in this group.").format(id=words[1]))
        return
    rows = await draws.entrant_list(draw)
    table = io.StringIO()
    writer = SafeWriter(table)  # posted in the group: a name is never a live formula
    writer.writerow(["user_id", "name", "username", "joined_at_utc"])
    for row in rows:
        writer.writerow(
            [
                row.user_id,
                row.name or "",
                row.username or "",
                row.joined_at.isoformat(" ", "seconds"),
            ]
        )
    document = BufferedInputFile(
        ("\ufeff" + table.getvalue()).encode(), filename=f"draw-{draw.id}-entrants.csv"
    )  # the BOM lets Excel read Chinese names
    caption = ngettext(
        "Draw #{id}: {count} entrant, sorted by user id.",
        "Draw #{id}: {count} entrants, sorted by user id.",
        len(rows),
    ).format(id=draw.id, count=number(len(rows)))
    await message.reply_document(document, caption=caption)


async def is_entrants(message: Message, command: CommandObject) -> bool:
    return bool(command.args) and (command.args or "").split()[0].lower() == "entrants"


async def claim_button(
    query: CallbackQuery,
    callback_data: ClaimButton,
    draws: DrawService,
    redemptions: RedemptionService,
    tiers: TierService,
    chat_profile: ChatProfile | None,
    i18n: I18n,
) -> None:
    """A winner presses "领奖 / Claim" on the result: the admins see who is there; a draw whose
    prize is a shop reward hands it over (its code privately), once per winner."""
    if chat_profile is None:
        await query.answer(_("This draw doesn't exist."))
        return
    try:
        draw, outcome = await draws.claim(chat_profile.id, callback_data.id, query.from_user.id)
    except (DrawNotFound, DrawClosed):
        await query.answer(_("This draw doesn't exist."))
        return
    if outcome == ClaimOutcome.CLAIMED and draw.reward_id is not None:
        await query.answer(
            await hand_over_prize(draw, query, redemptions, tiers, chat_profile, i18n)
        )
    elif outcome == ClaimOutcome.CLAIMED:  # the result post gets a ✅ by their name
        await query.answer(_("🎉 Claimed! An admin will contact you about your prize."))
    elif outcome == ClaimOutcome.ALREADY:
        await query.answer(_("You've already claimed this prize."))
    else:
        await query.answer(_("Only this draw's winners can claim."))


async def hand_over_prize(
    draw: Draw,
    query: CallbackQuery,
    redemptions: RedemptionService,
    tiers: TierService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> str:
    """The reward a winner claimed, keyed by draw and winner; what the toast says of it."""
    assert draw.reward_id is not None
    try:
        given = await redemptions.redeem(
            chat_profile.program_id, query.from_user.id, draw.reward_id,
            key=f"draw:{draw.id}:{query.from_user.id}",
            ladder=await tiers.ladder(chat_profile.program_id),
            timezone=chat_profile.timezone, source="draw", language=i18n.current_locale,
        )  # fmt: skip
    except Refused:  # the reward's codes ran out, or it was deleted since
        return _("🎉 Claimed! The prize's codes ran out: an admin will contact you.")
    if given.private:
        return _("🎉 Claimed! Your prize is in our private chat.")
    return _("🎉 Claimed! Start a private chat with me and send /mycoupons for your prize.")


def badge_of(draw: Draw | None) -> str | None:
    """The badge a draw asks for (`badge=`), in words; None if it asks for none."""
    label = draw.label if draw is not None else None
    return (
        badge_label(label[len(DRAW_PREFIX) :]) if label and label.startswith(DRAW_PREFIX) else None
    )


def bad_input(field: str) -> str:
    explanations = {
        "prize": _("Give the prize first, at most 200 characters."),
        "winners": _("Winners must be a number from 1 to 100."),
        "ends": _("The end must be 10 s to 90 days from now: 30m, 2h, 7d or 2026-12-01 20:00."),
        "min_tier": _("There is no such tier. See /tiers."),
        "joined_before": _("joined_before takes days, such as 7d."),
        "reward": _("reward= names a reward of this group's shop by its number (/rewards)."),
        "tag": _("tag= names one label, at most 20 characters (/tags lists them)."),
        "badge": _("badge= names one badge, at most 14 characters, instead of tag=."),
    }
    default = _("{option} must be a whole number, 0 or more.").format(option=field)
    return explanations.get(field, default) + "\n" + usage_reply("draw")


DRAWS = CommandSpec("draws", __("Open lucky draws"), usage="/draws")

VERIFY = CommandSpec(
    "verify",
    __("Check that a draw's winners follow from its revealed seed"),
    usage=__("/verify [id]"),
)

DRAW = CommandSpec(
    "draw",
    __("Open a lucky draw; end or cancel one"),
    usage=__(
        "/draw <prize> [winners=1] [ends=24h|30m|7d|2026-12-01 20:00] [min_tier=<tier>] "
        "[min_points=N] [cost=N] [joined_before=7d] [min_messages=N] [reward=<reward id>] "
        "[tag=<label>|badge=<badge>] · "
        "/draw end|cancel <id> · "
        "/draw reroll <id> [n|@user] · "
        "/draw entrants <id>"
    ),
    admin=True,
)


def create_router() -> Router:
    router = Router(name="draws")
    router.message.register(send_entrants, Command("draw"), is_entrants)
    router.message.register(manage_draw, Command("draw"), is_management, IsAdmin(), flags=ONCE)
    router.message.register(start_dialogue, Command("draw"), has_no_arguments, IsAdmin())
    router.message.register(open_draw, Command("draw"), IsAdmin(), flags=ONCE)
    router.message.register(list_draws, Command("draws"))
    router.message.register(verify_draw, Command("verify"))
    router.callback_query.register(join_button, DrawButton.filter())
    router.callback_query.register(claim_button, ClaimButton.filter())
    return router
