"""Every HTTP endpoint fanbot serves, under Hypothesis: the webhook's server as production builds
it (`add_webhook_routes`: Telegram's updates, /shop/orders, the console, the draw pages, the
Mini App) on a real port, a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set) and the sandbox as Telegram. Requests to every route the router holds, with random bytes,
encodings, header values (non-ASCII, huge), sizes, numbers (huge, floats, booleans, null) and
nesting, with good credentials and bad: never a 5xx, never an error in the log, and `fanbot
audit` clean afterwards."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import numpy  # noqa: F401  (see below)
import pytest
from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from bot.app import Resources, create_bot, create_dispatcher
from bot.cli import _audit
from bot.serve import _largest_body, add_webhook_routes, runner_for
from infrastructure.config import Settings, load_settings
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN, start_sandbox
from services.chats import ChatService
from services.factory import ServiceFactory
from services.members import ensure_members
from services.reward_specs import reward_spec
from services.shop_signature import signature
from tests.support.processes import free_port
from web.auth import Keys, sign_init_data

# numpy is imported before the fuzz runs: the bot under test draws a chart in a worker thread,
# which imports matplotlib and numpy lazily, and Hypothesis looks numpy up in sys.modules on every
# draw; a half-imported numpy there failed a run with "partially initialized module".

HOOK_SECRET, SHOP_SECRET = "hook-secret-0123456789", "shop-secret-0123456789"
FIELDS = ["group", "reward", "key", "order_id", "buyer", "amount", "status", "paid_at", "coupon",
          "refunded", "update_id", "message", "csrf", "count", "prefix", "name", "price", "kind",
          "stock", "timezone", "language", "points.message", "checkin.base", "referral",
          "cadence.morning", "q", "sort", "after", "days", "lang", "said", "id", "n"]  # fmt: skip
COMMANDS = ["me", "top", "shop", "redeem", "bind", "checkin", "draw", "points", "order", "settings"]
BUTTONS = ["claim", "draw", "item", "redeem", "shop", "coupon", "push", "unsub", "verify", "top",
           "checkin", "newdraw"]  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["é", "é.é", "sha256=é", "\ud800", "%C3%A9", "中文", "٣", "²", "-0", "1e9",
                     "99999999999999999999", "-99999999999999999999", "1" * 5000, "0", "0.00",
                     "NaN", "null", "true", "../../etc/passwd", "=cmd|' /C calc'!A0", "x" * 9000]),
)  # fmt: skip
NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
JSON = st.recursive(
    st.one_of(NUMBERS, HOSTILE_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=6)), inner, max_size=6),
    ),
    max_leaves=12,
)
# Header values a client can send at all (no line breaks), of any script and up to 9 KB.
HEADER = st.one_of(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=80),
    st.sampled_from(["é", "é.é", "sha256=é" + "0" * 63, "x" * 9000, "", " "]),
)
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=fuzz", "multipart/form-data", "text/plain",
                 "application/json; charset=gbk", "é"]  # fmt: skip


@dataclass
class Served:
    url: str
    settings: Settings
    routes: list[tuple[str, AbstractResource]]
    ids: dict[str, list[str]]  # a route variable's real values (a group's, a reward's…)
    session_cookie: str
    csrf: str
    link: str
    init_data: str


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    runner, api = await start_sandbox()
    telegram = SandboxClient(api)
    admin = await telegram.create_user("Ada", "ada_admin", "en")
    fan = await telegram.create_user("Cleo", "cleo_fan", "zh")
    group = await telegram.create_group("Fans", creator=admin, members=[fan])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = load_settings(
        bot_token=DEFAULT_TOKEN, database_url=database_url, owner_ids=str(admin.id),
        telegram_api_url=api, webhook_url=f"{url}/telegram", webhook_secret=HOOK_SECRET,
        shop_webhook_secret=SHOP_SECRET, web_url=url, webhook_host="127.0.0.1",
        webhook_port=port,
    )  # fmt: skip
    services = Resources.create(config)
    reward = await seed(services, group.id, admin.id, fan.id)
    bot = create_bot(config, services)
    dispatcher = create_dispatcher(services)
    app = web.Application(client_max_size=_largest_body(config))
    add_webhook_routes(app, config, services, bot, dispatcher)
    server = runner_for(app)
    await server.setup()
    await web.TCPSite(server, "127.0.0.1", port).start()
    keys = Keys(DEFAULT_TOKEN)
    cookie = keys.session_cookie(admin.id, time.time())
    session = keys.read_session(cookie, time.time())
    assert session is not None
    link, _nonce = keys.login_link(admin.id, time.time())
    user = json.dumps({"id": fan.id, "first_name": "Cleo", "language_code": "zh"})
    init = sign_init_data(
        {"auth_date": str(int(time.time())), "query_id": "Q", "user": user},
        DEFAULT_TOKEN,
    )
    routes = [(route.method, route.resource) for route in app.router.routes()
              if route.resource is not None and route.method != "HEAD"]  # fmt: skip
    ids = {"chat": [str(group.id)], "user": [str(fan.id), str(admin.id)],
           "reward": [str(reward)], "draw": ["1"], "post": ["1"], "topic": ["1"],
           "redemption": ["1"], "token": [link],
           "kind": ["members", "ledger", "orders"]}  # fmt: skip
    try:
        yield Served(url, config, routes, ids, cookie, session.csrf, link, init)
    finally:
        await server.cleanup()
        await services.close()
        await telegram.close()
        await runner.cleanup()
    assert await _audit(config) == 0  # `fanbot audit`: every balance and the shop add up


async def seed(services: Resources, group: int, admin: int, fan: int) -> int:
    """The group as the bot records it, its two members, 100 points for the fan, and a reward."""
    async with services.session_pool() as db, db.begin():
        await ChatService(db, services.clock, "Asia/Shanghai").ensure(group, "supergroup", "Fans")
        await ensure_members(db, [(group, admin), (group, fan)])
        factory = ServiceFactory(services.clock, "Asia/Shanghai", services.ladders)
        await factory.points(db).change(group, fan, 100, reason="admin", key="seed", actor=admin)
        spec = reward_spec("Tea", {"price": "10", "kind": "perk"}, [])
        return (await factory.shop(db).add(group, admin, spec)).id


def ServiceFactoryOf(services: Resources) -> Any:
    from services.factory import ServiceFactory

    return ServiceFactory(services.clock, services.settings.default_timezone, services.ladders)


def path_of(resource: AbstractResource, ids: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """An address this route takes: with real ids (past the checks), any its pattern matches,
    or, for the static files, any name at all."""
    info = resource.get_info()
    if "path" in info:
        return st.just(info["path"])
    if "prefix" in info:
        return st.text(max_size=30).map(lambda name: f"{info['prefix']}/{quote(name)}")
    formatter, pattern = info["formatter"], info["pattern"]
    names = re.findall(r"{(\w+)}", formatter)
    real = st.fixed_dictionaries(
        {name: st.sampled_from(ids.get(name, ["1"])) for name in names}
    ).map(lambda values: formatter.format(**{k: quote(v, safe="") for k, v in values.items()}))
    matching = st.from_regex(pattern, fullmatch=True).map(lambda path: quote(path, safe="/"))
    return st.one_of(real, matching)


def multipart(fields: dict[str, str], file: bytes) -> bytes:
    parts = [f'--fuzz\r\nContent-Disposition: form-data; name="{quote(k)}"\r\n\r\n{v}\r\n'
             .encode("utf-8", "surrogatepass") for k, v in fields.items()]  # fmt: skip
    parts.append(b'--fuzz\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n'
                 b"Content-Type: text/csv\r\n\r\n" + file + b"\r\n")  # fmt: skip
    return b"".join(parts) + b"--fuzz--\r\n"


@st.composite
def requests(draw: st.DrawFn, served: Served) -> tuple[str, str, dict[str, str], bytes]:
    method, resource = draw(st.sampled_from(served.routes))
    path = draw(path_of(resource, served.ids))
    query = draw(st.dictionaries(st.sampled_from(FIELDS), HOSTILE_TEXT, max_size=3))
    form = draw(st.dictionaries(st.sampled_from(FIELDS), HOSTILE_TEXT, max_size=5))
    if draw(st.booleans()):
        form["csrf"] = served.csrf
    document = draw(st.one_of(JSON, updates(served)))
    for name, real in (("group", "chat"), ("reward", "reward")):
        if isinstance(document, dict) and draw(st.booleans()):
            document[name] = int(served.ids[real][0])
    body = draw(st.one_of(
        st.just(json.dumps(document).encode()),
        st.just(urlencode(form, encoding="utf-8", errors="surrogatepass").encode()),
        st.binary(max_size=300).map(lambda file: multipart(form, file)),
        st.binary(max_size=300),
        st.integers(1, 40_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.just(b""),
    ))  # fmt: skip
    stamp = str(int(time.time()))
    good = {
        "Cookie": f"fanbot_session={served.session_cookie}",
        "Origin": served.url,
        "Authorization": f"tma {served.init_data}",
        "X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET,
        "X-Fanbot-Timestamp": stamp,
        "X-Fanbot-Signature": signature(SHOP_SECRET, stamp, body),
        "Content-Type": draw(st.sampled_from(CONTENT_TYPES)),
        "Accept-Language": "zh-CN,zh;q=0.9",
    }
    # Mostly good credentials (to reach what is behind them), a few headers hostile or missing.
    hostile = draw(st.sets(st.sampled_from(sorted(good)), max_size=2))
    missing = draw(st.sets(st.sampled_from(sorted(good)), max_size=1))
    headers = {name: draw(HEADER) if name in hostile else value
               for name, value in good.items() if name not in missing}  # fmt: skip
    target = path + ("?" + urlencode(query, errors="surrogatepass") if query else "")
    return method, target, headers, body


@st.composite
def updates(draw: st.DrawFn, served: Served) -> dict[str, Any]:
    """A message or a button press in the group, as Telegram would post it to the webhook, with
    hostile text or data."""
    chat = {"id": int(served.ids["chat"][0]), "type": "supergroup", "title": "Fans"}
    sender = {"id": int(draw(st.sampled_from(served.ids["user"]))), "is_bot": False,
              "first_name": draw(HOSTILE_TEXT), "language_code": "en"}  # fmt: skip
    said, command, prefix = draw(HOSTILE_TEXT), draw(st.sampled_from(COMMANDS)), draw(
        st.sampled_from(BUTTONS))  # fmt: skip
    message = {"message_id": draw(st.integers(1, 2**31)), "date": 1_800_000_000,
               "chat": chat, "from": sender,
               "text": draw(st.sampled_from([said, f"/{command} {said}"]))}  # fmt: skip
    if draw(st.booleans()):
        return {"update_id": draw(st.integers(1, 2**31)), "message": message}
    press = {"id": "1", "from": sender, "chat_instance": "1", "message": message,
             "data": draw(st.sampled_from([said, f"{prefix}:{said}"]))}  # fmt: skip
    return {"update_id": draw(st.integers(1, 2**31)), "callback_query": press}


class Errors(logging.Handler):
    """The records at ERROR or worse (a traceback in the log is one of them)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[Errors]:
    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@settings(
    max_examples=250, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)  # fmt: skip
@given(data=st.data())
async def test_any_request_to_any_endpoint_gets_an_answer_below_500(
    served: Served, errors: Errors, data: st.DataObject
) -> None:
    method, target, headers, body = data.draw(requests(served))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http, http.request(
        method, URL(served.url + target, encoded=True), headers=headers, data=body,
        allow_redirects=False, skip_auto_headers=["Content-Type"],
    ) as answer:  # fmt: skip
        text = await answer.read()
    assert answer.status < 500, (method, target, answer.status, text[:300])
    assert b"Traceback" not in text
    logged = [record.getMessage() for record in errors.records]
    errors.records.clear()
    assert logged == [], (method, target, logged)


async def test_a_command_deleted_before_its_answer_is_answered_without_the_reply(
    served: Served, errors: Errors
) -> None:
    """Its sender (or a guard) deleted /me before the bot answered: Telegram would refuse a
    reply to it, so every reply asks to be sent anyway, and the update does not fail."""
    chat, fan = int(served.ids["chat"][0]), int(served.ids["user"][0])
    update = {"update_id": 7, "message": {
        "message_id": 999_999, "date": int(time.time()),
        "chat": {"id": chat, "type": "supergroup", "title": "Fans"},
        "from": {"id": fan, "is_bot": False, "first_name": "Cleo", "language_code": "en"},
        "text": "/me", "entities": [{"type": "bot_command", "offset": 0, "length": 3}],
    }}  # fmt: skip
    async with SandboxClient(served.settings.telegram_api_url) as telegram:
        async with aiohttp.ClientSession() as http, http.post(
            served.url + "/telegram", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET},
        ) as answer:  # fmt: skip
            assert answer.status == 200
        # The card, to the group or to Cleo alone (an ephemeral answer): found by its first
        # line, since a scheduled nudge may go to the group meanwhile.
        (sent,) = await telegram.wait_for(
            lambda e: (
                e["kind"] in ("sent", "ephemeral")
                and e["chat_id"] == chat
                and e["text"].splitlines()[0] == "Cleo"
            )
        )
    assert sent["reply_to"] is None
    assert [record.getMessage() for record in errors.records] == []
