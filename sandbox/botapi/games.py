"""Polls and dice: sendPoll (regular and quiz), stopPoll and sendDice, as the Bot API 10.3
documents them; a member's answer (`sandbox/games_control.py`) becomes the `poll_answer`
update Telegram sends for a non-anonymous poll. The error texts are Telegram's where known
("wrong correct option ID specified", "poll has already been closed")."""

from __future__ import annotations

import json
import random
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sandbox import validation
from sandbox.botapi.core import BotApi, Params, method
from sandbox.errors import bad_request
from sandbox.world import World

# Each emoji's values (sendDice): 1-6 for 🎲 🎯 🎳, 1-5 for 🏀 ⚽, 1-64 for 🎰.
DICE = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}


@dataclass
class Poll:
    chat_id: int
    message_id: int
    poll: dict[str, Any]  # the Poll object, shared with the message that carries it
    voters: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class Games:
    """The polls a world's bot sent, and the dice values a test fixed in advance."""

    polls: dict[str, Poll] = field(default_factory=dict)
    next_dice: list[int] = field(default_factory=list)
    poll_ids: int = 0


_GAMES: weakref.WeakKeyDictionary[World, Games] = weakref.WeakKeyDictionary()


def games_of(world: World) -> Games:
    games = _GAMES.get(world)
    if games is None:
        games = _GAMES[world] = Games()
    return games


def _json(params: Params, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


def _flag(params: Params, name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _options(params: Params) -> list[str]:
    options = _json(params, "options")
    if not isinstance(options, list):
        raise bad_request("can't parse options JSON object")
    if not 1 <= len(options) <= 12:  # "A JSON-serialized list of 1-12 answer options"
        raise bad_request("POLL_ANSWERS_INVALID")
    texts = []
    for option in options:
        text = option.get("text") if isinstance(option, dict) else option
        mode = option.get("text_parse_mode") if isinstance(option, dict) else None
        if isinstance(text, str):
            text = validation.visible_text(text, mode)  # "can't parse entities" as Telegram
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            raise bad_request("POLL_ANSWER_INVALID")
        texts.append(text)
    if len(set(texts)) != len(texts):
        raise bad_request("POLL_ANSWERS_INVALID")
    return texts


def _correct(params: Params, count: int) -> list[int]:
    correct = _json(params, "correct_option_ids")
    if correct is None and params.get("correct_option_id") is not None:  # deprecated: one id
        correct = [int(params["correct_option_id"])]
    if (
        not isinstance(correct, list)
        or not correct
        or not all(isinstance(i, int) and 0 <= i < count for i in correct)
        or correct != sorted(set(correct))  # "monotonically increasing"
    ):
        raise bad_request("wrong correct option ID specified")
    return correct


@method("sendPoll")
async def send_poll(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    question = params.get("question")
    if isinstance(question, str):
        question = validation.visible_text(question, params.get("question_parse_mode"))
    if not isinstance(question, str) or not question.strip():
        raise bad_request("poll question must be non-empty")
    if len(question) > 300:
        raise bad_request("poll question length must not exceed 300")
    options = _options(params)
    kind = params.get("type") or "regular"
    if kind not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    anonymous = _flag(params, "is_anonymous", True)
    if chat.type == "channel" and not anonymous:
        raise bad_request("non-anonymous polls can't be sent to channel chats")
    correct = _correct(params, len(options)) if kind == "quiz" else None
    explanation = params.get("explanation")
    if isinstance(explanation, str):
        explanation = validation.visible_text(explanation, params.get("explanation_parse_mode"))
    if explanation is not None and (
        not isinstance(explanation, str) or len(explanation) > 200 or explanation.count("\n") > 2
    ):
        raise bad_request("explanation is too long")
    open_period, close_date = params.get("open_period"), params.get("close_date")
    if open_period is not None and close_date is not None:
        raise bad_request("can't use open_period and close_date together")
    if open_period is not None and not 5 <= int(open_period) <= 2_628_000:
        raise bad_request("wrong open period specified")
    games = games_of(api.world)
    games.poll_ids += 1
    poll_id = str(5_000_000_000_000_000_000 + games.poll_ids)
    poll: dict[str, Any] = {
        "id": poll_id,
        "question": question,
        "options": [
            {"persistent_id": str(i), "text": text, "voter_count": 0}
            for i, text in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": _flag(params, "is_closed", False),
        "is_anonymous": anonymous,
        "type": kind,
        # Since Bot API 9.6 a quiz may allow several answers too (all correct ones to win).
        "allows_multiple_answers": _flag(params, "allows_multiple_answers", False),
        "allows_revoting": _flag(params, "allows_revoting", kind == "regular"),
        "members_only": False,
    }
    if correct is not None:  # sent by the bot: the bot sees the correct options
        poll["correct_option_ids"] = correct
        if explanation:
            poll["explanation"] = explanation
    if open_period is not None:
        poll["open_period"] = int(open_period)
    validation.check_reply_markup(params.get("reply_markup"))
    message = api.post(chat, params, "sendPoll", poll=poll)
    games.polls[poll_id] = Poll(chat.id, message["message_id"], poll)
    api.world.record("poll", chat_id=chat.id, message_id=message["message_id"], poll_id=poll_id,
                     question=question, poll_type=kind, correct=correct)  # fmt: skip
    return message


@method("stopPoll")
async def stop_poll(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    message = api.live_message(chat, params.get("message_id"), "message to stop poll not found")
    poll = message.get("poll")
    if poll is None or message.get("from", {}).get("id") != api.world.bot.id:
        raise bad_request("message with poll to stop not found")
    if poll["is_closed"]:
        raise bad_request("poll has already been closed")
    poll["is_closed"] = True
    if params.get("reply_markup") is not None:
        message["reply_markup"] = validation.check_reply_markup(params.get("reply_markup"))
    api.world.record("poll_stopped", chat_id=chat.id, message_id=message["message_id"],
                     poll_id=poll["id"])  # fmt: skip
    return poll


@method("sendDice")
async def send_dice(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    emoji = params.get("emoji") or "🎲"
    if emoji not in DICE:
        raise bad_request("DICE_EMOJI_INVALID")
    games = games_of(api.world)
    fixed = [v for v in games.next_dice[:1] if 1 <= v <= DICE[emoji]]
    if games.next_dice:
        games.next_dice.pop(0)
    value = fixed[0] if fixed else random.randint(1, DICE[emoji])  # a game
    message = api.post(chat, params, "sendDice", dice={"emoji": emoji, "value": value})
    api.world.record("dice", chat_id=chat.id, message_id=message["message_id"], emoji=emoji,
                     value=value, at=time.time())  # fmt: skip
    return message
