"""One router per feature, built fresh for each dispatcher, tried by updates in this order."""

from aiogram import Router
from aiogram.types import Message

from handlers import (  # `menu` lists the commands (usage replies, /help) before a handler runs
    admin_tools,
    boosts,
    campaigns,
    captcha,
    channels,
    checkin,
    console,
    distributors,
    draw_dialogue,
    draws,
    events,
    faq,
    games,
    group_buys,
    guess,
    jielong,
    labels,
    lifecycle,
    locks,
    member_import,
    member_rights,
    menu,  # noqa: F401
    moderation,
    orders,
    points,
    posts,
    private,
    programs,
    pushes,
    quests,
    raids,
    reactions,
    referrals,
    refusal,
    reports,
    seasons,
    settings,
    shop,
    shop_private,
    staff,
    standing,
    start,
    stats,
    tiers,
    topics,
    vip,
    vip_membership,
    welcome,
)
from infrastructure.filters import addressed, is_command, refuses_chatter
from infrastructure.middlewares.commands import CommandMiddleware
from infrastructure.table import CommandTable


def feature_routers() -> list[Router]:
    # Routers that only take commands sit under one parent whose filter is a single cheap
    # check: most group messages are chatter, and each router passed costs a propagation.
    commands = CommandTable(name="commands")  # each command tried only where it is declared
    commands.message.filter(is_command)
    commands.message.middleware(CommandMiddleware())  # sender-only scope; `once` handlers
    # `refusal` comes last: it answers admin commands that no admin-only handler took.
    commands.include_routers(
        private.create_router(),  # a group's commands sent privately: none reaches a feature
        welcome.create_router(),  # its /start rules<chat> (the Rules button) before `start`
        shop.create_router(),  # its /start r<id> and /start coupons, before `start`
        orders.create_router(),
        member_import.create_router(),  # its buttons' callback queries pass the filter too
        pushes.create_router(),  # its buttons' callback queries pass the message-only filter
        member_rights.create_router(),  # its /start mydata and /start forgetme, before `start`
        distributors.create_router(),  # its /start commission, before `start`
        jielong.create_router(),  # its buttons' callback queries pass the filter too
        group_buys.create_router(),  # its buttons' callback queries pass the filter too
        start.create_router(),  # every other /start, deep link or not
        settings.create_router(),
        console.create_router(),
        staff.create_router(),
        points.create_router(),
        standing.create_router(),
        tiers.create_router(),
        draws.create_router(),  # its button's callback queries pass the message-only filter
        faq.create_router(),
        referrals.create_router(),
        channels.create_router(),
        posts.create_router(),
        campaigns.create_router(),
        boosts.create_router(),  # its boost updates pass the message-only filter
        reactions.create_router(),  # before `topics`: it pays, then passes reactions on
        topics.create_router(),  # its reactions pass the message-only filter
        games.create_router(),  # its buttons and poll answers pass the message-only filter
        guess.create_router(),
        events.create_router(),  # its /export attendees before `stats`' /export; its buttons
        quests.create_router(),
        seasons.create_router(),
        stats.create_router(),
        vip.create_router(),  # its join requests (in VIP rooms) before moderation's
        vip_membership.create_router(),  # its pre-checkout queries pass the filter too
        # Late: its dozen commands are rare, and every command before them passes their filters.
        moderation.create_router(),  # its buttons and join requests pass the filter too
        programs.create_router(),  # its buttons' callback queries pass the filter too
        admin_tools.create_router(),
        locks.create_router(),
        reports.create_router(),  # its buttons (in admins' private chats) pass the filter too
        raids.create_router(),
        captcha.create_router(),
        labels.create_router(),
        refusal.create_router(),
    )
    # Plain messages that may be for the bot — a reply (the prize asked by `/draw`) or a
    # question (the FAQ) — are a few percent of chatter: one cheap filter skips both routers.
    addressed = Router(name="addressed")
    addressed.message.filter(may_be_for_the_bot)
    addressed.include_routers(
        draw_dialogue.create_router(),
        shop_private.create_note_router(),
        orders.create_file_router(),
        faq.create_question_router(),
        reports.create_mention_router(),  # a reply naming @admin
    )
    # `checkin` takes plain messages too (its keywords), so it sits outside `commands`.
    return [
        lifecycle.create_router(),
        commands,
        vip_membership.create_payment_router(),  # Stars payments: service messages, not commands
        captcha.create_answer_router(),  # a private answer to a join request's brand question
        events.create_keyword_router(),  # an online session's draw keyword, before sign-in's
        checkin.create_router(),
        addressed,
        refusal.create_button_router(),
    ]


@refuses_chatter
async def may_be_for_the_bot(message: Message) -> bool:
    return addressed(message)
