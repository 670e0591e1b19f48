"""One router per feature, built fresh for each dispatcher, tried by updates in this order."""

from aiogram import Router

from handlers import errors, lifecycle, refusal, settings, start


def feature_routers() -> list[Router]:
    # `refusal` comes last: it answers admin commands that no admin-only handler took.
    return [
        lifecycle.create_router(),
        start.create_router(),
        settings.create_router(),
        refusal.create_router(),
        errors.create_router(),
    ]
