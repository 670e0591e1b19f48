"""The typed keys under which the web finds, on its aiohttp application, what it shares with
the bot's handlers (the same objects, built once by `bot/app.py`). Light on purpose: the
composition root names them without importing the web's pages."""

from aiogram.utils.i18n import I18n
from aiohttp import web

from infrastructure.admins import AdminCache
from scheduler.core import Scheduler
from workflows.topics import ForumTopics

I18N = web.AppKey("i18n", I18n)
ADMIN_CACHE = web.AppKey("admin_cache", AdminCache)
SCHEDULER = web.AppKey("scheduler", Scheduler)
FORUM_TOPICS = web.AppKey("forum_topics", ForumTopics)
