"""Analytics for admins: `/stats` (figures and a chart), `/segments`, `/segment <name>` and
`/export` (CSV). The figures come from `services/stats.py`, the chart from `views/charts.py`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, FSInputFile, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.channels import channel_stats
from handlers.distributors import commission_export, distributor_stats
from handlers.seasons import economy_stats
from handlers.vip import vip_stats
from infrastructure.commands import CommandSpec, problem_reply, usage_of, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.transactions import commit_so_far, commit_update_so_far
from services.boosts import BoostService
from services.campaigns import CampaignService
from services.channels import ChannelService
from services.chats import ChatProfile, ChatService
from services.clock import Clock
from services.export_columns import export_name, file_name
from services.exports import ENCODING, ExportKind, write_csv
from services.programs import ProgramService
from services.sales import campaign_sales, coupon_funnels, order_figures
from services.shop import ShopFigures, ShopService
from services.stats import (
    DEFAULT_PERIOD,
    PERIODS,
    SEGMENT_NAMES,
    BadRange,
    Report,
    Segment,
    SegmentService,
    StatsService,
    Totals,
    day_bounds,
    parse_range,
)
from services.tiers import TierService
from services.vip import VipService
from views.charts import chart_png
from views.engagement import boost_stats_lines
from views.exports import export_needs_private, private_chat_keyboard
from views.numbers import number, yuan
from views.orders import campaign_sales_text, sales_text
from views.segments import segment_labels
from views.wording import labelled, trend

UPLOAD_LIMIT = 50 * 1024 * 1024  # what a bot may send as a document

# `/stats <word>` and `/export <word>` that a feature answers itself, in a group:
# (message, the group's profile, session, clock). A feature adds its word here.
Aside = Callable[[Message, ChatProfile, AsyncSession, Clock], Awaitable[None]]
STATS_ASIDES: dict[str, Aside] = {"distributors": distributor_stats, "economy": economy_stats}
EXPORT_ASIDES: dict[str, Aside] = {"commission": commission_export}


async def stats(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    shop: ShopService,
    tiers: TierService,
    campaigns: CampaignService,
    boosts: BoostService,
    programs: ProgramService,
    chats: ChatService,
    vip: VipService,
) -> None:
    """/stats [7d|30d|90d]: the period against the one before, with a chart, and the
    period's sales when the group has orders · /stats campaign <id> · /stats channels"""
    period = (command.args or DEFAULT_PERIOD).strip().lower()
    if chat_profile.is_group and period == "vip":
        await vip_stats(message, chat_profile, vip, clock)
        return
    if chat_profile.is_group and period == "channels":
        await channel_stats(message, chat_profile, ChannelService(session, clock))
        return
    if chat_profile.is_group and period in STATS_ASIDES:
        await STATS_ASIDES[period](message, chat_profile, session, clock)
        return
    if chat_profile.is_group and period.startswith("campaign"):
        await campaign_stats(message, period.removeprefix("campaign").strip(), chat_profile,
                             campaigns, session)  # fmt: skip
        return
    if not chat_profile.is_group or period not in PERIODS:
        await message.reply(usage_reply("stats"))
        return
    days = PERIODS[period]
    service = StatsService(session, clock)
    try:
        members = await bot.get_chat_member_count(chat_profile.id)
    except TelegramAPIError:
        members = await service.known_members(chat_profile.id)
    report = await service.report(chat_profile.id, chat_profile.timezone, days, members)
    if report is None:
        await message.reply(no_data_yet())
        return
    start, end = day_bounds(report.first_day, report.last_day, chat_profile.timezone)
    span = timedelta(days=days)
    assert start is not None
    assert end is not None
    program_id = chat_profile.program_id  # the shop, sales and tiers are the program's
    sold = (
        await shop.figures(program_id, start, end),
        await shop.figures(program_id, start - span, start),
    )
    could = await shop.could_redeem(program_id)
    language = get_i18n().current_locale
    png = await chart_png(report.series, language, chat_profile.title, days)
    boosted = await boosts.figures(chat_profile.id, start, end, start - span)
    extra = [*shop_lines(*sold, could), *boost_stats_lines(boosted)]
    groups = await programs.groups(program_id)
    if len(groups) > 1:
        figures = await service.by_group(groups, report.first_day, report.last_day)
        titles = {group: (await chats.profile(group) or chat_profile).title for group in groups}
        extra += program_lines([(titles[g], figures[g]) for g in groups])
    caption = stats_caption(chat_profile, report, days, extra)
    await message.reply_photo(
        BufferedInputFile(png, filename=f"stats-{period}.png"), caption=caption
    )
    sales = await order_figures(session, program_id, start, end)
    if sales.orders or (await order_figures(session, program_id, start - span, start)).orders:
        active = await service.active_members(program_id, report.first_day)
        funnels = (
            await coupon_funnels(session, program_id, start, end, by="reward"),
            await coupon_funnels(session, program_id, start, end, by="campaign"),
        )
        ladder = await tiers.ladder(program_id)
        await message.reply(sales_text(sales, active, *funnels, ladder, get_i18n().current_locale))


async def campaign_stats(
    message: Message,
    args: str,
    chat_profile: ChatProfile,
    campaigns: CampaignService,
    session: AsyncSession,
) -> None:
    """/stats campaign <id>: what one campaign brought."""
    campaign = await campaigns.get(chat_profile.id, args.removeprefix("#"))
    if campaign is None:
        reason = _("There is no such campaign here; /campaigns lists them.")
        await message.reply(problem_reply(reason, "stats", "campaign"))
        return
    await message.reply(campaign_sales_text(campaign, await campaign_sales(session, campaign)))


def program_lines(groups: Sequence[tuple[str, Totals]]) -> list[str]:
    """A program's groups side by side: members came and went, wrote and signed in in each;
    points, the shop and sales above are the program's."""
    lines = ["", _("🏷 The program's groups (points, shop and sales above are all of them):")]
    for title, totals in groups:
        lines.append(
            _("• {group}: +{joins} −{leaves} · {messages} messages · {checkins} sign-ins").format(
                group=escape(title), joins=number(totals["joins"]), leaves=number(totals["leaves"]),
                messages=number(totals["messages"]), checkins=number(totals["checkins"]),
            )
        )  # fmt: skip
    return lines


def shop_lines(now: ShopFigures, before: ShopFigures, could: int) -> list[str]:
    """The shop's part of /stats, when it sold anything in either period."""
    if not now.redemptions and not before.redemptions:
        return []
    buyers = now.redeemers + could  # those who bought, and those whose points could buy
    rate = now.redeemers / buyers if buyers else 0.0
    return [
        _("🛍 Shop: {count} redeemed, {points} points {change}").format(
            count=number(now.redemptions), points=number(now.spent),
            change=trend(now.spent, before.spent),
        ),
        _("🎯 Redemption rate: {rate} ({buyers} of {able} who could)").format(
            rate=f"{rate:.0%}", buyers=number(now.redeemers), able=number(buyers)
        ),
    ]  # fmt: skip


def no_data_yet() -> str:
    return _("📊 No data yet: figures start with the first messages, joins and sign-ins.")


def stats_caption(profile: ChatProfile, report: Report, days: int, more: Sequence[str] = ()) -> str:
    """The figures of /stats; `more`: the lines features add (the shop's, the boosts')."""
    now, before = report.current, report.previous

    def figure(name: str, per_day: bool = False) -> dict[str, str]:
        shown = f"{now.per_day(name):,.1f}" if per_day else number(now[name])
        return {"count": shown, "change": trend(now[name], before[name])}

    rate_now, rate_before = report.rates
    lines = [
        _("📊 <b>{group}</b> · last {days} days ({first} – {last})").format(
            group=escape(profile.title), days=days, first=f"{report.first_day:%m-%d}",
            last=f"{report.last_day:%m-%d}",
        ),
        _("👥 Members: {count} {change}").format(
            count=number(report.members), change=trend(report.members, report.members_before)
        ),
        _("➕ Joined: {count} {change}").format(**figure("joins")),
        _("➖ Left: {count} {change}").format(**figure("leaves")),
        _("📈 Net growth: {count} {change}").format(
            count=f"{now.net_growth:+,}", change=trend(now.net_growth, before.net_growth)
        ),
        _("🙋 Active members a day: {count} {change}").format(
            **figure("active_members", per_day=True)
        ),
        _("💬 Messages a day: {count} {change}").format(**figure("messages", per_day=True)),
        _("✅ Sign-in rate: {rate} {change}").format(
            rate=f"{rate_now:.1%}", change=trend(rate_now, rate_before)
        ),
        _("🎁 Draw entries: {count} {change}").format(**figure("draw_entries")),
        _("🧵 Topic replies: {count} {change}").format(**figure("topic_replies")),
        _("🤝 Joined through invites: {count} {change}").format(**figure("referral_joins")),
        _("🪙 Points issued: {count} {change}").format(**figure("points_issued")),
        _("🛒 Points spent: {count} {change}").format(**figure("points_spent")),
        *more,
        _("<i>Changes are against the {days} days before.</i>").format(days=days),
    ]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines)  # no change shown: no trailing space


async def segments(
    message: Message,
    chat_profile: ChatProfile,
    session: AsyncSession,
    tiers: TierService,
    clock: Clock,
) -> None:
    """/segments: how many members each segment holds (recounted daily, or now if not today)."""
    if not chat_profile.is_group:
        await message.reply(usage_reply("segments"))
        return
    counted = await fresh_segments(session, clock, tiers, chat_profile)
    if not any(counted.values()):
        await message.reply(no_data_yet())
        return
    labels = segment_labels()
    lines = [
        _("👥 <b>Member segments</b> · {day}").format(day=clock.today_in(chat_profile.timezone))
    ]
    lines += [
        labelled(labels[segment], number(counted.get(segment.value, 0))) for segment in Segment
    ]
    lines.append(_("See who: /segment kol (or new, active, silent, core, paying, lapsed)"))
    await message.reply("\n".join(lines))


async def fresh_segments(
    session: AsyncSession, clock: Clock, tiers: TierService, profile: ChatProfile
) -> dict[str, int]:
    service = SegmentService(session, clock)
    counted = await service.counts(profile.id)
    if counted is not None and counted.day >= clock.today_in(profile.timezone):
        return counted.counts
    ladder = await tiers.ladder(profile.id)
    return (await service.recount(profile.id, profile.timezone, ladder)).counts


async def segment(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    session: AsyncSession,
    tiers: TierService,
    clock: Clock,
) -> None:
    """/segment <new|active|silent|core|kol>: the segment's top 20."""
    name = (command.args or "").strip().lower()
    chosen = SEGMENT_NAMES.get(name) or (Segment(name) if name in set(Segment) else None)
    if not chat_profile.is_group or chosen is None:
        await message.reply(usage_reply("segment"))
        return
    await fresh_segments(session, clock, tiers, chat_profile)
    top = await SegmentService(session, clock).top(chat_profile.id, chosen)
    label = segment_labels()[chosen]
    if not top:
        await message.reply(_("{segment}: nobody yet.").format(segment=label))
        return
    lines = [f"<b>{label}</b>"]
    for position, row in enumerate(top, start=1):
        link = f'<a href="tg://user?id={row.user_id}">{escape(row.name)}</a>'
        lines.append(f"{position}. {link} · {segment_detail(chosen, row.score, chat_profile)}")
    await message.reply("\n".join(lines))


def segment_detail(chosen: Segment, score: int, profile: ChatProfile) -> str:
    if chosen is Segment.NEW:
        joined = datetime.fromtimestamp(score, UTC).astimezone(ZoneInfo(profile.timezone))
        return _("joined {day}").format(day=f"{joined:%m-%d}")
    if chosen is Segment.ACTIVE:
        messages = score % 1_000_000
        return ngettext(
            "{days}/7 days, {messages} message", "{days}/7 days, {messages} messages", messages
        ).format(days=score // 1_000_000, messages=number(messages))
    if chosen is Segment.KOL:
        return _("score {score}").format(score=score)
    if chosen in (Segment.PAYING, Segment.LAPSED):
        return _("spent {amount}").format(amount=yuan(score))
    return ngettext("{points} point earned", "{points} points earned", score).format(
        points=number(score)
    )


async def export(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    chats: ChatService,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """/export members|ledger|checkins|draws|redemptions|orders [from to]: a CSV, in private if
    possible, its name, headers and labels in the language the admin is answered in."""
    words = (command.args or "").split()
    user = message.from_user
    if chat_profile.is_group and words and words[0].lower() in EXPORT_ASIDES:
        await EXPORT_ASIDES[words[0].lower()](message, chat_profile, session, clock)
        return
    if not chat_profile.is_group or not words or words[0].lower() not in set(ExportKind):
        await message.reply(usage_reply("export"))
        return
    kind = ExportKind(words[0].lower())
    language = get_i18n().current_locale
    today = clock.today_in(chat_profile.timezone)
    try:
        first, last = parse_range(words[1:], today)
    except BadRange as bad:
        await message.reply(range_problem(str(bad)))
        return
    await commit_update_so_far()
    handle, path = tempfile.mkstemp(prefix=f"fanbot-{kind}-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding=ENCODING, newline="") as out:
            rows = await write_csv(
                session, out, kind, chat_profile.id, chat_profile.timezone, first, last,
                language=language,
            )  # fmt: skip
            out.flush()
            size = os.fstat(out.fileno()).st_size
        await commit_so_far(session)  # the read is done: nothing waits on the upload
        if rows == 0:
            await message.reply(_("Nothing to export for that range."))
            return
        if size > UPLOAD_LIMIT:
            await message.reply(
                _(
                    "The file is over Telegram's 50 MB limit: export a shorter range, or run "
                    "<code>fanbot export {kind}</code> on the server."
                ).format(kind=kind.value)
            )
            return
        span = f"{first or '…'} – {last or today}"
        caption = ngettext(
            "📄 {kind} of {group}, {span}: {rows} row.",
            "📄 {kind} of {group}, {span}: {rows} rows.",
            rows,
        ).format(
            kind=export_name(kind, language), group=escape(chat_profile.title), span=span,
            rows=number(rows),
        )  # fmt: skip
        document = FSInputFile(path, filename=file_name(kind, language, last or today))
        if user is not None and await chats.started_privately(user.id):
            try:
                await bot.send_document(user.id, document, caption=caption)
                await message.reply(_("📄 Sent to you in private."))
                return
            except TelegramAPIError:
                pass  # blocked since: asked to start again, below
        # Members' names, ids and purchases are the admins' to read, never the whole group's.
        me = await bot.me()
        await message.reply(
            export_needs_private(), reply_markup=private_chat_keyboard(me.username or "")
        )
    finally:
        os.unlink(path)


def range_problem(reason: str) -> str:
    problems = {
        "reversed": _("The last day comes before the first."),
        "too long": _("A range covers a year at most."),
    }
    return problems.get(reason) or _("Days are YYYY-MM-DD, such as {example}. {usage}").format(
        example="2026-11-01 2026-11-30", usage=usage_of("export")
    )


COMMANDS = (
    CommandSpec(
        "stats",
        __("Growth, activity and conversion, with a chart"),
        usage=__(
            "/stats [7d|30d|90d] · /stats campaign <id> · /stats channels · /stats distributors "
            "· /stats vip · /stats economy"
        ),
        admin=True,
    ),
    CommandSpec(
        "segments",
        __("Member segments: new, active, silent, core, KOL candidates, paying, lapsed"),
        usage="/segments",
        admin=True,
    ),
    CommandSpec(
        "segment",
        __("The top 20 members of a segment"),
        usage="/segment new|active|silent|core|kol|paying|lapsed",
        admin=True,
    ),
    CommandSpec(
        "export",
        __("Export members, the ledger, sign-ins, draw entries, redemptions or orders as CSV"),
        usage=(
            "/export members|ledger|checkins|draws|redemptions|orders [2026-11-01 2026-11-30]"
            " · /export commission"
        ),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="stats")
    router.message.register(stats, Command("stats"), IsAdmin())
    router.message.register(segments, Command("segments"), IsAdmin())
    router.message.register(segment, Command("segment"), IsAdmin())
    router.message.register(export, Command("export"), IsAdmin())
    return router
