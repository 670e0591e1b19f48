"""One router per feature, built fresh for each dispatcher, tried by updates in this order."""

from aiogram import Router

from bot.filters import is_command
from handlers import (
    checkin,
    draw_dialogue,
    draws,
    faq,
    lifecycle,
    points,
    refusal,
    settings,
    standing,
    start,
    tiers,
    welcome,
)


def feature_routers() -> list[Router]:
    # Routers that only take commands sit under one parent whose filter is a single cheap
    # check: most group messages are chatter, and each router passed costs a propagation.
    commands = Router(name="commands")
    commands.message.filter(is_command)
    # `refusal` comes last: it answers admin commands that no admin-only handler took.
    commands.include_routers(
        welcome.create_router(),  # before `start`: /start rules<chat> is the Rules button
        start.create_router(),
        settings.create_router(),
        points.create_router(),
        standing.create_router(),
        tiers.create_router(),
        draws.create_router(),  # its button's callback queries pass the message-only filter
        faq.create_router(),
        refusal.create_router(),
    )
    # `checkin` takes plain messages too (its keywords), `draw_dialogue` the prize given as a
    # reply and `faq_questions` members' questions, so they sit outside `commands`.
    return [
        lifecycle.create_router(),
        commands,
        checkin.create_router(),
        draw_dialogue.create_router(),
        faq.create_question_router(),
    ]
