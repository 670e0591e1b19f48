"""Every command fanbot answers, once: /help and setMyCommands are both built from here."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.support import LazyProxy

from infrastructure.sender_only import for_sender


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: LazyProxy
    usage: str = ""
    admin: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", __("Start the bot and see what it does")),
    CommandSpec(
        "help",
        __("List the commands you can use, or explain one: /help draw"),
        usage="/help [command]",
    ),
    CommandSpec(
        "points",
        __("Your points and their history; admins add or deduct"),
        usage="/points [history] · /points [@user|id] +50|-20 <reason>",
    ),
    CommandSpec(
        "checkin",
        __("Sign in for today (or say 签到); make up a missed day; streak leaders"),
        usage="/checkin [makeup|top]",
    ),
    CommandSpec("me", __("Your points, VIP tier, rank and streak"), usage="/me"),
    CommandSpec(
        "console",
        __("A one-time link to the web console (in a private chat)"),
        usage="/console",
        admin=True,
    ),
    CommandSpec(
        "top",
        __("Top members by points earned"),
        usage="/top [today|week|month|all]",
    ),
    CommandSpec(
        "tiers",
        __("The VIP tiers and their perks; admins edit them"),
        usage="/tiers · /tiers set <name> <points> [perks] · /tiers del <name>",
    ),
    CommandSpec("draws", __("Open lucky draws"), usage="/draws"),
    CommandSpec(
        "invite",
        __("Your own invite link: earn points for friends who join and stay"),
        usage="/invite · /invite top",
    ),
    CommandSpec(
        "topic",
        __("Open topics and how to join them; admins open, close and queue topics"),
        usage="/topic · /topic new <title> [hours=24] [reward=2] [cap=10] [kind=show] "
        "[color=blue] [bonus=20,10,5] · /topic close [id] · /topic queue [add <title> | del <n>]",
    ),
    CommandSpec("shop", __("The points shop: spend points on coupons and gifts"), usage="/shop"),
    CommandSpec(
        "bind",
        __("Bind your shop nickname (买家会员名): your orders earn points"),
        usage=(
            "/bind <shop nickname> <order number> <amount> (privately) · "
            "/bind @user <nickname> (admins)"
        ),
    ),
    CommandSpec("unbind", __("Unbind a shop nickname"), usage="/unbind <shop nickname>"),
    CommandSpec(
        "unsubscribe",
        __("No more pushes (here, or privately: from every group); /subscribe undoes it"),
        usage="/unsubscribe · /subscribe",
    ),
    CommandSpec("subscribe", __("Get the group's pushes again"), usage="/subscribe"),
    CommandSpec(
        "mycoupons", __("What you have redeemed, with your codes (privately)"), usage="/mycoupons"
    ),
    CommandSpec("rules", __("The group rules"), usage="/rules"),
    CommandSpec(
        "warns",
        __("Your warnings here; admins see a member's"),
        usage="/warns · /warns @user (admins)",
    ),
    CommandSpec(
        "faq",
        __("Quick answers; admins add and delete them"),
        usage="/faq · /faq add <keyword, keyword> | <answer> · /faq del <id>",
    ),
    CommandSpec(
        "setwelcome",
        __("Set the welcome for new members, or turn it off"),
        usage=(
            "/setwelcome <text with {name} {group} {count}> · /setwelcome off|on · "
            "/setwelcome delete 10m|off"
        ),
        admin=True,
    ),
    CommandSpec(
        "post",
        __("Schedule a post (as a reply, or with its text); pause, resume, delete, test"),
        usage=(
            '/post daily 09:00 | weekly mon,thu 20:00 | at 2026-12-01 10:00 | cron "0 9 * * 1-5"'
            ' [pin] [thread=<id>] [buttons="Shop|https://…"] [early=Gold:2h] [text] · '
            "/post del|pause|resume|test <id>"
        ),
        admin=True,
    ),
    CommandSpec("posts", __("The scheduled posts and their next runs"), usage="/posts", admin=True),
    CommandSpec(
        "campaign",
        __("Start a holiday campaign that multiplies points, or delete one"),
        usage="/campaign new <name> <2026-12-01> <2026-12-03> x2 [greeting] [coupon=<reward id>]"
        " · /campaign del <id>",
        admin=True,
    ),
    CommandSpec("campaigns", __("Running and coming campaigns"), usage="/campaigns", admin=True),
    CommandSpec(
        "setrules",
        __("Set the group rules (as a reply to the message that holds them, or inline)"),
        usage="/setrules <text>",
        admin=True,
    ),
    CommandSpec(
        "verify",
        __("Check that a draw's winners follow from its revealed seed"),
        usage="/verify [id]",
    ),
    CommandSpec(
        "draw",
        __("Open a lucky draw; end or cancel one"),
        usage="/draw <prize> [winners=1] [ends=24h|30m|7d|2026-12-01 20:00] [min_tier=<tier>] "
        "[min_points=N] [cost=N] [joined_before=7d] [min_messages=N] [reward=<reward id>] · "
        "/draw end|cancel <id> · "
        "/draw reroll <id> [n|@user] · /draw entrants <id>",
        admin=True,
    ),
    CommandSpec(
        "reward",
        __("Stock the points shop: add, edit, pause or delete a reward; add its codes"),
        usage="/reward add <name> price=<points> [stock=N] [limit=N] [per=day|week|month|ever] "
        "[min_tier=<tier>] [kind=coupon|gift|perk] [valid=30d] · /reward edit <id> <options> · "
        "/reward pause|resume|del <id> · /reward codes <id> (with a file) · "
        "/reward codes <id> generate 100 [prefix=FAN]",
        admin=True,
    ),
    CommandSpec(
        "rewards",
        __("The shop's rewards: stock, redeemed, points spent"),
        usage="/rewards",
        admin=True,
    ),
    CommandSpec(
        "coupon",
        __("Mark a coupon used by hand (its code is not repeated)"),
        usage="/coupon used <code>",
        admin=True,
    ),
    CommandSpec(
        "gifts",
        __("The redeemed gifts waiting to be sent, with their details"),
        usage="/gifts",
        admin=True,
    ),
    CommandSpec(
        "gift",
        __("Mark a gift sent: its member is told privately"),
        usage="/gift sent <number>",
        admin=True,
    ),
    CommandSpec(
        "orders",
        __("Import the shop's orders: a Taobao/Tmall export or a plain CSV"),
        usage="/orders import (as the file's caption, or in reply to it)",
        admin=True,
    ),
    CommandSpec(
        "order",
        __("Record a member's order by hand, or refund one"),
        usage="/order @user 199.00 [order id] · /order refund <order id> [amount]",
        admin=True,
    ),
    CommandSpec(
        "push",
        __("Send a message privately to a segment or tier (精准推送), after a count to confirm"),
        usage="/push <paying|lapsed|new|active|silent|core|kol|tier> <text> (or as a reply)",
        admin=True,
    ),
    CommandSpec(
        "warn",
        __("Warn a member (as a reply or naming them); the limit mutes or bans"),
        usage="/warn [@user|id] <reason>",
        admin=True,
    ),
    CommandSpec(
        "unwarn", __("Lift a member's newest warning"), usage="/unwarn [@user|id]", admin=True
    ),
    CommandSpec(
        "mute",
        __("Mute a member for a while"),
        usage="/mute [@user|id] <10m|2h|1d> [reason]",
        admin=True,
    ),
    CommandSpec(
        "unmute", __("Let a muted member post again"), usage="/unmute [@user|id]", admin=True
    ),
    CommandSpec(
        "ban",
        __("Ban a member, here and in linked groups; refund takes back their last day's points"),
        usage="/ban [@user|id] [duration] [reason] [refund]",
        admin=True,
    ),
    CommandSpec(
        "unban", __("Lift a ban everywhere it applies"), usage="/unban <@user|id>", admin=True
    ),
    CommandSpec(
        "kick",
        __("Remove a member (they may join again)"),
        usage="/kick [@user|id] [reason]",
        admin=True,
    ),
    CommandSpec("modlog", __("The last moderation actions"), usage="/modlog", admin=True),
    CommandSpec(
        "filter",
        __("Filter a word or phrase (made for Chinese: spaces and full-width forms caught)"),
        usage="/filter add <word or phrase> [delete|warn|mute|ban] · /filter del <number|word>",
        admin=True,
    ),
    CommandSpec("filters", __("The word filters"), usage="/filters", admin=True),
    CommandSpec(
        "link",
        __("Share bans with another group you admin"),
        usage="/link · /link <other group's id>",
        admin=True,
    ),
    CommandSpec("unlink", __("Stop sharing bans"), usage="/unlink", admin=True),
    CommandSpec(
        "stats",
        __("Growth, activity and conversion, with a chart"),
        usage="/stats [7d|30d|90d] · /stats campaign <id>",
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
        usage="/export members|ledger|checkins|draws|redemptions|orders [2026-11-01 2026-11-30]",
        admin=True,
    ),
    CommandSpec(
        "settings",
        __("Show or change this group's settings"),
        usage="/settings [timezone|language|points|checkin|referral|cadence|daily_topic|orders|"
        "tiers|moderation] · "
        "/settings timezone <Area/City> · /settings language <zh|en|auto> · "
        "/settings points message|cooldown|daily_cap <number> · /settings checkin base|"
        "streak_cap|makeup_cost|makeup_days|makeup_per_month <number> · "
        "/settings checkin keywords <a,b> · /settings checkin milestones <7:20,30:100> · "
        "/settings referral <points> · /settings cadence morning|reminder|digest <HH:MM|off> · "
        "/settings daily_topic on|off · /settings points purchase <points per yuan> · "
        "/settings orders return_days <days> · /settings tiers basis points|spend · "
        "/settings verify button|math|off · /settings verify time <2m> · "
        "/settings flood on|off · /settings flood <8> <10s> · /settings flood mute <10m> · "
        "/settings links on|off · /settings links allow <taobao.com,tmall.com> | allow off · "
        "/settings warns <3> mute|ban · /settings log_channel <channel id>|off · "
        "/settings night <23:00> <07:00> | off",
        admin=True,
    ),
)


BRIEF = 80  # characters: a usage line in a busy group is one short line; /help has the rest


def spec_of(name: str) -> CommandSpec | None:
    return next((spec for spec in COMMANDS if spec.name == name.lower()), None)


def usage_of(name: str) -> str:
    """The command's whole usage as HTML code (every form), for /help <command>."""
    spec = spec_of(name)
    assert spec is not None, name
    return f"<code>{escape(spec.usage)}</code>"


def forms_of(name: str) -> list[str]:
    spec = spec_of(name)
    assert spec is not None, name
    return spec.usage.split(" · ") if spec.usage else [f"/{name}"]


def brief_usage(name: str, form: str | None = None) -> tuple[str, bool]:
    """One form of the usage (the one for `form`, e.g. "timezone", else the first), cut to a
    short line; and whether anything was left out."""
    forms = forms_of(name)
    chosen = next(
        (f for f in forms if form and f.split()[1:2] and f.split()[1].startswith(form.lower())),
        forms[0],
    )
    if len(chosen) > BRIEF:  # keep whole options: "/draw <prize> [winners=1] …"
        kept = ""
        for word in chosen.split(" "):
            if len(kept) + len(word) + 1 > BRIEF - 2:
                break
            kept = f"{kept} {word}" if kept else word
        chosen = kept + " …"
    return chosen, len(forms) > 1 or chosen.endswith(" …")


def usage_reply(name: str, form: str | None = None) -> str:
    """What a command answers to input it cannot read: one short usage line, and where to find
    the rest when it was shortened (Telegram allows a group 20 bot messages a minute)."""
    brief, shortened = brief_usage(name, form)
    text = _("Usage: {usage}").format(usage=f"<code>{escape(brief)}</code>")
    if shortened:
        text += " · " + _("more: /help {name}").format(name=name)
    return for_sender(text)


def problem_reply(reason: str, name: str, form: str | None = None) -> str:
    """Input that was understood but cannot be used: the reason first, then the usage line."""
    return for_sender(f"{reason}\n{usage_reply(name, form)}")


def commands_for(*, admin: bool) -> list[CommandSpec]:
    return [spec for spec in COMMANDS if admin or not spec.admin]


def admin_command_names() -> list[str]:
    return [spec.name for spec in COMMANDS if spec.admin]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """setMyCommands for each language, members in every chat and admins in groups."""
    scopes = (
        (BotCommandScopeDefault(), False),
        (BotCommandScopeAllPrivateChats(), False),
        (BotCommandScopeAllGroupChats(), False),
        (BotCommandScopeAllChatAdministrators(), True),
    )
    languages: list[str | None] = [None, *i18n.available_locales]
    for scope, admin in scopes:
        for language in languages:
            with i18n.context(), i18n.use_locale(language or i18n.default_locale):
                commands = [
                    BotCommand(command=spec.name, description=str(spec.description))
                    for spec in commands_for(admin=admin)
                ]
            await bot.set_my_commands(commands, scope=scope, language_code=language)
