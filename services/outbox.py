"""The outbox: messages the bot starts on its own, written in the transaction of the change they
announce and delivered later by one sender (`workflows/outbox.py`).

A producer calls `OutboxService.add` inside its own transaction: the row commits with the
change or not at all, and its unique key writes the intent once however often the change is
retried. The sender claims due rows, sends, and records the outcome; a row it claimed but did
not finish (the process died) is pending again when the next sender starts.

A feature adds a message kind in files of its own: the payload in `services/<feature>_messages.py`,
a frozen dataclass of `OutboxPayload` naming its `kind` (the rows' name for it: never renamed)
and, where the defaults do not fit, its `grace` and whether it is `gathered`; the renderer in
`workflows/<feature>_messages.py` (see `workflows/delivery.py`). Its service then writes
`OutboxService(session, clock).add(chat_id, Payload(...), key)`. The fields are the row's JSON,
so rows written before a field is added must still read: a new field takes a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from types import UnionType
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage
from models.queries import insert_for
from services.clock import Clock

MAX_ATTEMPTS = 6
CLAIM_LIMIT = 200
# How late a row may still go out, unless its kind says otherwise; after that it is skipped
# (and logged), not sent stale.
DEFAULT_GRACE = timedelta(hours=1)
_FIELD_TYPES: dict[type[OutboxPayload], dict[str, Any]] = {}


class UnreadablePayload(ValueError):
    """A row's JSON is not a payload of its kind (a field missing, or of another type)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxPayload:
    """What an outbox row says, to be rendered when it is sent (ids rather than texts, so the
    message shows what is true then, in the chat's language then). Each kind is a frozen
    dataclass of this; its fields are stored as the row's JSON."""

    kind: ClassVar[str]  # the row's `kind`
    # A chat's rows of one moment go out as one message (the sender's `gather` says how long).
    gathered: ClassVar[bool] = False
    grace: ClassVar[timedelta] = DEFAULT_GRACE  # how late after `due_at` it may still go out

    def to_json(self) -> dict[str, Any]:
        """The row's payload: each field by name, a datetime in ISO form, a tuple as a list."""
        return {field.name: _stored(getattr(self, field.name)) for field in fields(self)}

    @classmethod
    def from_json(cls, stored: object) -> Self:
        """The payload a row of this kind stored; `UnreadablePayload` if it is none."""
        if not isinstance(stored, Mapping):
            raise UnreadablePayload(f"{cls.kind}: {stored!r} is no object")
        values: dict[str, Any] = {}
        for name, hint in _field_types(cls).items():
            if name in stored:
                try:
                    values[name] = _typed(hint, stored[name])
                except (TypeError, ValueError) as wrong:
                    raise UnreadablePayload(f"{cls.kind}: {name}: {wrong}") from wrong
        try:
            return cls(**values)
        except TypeError as missing:
            raise UnreadablePayload(f"{cls.kind}: {missing}") from missing


@dataclass(frozen=True, slots=True, kw_only=True)
class Deletion(OutboxPayload):
    """Messages of the bot's whose time is up (a welcome, quiet mode's sign-in replies): the
    sender deletes them, or leaves them when the bot may not."""

    kind = "delete"
    grace = timedelta(days=2)  # Telegram lets a bot delete its messages for 48 hours
    message_ids: tuple[int, ...] = ()
    # A purge's: up to 100 ids in one deleteMessages call, ids already gone skipped; otherwise
    # one call each, so one message the bot may not delete leaves the others going.
    at_once: bool = False


def _field_types(payload: type[OutboxPayload]) -> dict[str, Any]:
    """Each field's type, read once a kind (the annotations are text until then)."""
    found = _FIELD_TYPES.get(payload)
    if found is None:
        hints = get_type_hints(payload)
        found = _FIELD_TYPES[payload] = {field.name: hints[field.name] for field in fields(payload)}
    return found


def _stored(value: Any) -> Any:
    """A field's value as the row's JSON holds it (`_typed` reads it back)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_stored(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)  # a tier, as the promotion had it
    return value


def _typed(hint: Any, value: Any) -> Any:
    """A value of the row's JSON as the field's type `hint`: ints, texts and flags as they are
    (of exactly that type: a flag is no id), None where the field takes it, a datetime from its
    ISO form, a tuple from a list, a dataclass from its fields."""
    if get_origin(hint) in (Union, UnionType):
        if value is None and type(None) in get_args(hint):
            return None
        (hint,) = [arm for arm in get_args(hint) if arm is not type(None)]
    if get_origin(hint) is tuple:
        if type(value) is not list:
            raise TypeError(f"{value!r} is not a list")
        item = get_args(hint)[0]
        return tuple(_typed(item, each) for each in value)
    if hint is datetime:
        if type(value) is not str:
            raise TypeError(f"{value!r} is not an ISO time")
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and is_dataclass(hint):
        if type(value) is not dict:
            raise TypeError(f"{value!r} is not an object")
        return hint(**value)
    if type(value) is not hint:
        raise TypeError(f"{value!r} is not {hint.__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Due:
    """A claimed row, its payload as stored (the sender reads it as its kind's)."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    late: bool = False  # past its grace: skipped, not to be sent


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message to write (`OutboxService.add`, `add_many`)."""

    chat_id: int
    payload: OutboxPayload
    key: str
    due_at: datetime | None = None
    expires_at: datetime | None = None

    def values(self, now: datetime) -> dict[str, Any]:
        """The table row: pending, due now unless said otherwise."""
        return {
            "chat_id": self.chat_id, "kind": self.payload.kind, "key": self.key,
            "payload": self.payload.to_json(), "status": "pending", "due_at": self.due_at or now,
            "expires_at": self.expires_at, "attempts": 0, "created_at": now,
        }  # fmt: skip


class OutboxService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def add(
        self,
        chat_id: int,
        payload: OutboxPayload,
        key: str,
        due_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """Write the intent in the caller's transaction; False when `key` was written before."""
        row = OutboxRow(chat_id, payload, key, due_at, expires_at)
        inserted = await self.session.scalar(
            insert_for(self.session, OutboxMessage)
            .values(row.values(self.clock.now()))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(OutboxMessage.id)
        )
        return inserted is not None

    async def add_many(self, rows: Sequence[OutboxRow]) -> None:
        """`add` for many rows in one statement (the 09:00 posts of 300 groups)."""
        if rows:
            now = self.clock.now()
            await self.session.execute(
                insert_for(self.session, OutboxMessage).on_conflict_do_nothing(
                    index_elements=["key"]
                ),
                [row.values(now) for row in rows],
            )

    async def claim(
        self,
        gather: Mapping[str, float] | None = None,
        grace: Mapping[str, timedelta] | None = None,
    ) -> list[Due]:
        """Take the rows that are due (a gathered kind once its first row waited `gather[kind]`
        seconds, so the rows of that moment go out together), oldest first, marking them
        sending. Rows past their grace (`expires_at`, else `grace[kind]` after they were due)
        are skipped instead (and returned `late`)."""
        now = self.clock.now()
        rows = (
            await self.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
                .limit(CLAIM_LIMIT)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        waiting, late_after = gather or {}, grace or {}
        earliest: dict[tuple[int, str], datetime] = {}
        taken: list[Due] = []
        for row in rows:
            group = (row.chat_id, row.kind)
            first = earliest.setdefault(group, row.due_at)
            if now - first < timedelta(seconds=waiting.get(row.kind, 0)):
                continue  # the moment is still gathering
            expires = row.expires_at or row.due_at + late_after.get(row.kind, DEFAULT_GRACE)
            late = now > expires
            row.status = "skipped" if late else "sending"
            row.attempts += 1
            taken.append(
                Due(row.id, row.chat_id, row.kind, row.payload, row.due_at, row.attempts, late)
            )
        await self.session.flush()
        return taken

    async def sent(self, ids: Sequence[int], message_id: int | None) -> None:
        await self._set(ids, status="sent", sent_at=self.clock.now(), message_id=message_id)

    async def retry(self, ids: Sequence[int], after: float, error: str) -> None:
        """Back to pending, due `after` seconds from now (a 429's retry_after, or a back-off)."""
        due = self.clock.now() + timedelta(seconds=after)
        await self._set(ids, status="pending", due_at=due, error=error[:200])

    async def failed(self, ids: Sequence[int], error: str) -> None:
        await self._set(ids, status="failed", error=error[:200])

    async def resume_interrupted(self) -> int:
        """Rows a sender claimed and never finished (it died): pending again. Only the one
        sender calls this, as it starts: no other sender is working on them."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _set(self, ids: Sequence[int], **values: Any) -> None:
        if ids:
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(list(ids)))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
