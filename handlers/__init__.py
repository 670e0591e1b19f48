"""One router per feature; the order here is the order updates try them."""

from aiogram import Router

from handlers import errors, lifecycle, refusal, settings, start


def feature_routers() -> list[Router]:
    # `refusal` comes last: it answers admin commands that no admin-only router took.
    return [lifecycle.router, start.router, settings.router, refusal.router, errors.router]
