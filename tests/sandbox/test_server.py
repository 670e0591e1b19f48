"""The sandbox over real HTTP: Bot API replies, update delivery, limits and faults."""

from __future__ import annotations

import asyncio
import io
import json

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN, start_sandbox


async def call(
    base: str, method: str, token: str = DEFAULT_TOKEN, **params: object
) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/bot{token}/{method}", json=params) as r,
    ):
        return r.status, await r.json()


async def test_wrong_token_and_unknown_method_answer_like_telegram(server) -> None:
    url, _ = server
    assert await call(url, "getMe", token="1:wrong") == (
        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    )  # fmt: skip
    status, body = await call(url, "sendTelepathy")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await call(url, "getMe")
    assert status == 200
    assert body["result"]["is_bot"] is True


async def test_form_encoded_and_multipart_bodies_are_read(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(group.id))
    form.add_field("caption", "<b>report</b>")
    form.add_field("parse_mode", "HTML")
    form.add_field("document", b"a,b\n1,2\n", filename="report.csv", content_type="text/csv")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/bot{DEFAULT_TOKEN}/sendDocument", data=form) as response:
            body = await response.json()
        async with http.post(
            f"{url}/bot{DEFAULT_TOKEN}/sendMessage",
            data={"chat_id": str(group.id), "text": "plain"},
        ) as response:
            assert (await response.json())["result"]["text"] == "plain"
    document = body["result"]["document"]
    assert document["file_name"] == "report.csv"
    assert await sandbox.file(document["file_id"]) == b"a,b\n1,2\n"
    assert body["result"]["caption"] == "report"


async def test_get_updates_long_polls_and_confirms_by_offset(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    waiting = asyncio.create_task(call(url, "getUpdates", timeout=10))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await sandbox.send(group, owner, "/start")
    _, body = await waiting
    first = body["result"][0]
    assert first["message"]["text"] == "/start"
    assert first["message"]["entities"][0]["type"] == "bot_command"
    _, again = await call(url, "getUpdates")
    assert again["result"][0]["update_id"] == first["update_id"]  # not confirmed yet
    _, after = await call(url, "getUpdates", offset=first["update_id"] + 1)
    assert after["result"] == []


async def test_a_newer_get_updates_ends_the_older_with_409(server) -> None:
    url, _ = server
    older = asyncio.create_task(call(url, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    await call(url, "getUpdates", timeout=0)
    status, body = await older
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_chat_member_updates_need_to_be_asked_for(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner)
    assert (await sandbox.set_member_status(group, fan, "member"))["update_id"] is None
    await call(url, "getUpdates", allowed_updates=["message", "chat_member"])
    joined = await sandbox.set_member_status(group, await sandbox.create_user("Late"), "member")
    assert joined["update_id"] is not None


async def test_privacy_mode_hides_ordinary_messages_from_a_member_bot(server) -> None:
    _, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner, bot="member")
    assert (await sandbox.send(group, owner, "hello everyone"))["update_id"] is None
    assert (await sandbox.send(group, owner, "/start"))["update_id"] is not None
    admin_group = await sandbox.create_group(creator=owner)
    assert (await sandbox.send(admin_group, owner, "hello everyone"))["update_id"] is not None


async def test_sending_checks_chat_rights_and_targets(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner, bot="member", bot_rights={})
    assert (await call(url, "sendMessage", chat_id=-42, text="x"))[1][
        "description"
    ] == "Bad Request: chat not found"
    status, body = await call(
        url, "sendMessage", chat_id=group.id, text="x", reply_to_message_id=999
    )
    assert body["description"] == "Bad Request: message to be replied not found"
    _, sent = await call(url, "sendMessage", chat_id=group.id, text="pin me")
    status, body = await call(
        url, "pinChatMessage", chat_id=group.id, message_id=sent["result"]["message_id"]
    )
    assert status == 400
    assert "not enough rights" in body["description"]
    status, body = await call(url, "editMessageText", chat_id=group.id, message_id=999, text="y")
    assert body["description"] == "Bad Request: message to edit not found"
    status, body = await call(
        url,
        "editMessageText",
        chat_id=group.id,
        message_id=sent["result"]["message_id"],
        text="pin me",
    )
    assert body["description"].startswith("Bad Request: message is not modified")
    await sandbox.set_bot_status(group, "kicked", by=owner)
    status, body = await call(url, "sendMessage", chat_id=group.id, text="x")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot was kicked from the supergroup chat",
    )


async def test_private_chats_need_the_user_to_start_the_bot(server) -> None:
    url, sandbox = server
    fan = await sandbox.create_user("Fan")
    status, _ = await call(url, "sendMessage", chat_id=fan.id, text="hi")
    assert status == 400  # no such chat yet
    await sandbox.send_private(fan, "/start")
    assert (await call(url, "sendMessage", chat_id=fan.id, text="hi"))[0] == 200


async def test_flood_limits_answer_429_with_retry_after(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.set_limits(chat_per_sec=1)
    assert (await call(url, "sendMessage", chat_id=group.id, text="one"))[0] == 200
    status, body = await call(url, "sendMessage", chat_id=group.id, text="two")
    assert status == 429
    assert body["parameters"]["retry_after"] >= 1
    assert (await sandbox.stats())["rejected_429"] == 1


async def test_group_limit_is_twenty_a_minute(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.set_limits(chat_per_sec=100)
    results = [
        (await call(url, "sendMessage", chat_id=group.id, text=f"m{i}"))[0] for i in range(21)
    ]
    assert results == [200] * 20 + [429]


async def test_faults_are_injected_for_the_next_matching_calls(server) -> None:
    url, sandbox = server
    await sandbox.add_fault("502", method="getMe", count=2)
    assert [(await call(url, "getMe"))[0] for _ in range(3)] == [502, 502, 200]


async def test_forged_buttons_need_the_forge_flag(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    markup = {"inline_keyboard": [[{"text": "Join", "callback_data": "join:1"}]]}
    _, sent = await call(
        url, "sendMessage", chat_id=group.id, text="draw", reply_markup=json.dumps(markup)
    )
    message_id = sent["result"]["message_id"]
    pressed = await sandbox.press(group.id, message_id, owner)
    status, body = await call(
        url, "answerCallbackQuery", callback_query_id=pressed["query_id"], text="ok"
    )
    assert body["result"] is True
    status, body = await call(url, "answerCallbackQuery", callback_query_id=pressed["query_id"])
    assert status == 400  # answered already
    with pytest.raises(Exception, match="no button with that data"):
        await sandbox.press(group.id, message_id, owner, data="join:999")
    assert (await sandbox.press(group.id, message_id, owner, data="join:999", forge=True))[
        "query_id"
    ]


async def test_webhook_delivery_sends_the_secret_and_retries_until_200() -> None:
    received: list[tuple[str | None, dict]] = []
    failures = [1]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            failures.pop()
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    hook_runner = web.AppRunner(app)
    await hook_runner.setup()
    site = web.TCPSite(hook_runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    runner, url = await start_sandbox()
    sandbox = SandboxClient(url)
    try:
        await call(url, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="abc")
        status, _body = await call(url, "getUpdates")
        assert status == 409
        owner = await sandbox.create_user("Owner")
        group = await sandbox.create_group(creator=owner)
        await sandbox.send(group, owner, "/start")
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.1)
        assert received[0][0] == "abc"
        assert received[0][1]["message"]["text"] == "/start"
    finally:
        await sandbox.close()
        await runner.cleanup()
        await hook_runner.cleanup()


async def test_a_members_picture_comes_in_sizes_the_bot_can_download_and_send_again(
    server,
) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    picture = io.BytesIO()
    Image.new("RGB", (1280, 960), "white").save(picture, "JPEG")
    sent = await sandbox.send(group, owner, photo=("tea.jpg", picture.getvalue()), caption="Tea")
    sizes = sent["message"]["photo"]
    assert [(size["width"], size["height"]) for size in sizes] == [(90, 68), (1280, 960)]
    assert len({size["file_id"] for size in sizes}) == 2
    _, got = await call(url, "getFile", file_id=sizes[-1]["file_id"])
    assert got["result"]["file_path"].startswith("photos/")
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/file/bot{DEFAULT_TOKEN}/{got['result']['file_path']}") as response,
    ):
        assert await response.read() == picture.getvalue()
    _, resent = await call(url, "sendPhoto", chat_id=group.id, photo=sizes[-1]["file_id"])
    assert resent["result"]["photo"][-1]["file_unique_id"] == sizes[-1]["file_unique_id"]
