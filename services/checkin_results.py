"""What a sign-in asks and what it answers (services/checkins.py does the signing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.checkin_rules import CheckinRules


@dataclass(frozen=True, slots=True)
class SignInRequest:
    chat_id: int  # the program's: one sign-in a day, whichever of its groups it is made in
    user_id: int
    timezone: str
    rules: CheckinRules
    group_id: int | None = None  # where it was made (counted in that group's day), if not it

    @property
    def group(self) -> int:
        return self.group_id or self.chat_id


@dataclass(frozen=True, slots=True)
class SignedIn:
    day: date
    streak: int
    reward: int
    milestone: int  # the bonus for reaching a milestone today, included in `reward`
    rank: int
    balance: int


@dataclass(frozen=True, slots=True)
class AlreadySignedIn:
    day: date
    rank: int
    streak: int
    next_at: datetime  # the start of the chat's next day


@dataclass(frozen=True, slots=True)
class Silenced:
    """Muted or banned here until then: a sign-in pays nothing meanwhile."""

    until: datetime


SignInResult = SignedIn | AlreadySignedIn | Silenced


@dataclass(frozen=True, slots=True)
class MadeUp:
    day: date
    cost: int
    streak: int
    balance: int


class MakeupRefused(Exception):
    """Why nothing was spent: "none" (no missed day to fill), "limit", or "points"."""

    def __init__(self, reason: str, balance: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.balance = balance


@dataclass(frozen=True, slots=True)
class StreakRow:
    user_id: int
    name: str
    streak: int
