"""The command menu: every command fanbot answers, in the order /help and the command menus
(setMyCommands) show them. Each feature declares its commands beside its router."""

from handlers import (
    admin_tools,
    campaigns,
    captcha,
    channels,
    checkin,
    console,
    draws,
    faq,
    labels,
    locks,
    moderation,
    orders,
    points,
    posts,
    programs,
    pushes,
    raids,
    referrals,
    reports,
    settings,
    shop,
    shop_admin,
    shop_private,
    staff,
    standing,
    start,
    stats,
    tiers,
    topics,
    welcome,
)
from infrastructure.commands import CommandSpec, use_commands

# A feature adds its `COMMANDS` where they read best. A few features' commands sit apart
# (member and admin ones, or /me and /top around /console): the order members have learned.
COMMANDS: tuple[CommandSpec, ...] = (
    *start.COMMANDS,
    *points.COMMANDS,
    *checkin.COMMANDS,
    standing.ME,
    *console.COMMANDS,
    *staff.COMMANDS,
    standing.TOP,
    *tiers.COMMANDS,
    draws.DRAWS,
    *referrals.COMMANDS,
    *topics.COMMANDS,
    *shop.COMMANDS,
    *orders.MEMBER_COMMANDS,
    *pushes.MEMBER_COMMANDS,
    *shop_private.COMMANDS,
    welcome.RULES,
    *moderation.MEMBER_COMMANDS,
    *reports.COMMANDS,
    *faq.COMMANDS,
    welcome.SETWELCOME,
    *posts.COMMANDS,
    *campaigns.COMMANDS,
    welcome.SETRULES,
    draws.VERIFY,
    draws.DRAW,
    *shop_admin.COMMANDS,
    *orders.ADMIN_COMMANDS,
    *pushes.ADMIN_COMMANDS,
    *labels.COMMANDS,
    *moderation.ADMIN_COMMANDS,
    *programs.COMMANDS,
    *admin_tools.COMMANDS,
    *locks.COMMANDS,
    *raids.COMMANDS,
    *channels.COMMANDS,
    *captcha.ADMIN_COMMANDS,
    *stats.COMMANDS,
    *settings.COMMANDS,
)

# The usage replies, /help and setMyCommands read the list in the layer below, which cannot
# import the handlers: it is handed down once, when the menu is first imported (the routers
# import it, so it is in place before any handler runs).
use_commands(COMMANDS)
