"""The moderation rules of a group (`/settings moderation`) and the guards' cheap checks: the
word filter's matching (made for Chinese), newcomers' links, the flood watch, and the sums a
newcomer solves. Pure: no database, no Telegram."""

from __future__ import annotations

import random
import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from services.clock import clock_time, parse_duration

ACTIONS = ("delete", "warn", "mute", "ban")  # what a word filter does to a match
VERIFY_MODES = ("off", "button", "math", "question")
NEWCOMER_HOURS = 24  # a member's first day, or until their 5th counted message
NEWCOMER_MESSAGES = 5
LIMIT_MUTE = timedelta(hours=24)  # what reaching the warning limit mutes for
MAX_FILTERS = 100
FLOOD_ON = (8, 10)  # what `/settings flood on` sets: more than 8 messages in 10 seconds
MODERATION_SECTIONS = ("verify", "flood", "links", "warns", "log_channel", "night")


def fold(text: str) -> str:
    """Text as the word filter compares it: full-width forms made half-width (NFKC), any case,
    and only letters and digits kept, so "加 微 信", "加.微.信" and "ＶＸ" match "加微信" and
    "vx". Chinese has no word boundaries: a filter matches anywhere inside."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class WordFilter:
    id: int
    word: str
    action: str
    folded: str


@dataclass(frozen=True, slots=True)
class NightMode:
    start: str  # "23:00", the chat's local time
    end: str


@dataclass(frozen=True, slots=True)
class ModerationRules:
    """`/settings moderation`: what the guards do in a group."""

    verify: str = "off"  # button, math, question (a join request: `services/captcha.py`) or off
    verify_seconds: int = 120
    # More than flood_messages in flood_seconds mutes; off (0) until turned on: a fan group
    # typing 1 1 1 for a draw or a sale's countdown is not spam (`/settings flood on`: 8 in 10 s)
    flood_messages: int = 0
    flood_seconds: int = 10
    flood_mute: int = 600  # seconds
    links: bool = True  # newcomers' links, channel forwards and bot mentions are deleted
    allow: tuple[str, ...] = ()  # domains newcomers may link to
    warn_limit: int = 3
    warn_action: str = "mute"  # or ban
    log_channel: int | None = None
    night: NightMode | None = None
    filters: tuple[WordFilter, ...] = ()

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "verify_seconds": (30, 3600),
        "flood_messages": (0, 100),
        "flood_seconds": (2, 300),
        "flood_mute": (60, 7 * 86_400),
        "warn_limit": (1, 20),
    }
    WARN_ACTIONS: ClassVar[tuple[str, ...]] = ("mute", "ban")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ModerationRules:
        stored = settings.get("moderation") or {}
        if not stored:
            return DEFAULT_RULES
        defaults = cls()
        night = stored.get("night")
        return cls(
            verify=str(stored.get("verify", defaults.verify)),
            **{name: int(stored.get(name, getattr(defaults, name))) for name in cls.LIMITS},
            links=bool(stored.get("links", defaults.links)),
            allow=tuple(stored.get("allow") or ()),
            warn_action=str(stored.get("warn_action", defaults.warn_action)),
            log_channel=int(stored["log_channel"]) if stored.get("log_channel") else None,
            night=NightMode(night[0], night[1]) if night else None,
            filters=tuple(
                WordFilter(int(f["id"]), str(f["word"]), str(f["action"]), fold(str(f["word"])))
                for f in stored.get("filters") or ()
            ),
        )

    def matching_filter(self, text: str) -> WordFilter | None:
        """The first filter whose word is in `text`, folded alike."""
        if not self.filters or not text:
            return None
        folded = fold(text)
        return next((f for f in self.filters if f.folded and f.folded in folded), None)

    def allows_domain(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.allow)


DEFAULT_RULES = ModerationRules()


def parse_domains(raw: str) -> list[str]:
    """`taobao.com,tmall.com` (or with ， and spaces) as stored; BadRule when not domains."""
    domains = [d.strip().lower().removeprefix("www.") for d in raw.replace("，", ",").split(",")]
    domains = [d for d in domains if d]
    if not 0 < len(domains) <= 30 or not all(is_domain(d) for d in domains):
        raise BadRule("allow")
    return domains


def is_domain(text: str) -> bool:
    labels = text.split(".")
    return len(labels) >= 2 and all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
        for label in labels
    )


class BadRule(ValueError):
    pass


@dataclass(slots=True)
class _Recent:
    times: deque[float]
    message_id: int = 0  # the last message noted, and what was said of it
    flooding: bool = False


@dataclass(slots=True)
class FloodWatch:
    """Each member's recent messages, in this process (a second worker watches its own share:
    a flood spread over workers needs Redis, left for the scale-out work)."""

    capacity: int = 50_000
    _seen: OrderedDict[tuple[int, int], _Recent] = field(default_factory=OrderedDict)

    def floods(
        self, chat_id: int, user_id: int, message_id: int, now: float, rules: ModerationRules
    ) -> bool:
        """Note message `message_id` at `now` (monotonic seconds); True when it is one too
        many. Asked again of the same message (the chatter lane, then the guard; or Telegram
        delivering it again), it answers as before and notes nothing."""
        if rules.flood_messages == 0:
            return False
        key = (chat_id, user_id)
        recent = self._seen.get(key)
        if recent is None:
            recent = self._seen[key] = _Recent(deque(maxlen=rules.flood_messages + 1))
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(key)
            if message_id <= recent.message_id:
                return recent.flooding and message_id == recent.message_id
        times = recent.times
        times.append(now)
        recent.message_id, recent.flooding = message_id, False
        if len(times) > rules.flood_messages and now - times[0] <= rules.flood_seconds:
            times.clear()  # told once; the mute stops the rest
            recent.flooding = True
        return recent.flooding


@dataclass(frozen=True, slots=True)
class Challenge:
    """A verification as it is asked: a button, or a sum with its choices."""

    question: str | None  # "3 + 4" for a sum
    answer: str | None
    choices: tuple[str, ...] = ()


def new_challenge(mode: str, rng: random.Random | None = None) -> Challenge:
    if mode != "math":
        return Challenge(None, None)
    rng = rng or random.SystemRandom()
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    answer = a + b
    wrong = rng.sample([n for n in range(2, 19) if n != answer], 3)
    choices = [answer, *wrong]
    rng.shuffle(choices)
    return Challenge(f"{a} + {b}", str(answer), tuple(str(n) for n in choices))


def parse_rule(section: str, args: list[str]) -> dict[str, Any]:
    """The stored values of `/settings <section> <args>` (verify, flood, links, warns,
    log_channel, night); BadRule(section) when they are not valid."""
    words = [word.lower() for word in args]

    def seconds(raw: str, name: str) -> int:
        duration = parse_duration(raw)
        low, high = ModerationRules.LIMITS[name]
        if duration is None or not low <= duration.total_seconds() <= high:
            raise BadRule(section)
        return int(duration.total_seconds())

    match section, words:
        case "verify", [mode] if mode in VERIFY_MODES:
            return {"verify": mode}
        case "verify", ["time", raw]:
            return {"verify_seconds": seconds(raw, "verify_seconds")}
        case "flood", ["off"]:
            return {"flood_messages": 0}
        case "flood", ["on"]:
            return {"flood_messages": FLOOD_ON[0], "flood_seconds": FLOOD_ON[1]}
        case "flood", ["mute", raw]:
            return {"flood_mute": seconds(raw, "flood_mute")}
        case "flood", [count, raw] if count.isascii() and count.isdigit():
            low, high = ModerationRules.LIMITS["flood_messages"]
            if not max(low, 2) <= int(count) <= high:
                raise BadRule(section)
            return {"flood_messages": int(count), "flood_seconds": seconds(raw, "flood_seconds")}
        case "links", [state] if state in ("on", "off"):
            return {"links": state == "on"}
        case "links", ["allow", "off"]:
            return {"allow": []}
        case "links", ["allow", *domains] if domains:
            return {"allow": parse_domains(" ".join(domains))}
        case "warns", [limit, action] if limit.isdigit() and action in ModerationRules.WARN_ACTIONS:
            low, high = ModerationRules.LIMITS["warn_limit"]
            if not low <= int(limit) <= high:
                raise BadRule(section)
            return {"warn_limit": int(limit), "warn_action": action}
        case "log_channel", ["off"]:
            return {"log_channel": None}
        case "log_channel", [chat_id] if chat_id.lstrip("-").isdigit() and chat_id.startswith("-"):
            return {"log_channel": int(chat_id)}
        case "night", ["off"]:
            return {"night": None}
        case "night", [start, end]:
            begins, ends = clock_time(start), clock_time(end)
            if begins is None or ends is None or begins == ends:
                raise BadRule(section)
            return {"night": [begins, ends]}
    raise BadRule(section)
