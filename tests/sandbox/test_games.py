"""sendPoll, stopPoll and sendDice as the Bot API documents them, errors included; a member's
answer to a non-anonymous quiz becomes the `poll_answer` update, refused as a client refuses
a second vote or a vote on a closed poll; dice values within each emoji's range, fixed for a
test when asked."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.client import SandboxError
from sandbox.games_client import answer_poll, fix_dice, poll_state
from tests.sandbox.test_server import call


def options(*texts: str) -> list[dict[str, str]]:
    return [{"text": text} for text in texts]


async def test_a_quiz_poll_is_answered_and_stopped_once(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner, members=[fan])
    status, sent = await call(
        url, "sendPoll", chat_id=group.id, question="Tea?", options=options("Yunnan", "Fujian"),
        type="quiz", is_anonymous=False, correct_option_ids=[0], explanation="Yunnan",
    )  # fmt: skip
    assert status == 200
    poll = sent["result"]["poll"]
    assert (poll["type"], poll["is_anonymous"], poll["correct_option_ids"]) == ("quiz", False, [0])
    assert poll["allows_revoting"] is False
    answered = await answer_poll(sandbox, poll["id"], fan, [1])
    assert answered["update_id"] is not None
    assert answered["poll"]["options"][1]["voter_count"] == 1
    _, updates = await call(url, "getUpdates", allowed_updates=["poll_answer"])
    (update,) = [u for u in updates["result"] if "poll_answer" in u]
    assert update["poll_answer"]["option_ids"] == [1]
    assert update["poll_answer"]["user"]["id"] == fan.id
    refused = await _refused(answer_poll(sandbox, poll["id"], fan, [0]))
    assert "voted already" in refused

    message_id = sent["result"]["message_id"]
    status, stopped = await call(url, "stopPoll", chat_id=group.id, message_id=message_id)
    assert (status, stopped["result"]["is_closed"]) == (200, True)
    status, again = await call(url, "stopPoll", chat_id=group.id, message_id=message_id)
    assert (status, again["description"]) == (400, "Bad Request: poll has already been closed")
    assert (await poll_state(sandbox, poll["id"]))["poll"]["total_voter_count"] == 1
    assert "closed" in await _refused(answer_poll(sandbox, poll["id"], owner, [0]))


async def test_polls_are_refused_as_telegram_refuses_them(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)

    async def refusal(**params: Any) -> str:
        status, body = await call(url, "sendPoll", chat_id=group.id, **params)
        assert status == 400, body
        return str(body["description"])

    two = options("a", "b")
    assert await refusal(question="Q", options=[]) == "Bad Request: POLL_ANSWERS_INVALID"
    assert await refusal(question="Q", options=options(*"abcdefghijklm")) == (
        "Bad Request: POLL_ANSWERS_INVALID"
    )
    assert await refusal(question="", options=two) == "Bad Request: poll question must be non-empty"
    assert await refusal(question="Q", options=two, type="quiz") == (
        "Bad Request: wrong correct option ID specified"
    )
    assert await refusal(question="Q", options=two, type="quiz", correct_option_ids=[2]) == (
        "Bad Request: wrong correct option ID specified"
    )
    assert await refusal(question="Q", options=two, type="quiz", correct_option_ids=[1, 0]) == (
        "Bad Request: wrong correct option ID specified"
    )
    status, _ = await call(url, "sendPoll", chat_id=group.id, question="Q", options=options("a"))
    assert status == 200  # "a JSON-serialized list of 1-12 answer options"
    _, text = await call(url, "sendMessage", chat_id=group.id, text="no poll here")
    status, body = await call(
        url, "stopPoll", chat_id=group.id, message_id=text["result"]["message_id"]
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: message with poll to stop not found",
    )


async def test_dice_show_values_in_their_emojis_range(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await fix_dice(sandbox, 6, 64, 3)
    values = []
    for emoji in ("🎲", "🎰", "🏀"):
        _, sent = await call(url, "sendDice", chat_id=group.id, emoji=emoji)
        values.append(sent["result"]["dice"]["value"])
    assert values == [6, 64, 3]
    for _ in range(20):
        _, sent = await call(url, "sendDice", chat_id=group.id, emoji="⚽")
        assert 1 <= sent["result"]["dice"]["value"] <= 5
    status, body = await call(url, "sendDice", chat_id=group.id, emoji="🃏")
    assert (status, body["description"]) == (400, "Bad Request: DICE_EMOJI_INVALID")


async def _refused(call_: Any) -> str:
    with pytest.raises(SandboxError) as refused:  # the control's 400 and its reason
        await call_
    return str(refused.value)


async def test_a_quiz_may_take_several_answers_and_its_texts_are_parsed_as_asked(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner, members=[fan])
    status, sent = await call(
        url, "sendPoll", chat_id=group.id, question="3 < 5?",
        options=[{"text": "a < b", "text_parse_mode": None}, {"text": "b"}, {"text": "c"}],
        type="quiz", is_anonymous=False, allows_multiple_answers=True, correct_option_ids=[0, 1],
        explanation="1 < 2",
    )  # fmt: skip
    assert status == 200, sent
    poll = sent["result"]["poll"]
    assert (poll["question"], poll["options"][0]["text"]) == ("3 < 5?", "a < b")
    assert poll["allows_multiple_answers"] is True  # since Bot API 9.6, quizzes too
    answered = await answer_poll(sandbox, poll["id"], fan, [0, 1])
    assert answered["poll"]["total_voter_count"] == 1

    for field in ("question", "explanation"):
        params: dict[str, Any] = {"question": "Q", "explanation": "E", field: "3 < 5?"}
        status, body = await call(
            url, "sendPoll", chat_id=group.id, options=options("a", "b"), type="quiz",
            correct_option_ids=[0], **params, **{f"{field}_parse_mode": "HTML"},
        )  # fmt: skip
        assert status == 400
        assert body["description"].startswith("Bad Request: can't parse entities")
    status, body = await call(
        url, "sendPoll", chat_id=group.id, question="Q",
        options=[{"text": "a < b", "text_parse_mode": "HTML"}, {"text": "b"}],
    )  # fmt: skip
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities")
