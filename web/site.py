"""The web's plumbing: templates, the language of a request, sessions, CSRF and the headers
every page carries. The pages themselves are in web/console.py, web/draws.py, web/miniapp.py.

Each page is wrapped by `Site.page` rather than an aiohttp middleware: in webhook mode the
pages share the webhook's server, and Telegram's updates must not pass through any of this.
"""

from __future__ import annotations

import html
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiohttp import web
from aiohttp.web_request import FileField
from jinja2 import Environment, FileSystemLoader, select_autoescape
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.admins import AdminCache
from infrastructure.config import Settings
from infrastructure.console_access import ConsoleAccess
from infrastructure.throttle import MemoryThrottle, RedisThrottle, Throttle, Verdict
from services.chats import LANGUAGES
from services.factory import ServiceFactory
from services.redemptions import RedemptionGroupCommit
from services.reward_codes import MAX_FILE_BYTES
from services.untrusted import same_secret
from web import filters
from web.auth import Keys, Session

HERE = Path(__file__).resolve().parent
COOKIE = "fanbot_session"
LANGUAGE_COOKIE = "fanbot_lang"
LOGIN_LIMIT = (10, 60.0)  # login attempts per address per minute
# A console form's largest body: an event's photo (a file of codes, as /reward codes takes it, is
# smaller) and the form around it.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_REQUEST = max(MAX_FILE_BYTES, MAX_PHOTO_BYTES) + 64 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The console's pages: scripts and styles of our own only; Telegram's widget is the one
# outside script, and its login frame the one outside frame.
CONSOLE_POLICY = (
    "default-src 'self'; script-src 'self' https://telegram.org; "
    "frame-src https://oauth.telegram.org; img-src 'self' data: https://t.me; "
    "style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The Mini App runs inside Telegram's own frame (Telegram Web shows it in an iframe); reward
# photos are fetched with initData and shown as blob: URLs.
MINI_APP_POLICY = (
    "default-src 'self'; script-src 'self' https://telegram.org; img-src 'self' data: blob:; "
    "style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def plain(telegram_html: str) -> str:
    """A reply the bot would send as Telegram HTML, as text for a page to show as text."""
    return html.unescape(re.sub(r"<[^>]+>", "", telegram_html))


@dataclass
class Site:
    settings: Settings
    bot: Bot
    i18n: I18n
    admin_cache: AdminCache
    pool: async_sessionmaker[AsyncSession]
    domain: ServiceFactory
    redeeming: RedemptionGroupCommit
    keys: Keys
    templates: Environment
    logins: Throttle
    access: ConsoleAccess

    @classmethod
    def create(
        cls,
        settings: Settings,
        bot: Bot,
        i18n: I18n,
        admin_cache: AdminCache,
        pool: async_sessionmaker[AsyncSession],
        domain: ServiceFactory,
        redeeming: RedemptionGroupCommit,
    ) -> Site:
        templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),  # a member named <script> is text
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        templates.globals["static"] = lambda name: f"/static/web/{name}"
        filters.install(templates, domain.clock)
        templates.install_gettext_callables(  # type: ignore[attr-defined]
            lambda text: i18n.gettext(text),
            lambda singular, plural, n: i18n.gettext(singular, plural, n),
            newstyle=True,
        )
        redis = admin_cache.redis
        limit, window = LOGIN_LIMIT
        logins: Throttle = (
            RedisThrottle(redis, limit, window, prefix="fanbot:web-login:")
            if redis is not None
            else MemoryThrottle(limit, window)
        )
        token = settings.bot_token.get_secret_value()
        access = ConsoleAccess(admin_cache, bot, domain.clock)
        return cls(settings, bot, i18n, admin_cache, pool, domain, redeeming, Keys(token),
                   templates, logins, access)  # fmt: skip

    @property
    def secure(self) -> bool:
        return (self.settings.web_url or "").startswith("https://")

    def url(self, path: str) -> str:
        return f"{self.settings.web_url or ''}{path}"

    def language(self, request: web.Request) -> str:
        """?lang= (kept in a cookie), else the cookie, else the browser's, else the default."""
        for wanted in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
            if wanted in LANGUAGES:
                return wanted
        for part in request.headers.get("Accept-Language", "").split(","):
            code = part.split(";")[0].strip().split("-")[0].lower()
            if code in LANGUAGES:
                return code
        return self.settings.default_language

    def session(self, request: web.Request) -> Session | None:
        return self.keys.read_session(request.cookies.get(COOKIE), time.time())

    def page(self, handler: Handler, *, policy: str = CONSOLE_POLICY) -> Handler:
        """A page in the request's language, with the security headers and no caching."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            language = self.language(request)
            request["language"] = language
            with self.i18n.context(), self.i18n.use_locale(language):
                try:
                    response = await handler(request)
                except web.HTTPException as error:
                    response = error
            if response.prepared:
                return response  # a download, streamed: its headers are out already
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers["X-Content-Type-Options"] = "nosniff"
            # A one-time link is in the address bar: no other site may see it as a referrer
            # ("no-referrer" would make the browser send `Origin: null` with our own forms).
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers.setdefault("Cache-Control", "no-store")
            if request.query.get("lang") in LANGUAGES:
                response.set_cookie(LANGUAGE_COOKIE, request.query["lang"], max_age=31_536_000,
                                    samesite="Lax", secure=self.secure)  # fmt: skip
            if isinstance(response, web.HTTPException) and response.status >= 400:
                return self.error_page(request, response.status, response.text or "")
            return response

        return wrapped

    def render(
        self, request: web.Request, name: str, status: int = 200, **values: Any
    ) -> web.Response:
        session = request.get("session") or self.session(request)
        # The language links keep the page's query (its filters), but not a change's outcome.
        kept = {k: v for k, v in request.query.items() if k not in ("lang", "said", "id", "n")}
        switch = {code: "?" + urlencode({**kept, "lang": code}) for code in LANGUAGES}
        html = self.templates.get_template(name).render(
            language=request["language"], languages=LANGUAGES, language_links=switch,
            path=request.path, session=session, csrf=session.csrf if session else "",
            access=request.get("access"), **values,
        )  # fmt: skip
        return web.Response(text=html, content_type="text/html", status=status)

    def error_page(self, request: web.Request, status: int, reason: str) -> web.Response:
        return self.render(request, "error.html", status=status, status_code=status,
                           reason=reason.removeprefix(f"{status}: "))  # fmt: skip

    async def form(
        self, request: web.Request
    ) -> MultiDictProxy[str | bytes | bytearray | FileField]:
        """A console form's fields, once its session and CSRF token are checked."""
        session = self.session(request)
        if session is None:
            raise web.HTTPSeeOther("/console")
        form = await self.fields(request)
        self.check_form(request, form, session)
        return form

    async def fields(
        self, request: web.Request
    ) -> MultiDictProxy[str | bytes | bytearray | FileField]:
        """The body as a form: 413 past a file of codes' size, 400 for a body that is no form
        (aiohttp raises ValueError for a multipart body without its boundary)."""
        try:
            return await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise web.HTTPRequestEntityTooLarge(
                MAX_REQUEST,
                text=_("That is too large: a photo may be up to 5 MB, a file of codes 1 MB."),
            ) from None
        except ValueError:
            raise web.HTTPBadRequest(
                text=_("This form could not be read: reload the page.")
            ) from None

    def check_form(self, request: web.Request, form: Any, session: Session) -> None:
        """A form must carry its session's CSRF token and come from our own origin."""
        self.check_origin(request)
        if not same_secret(session.csrf, str(form.get("csrf", ""))):
            raise web.HTTPForbidden(text=_("This form is out of date: reload the page."))

    def check_origin(self, request: web.Request) -> None:
        """A post from another site's page is refused (a browser says whose page in `Origin`);
        one without `Origin` (an old browser, a script) is judged by its token alone."""
        if self.from_another_site(request):
            raise web.HTTPForbidden(text=_("This form came from another site."))

    def from_another_site(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if not origin or not self.settings.web_url:
            return False
        ours = urlparse(self.settings.web_url)
        return origin != f"{ours.scheme}://{ours.netloc}"

    async def login_allowed(self, request: web.Request) -> bool:
        address = request.remote or ""
        if address in ("127.0.0.1", "::1"):  # behind the proxy on this host: its word for it
            address = request.headers.get("X-Real-IP", address)
        return await self.logins.hit(zlib.crc32(address.encode())) is Verdict.ALLOW

    def log_in(self, response: web.StreamResponse, user_id: int) -> None:
        cookie = self.keys.session_cookie(user_id, time.time())
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="Lax", secure=self.secure,
                            path="/console", max_age=12 * 3600)  # fmt: skip

    def log_out(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/console")

    async def is_admin(self, user_id: int, chat_id: int) -> bool:
        """Asked of Telegram now (cached like the admin filter), never of the session."""
        return await self.access.is_admin(user_id, chat_id)
