"""The outbox: messages the bot starts on its own, written in the transaction of the change they
announce and delivered later by one sender (`workflows/outbox.py`).

A producer calls `OutboxService.add` inside its own transaction: the row commits with the
change or not at all, and its unique key writes the intent once however often the change is
retried. The sender claims due rows, sends, and records the outcome; a row it claimed but did
not finish (the process died) is pending again when the next sender starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage
from models.queries import insert_for
from services.clock import Clock

MAX_ATTEMPTS = 6
CLAIM_LIMIT = 200


class Kind:
    """What an outbox row announces (its renderer lives in `workflows/outbox.py`)."""

    TIER_UP = "tier_up"  # payload: user_id, name, tier (key, threshold, name, perks)
    REFERRAL_THANKS = "referral_thanks"  # payload: inviter_id, invitee_id, points (or None)
    CAMPAIGN_GREETING = "campaign_greeting"  # payload: campaign_id
    CAMPAIGN_THANKS = "campaign_thanks"  # payload: campaign_id, points, members
    # Rendered when the topic closes (its figures are of that moment): text, photos (file
    # ids), caption, thread_id (a forum topic, closed after) or anchor_id (the post it replies to)
    TOPIC_SUMMARY = "topic_summary"
    WELCOME = "welcome"  # payload: user_id, name
    # A draw's post, and edits bringing it up to date (entrant count, ended, cancelled); its
    # result as a reply to the post, and edits of the result (a claim, a reroll). Payload:
    # draw_id (the result also entrants). Rendered from the draw as it is when sent.
    CADENCE = "cadence"  # payload: part (morning, reminder, digest), fire_time, topic_id (morning)
    SCHEDULED_POST = "scheduled_post"  # payload: post_id, fire_time (ISO); expires with its grace
    DRAW_POST = "draw_post"
    DRAW_EDIT = "draw_edit"
    DRAW_RESULT = "draw_result"
    DRAW_RESULT_EDIT = "draw_result_edit"
    DELETE = "delete"  # payload: message_ids (a welcome whose time is up)
    RIGHTS_NOTICE = "rights_notice"  # payload: rights (those the bot lacks, told once)
    # To the member's private chat, in the language the redemption keeps: payload
    # redemption_id (the code is read when it is sent, so no secret is copied into the outbox)
    REWARD_DELIVERY = "reward_delivery"
    # Privately, 3 days before a coupon expires: payload redemption_id
    COUPON_REMINDER = "coupon_reminder"
    GIFT_SENT = "gift_sent"  # privately, once an admin sent a gift: payload redemption_id
    # Privately, what a credited order earns and when it counts: payload order_id (the row)
    ORDER_POINTS = "order_points"
    # Privately, once per refund, the purchase points it cancelled or took back after the
    # member heard of them: payload order_id, refunded_fen, points, paid, language
    ORDER_REFUNDED = "order_refunded"
    # To the admins (the group's log channel: the row is the group's; else each admin's private
    # chat): a member proved a shop nickname another holds. Payload group, holder, claimant,
    # buyer, holder_proof
    BIND_CLAIMED = "bind_claimed"
    # Privately, a targeted push or a post's early run: payload push_id
    PUSH = "push"
    # A moderation action, to the group's log channel: payload action_id
    MOD_LOG = "mod_log"


# Kinds whose rows for one chat are gathered for a while and posted as one message.
GATHERED = frozenset({Kind.TIER_UP, Kind.REFERRAL_THANKS, Kind.WELCOME})
# How late a row may still go out; after that it is skipped (and logged), not sent stale.
GRACE = {
    Kind.TIER_UP: timedelta(hours=6),
    Kind.REFERRAL_THANKS: timedelta(hours=6),
    Kind.TOPIC_SUMMARY: timedelta(days=1),
    Kind.WELCOME: timedelta(minutes=15),  # a welcome an hour late would greet the wrong moment
    Kind.DELETE: timedelta(days=2),  # Telegram lets a bot delete its messages for 48 hours
    Kind.DRAW_POST: timedelta(days=1),
    Kind.DRAW_RESULT: timedelta(days=7),  # winners are told however late
    Kind.REWARD_DELIVERY: timedelta(days=30),  # what was paid for is delivered however late
    Kind.COUPON_REMINDER: timedelta(days=2),  # still before the coupon expires
    Kind.GIFT_SENT: timedelta(days=7),
    Kind.ORDER_POINTS: timedelta(days=2),
    Kind.ORDER_REFUNDED: timedelta(days=7),
    Kind.BIND_CLAIMED: timedelta(days=7),
    Kind.PUSH: timedelta(hours=12),  # a push is about today
    Kind.MOD_LOG: timedelta(days=7),
}
DEFAULT_GRACE = timedelta(hours=1)
WELCOME_BURST_SECONDS = 3.0  # joins this close together share one welcome


@dataclass(frozen=True, slots=True)
class Due:
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
    kind: str
    key: str
    payload: Mapping[str, Any]
    due_at: datetime | None = None
    expires_at: datetime | None = None

    def values(self, now: datetime) -> dict[str, Any]:
        """The table row: pending, due now unless said otherwise."""
        return {
            "chat_id": self.chat_id, "kind": self.kind, "key": self.key,
            "payload": dict(self.payload), "status": "pending", "due_at": self.due_at or now,
            "expires_at": self.expires_at, "attempts": 0, "created_at": now,
        }  # fmt: skip


class OutboxService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def add(
        self,
        chat_id: int,
        kind: str,
        key: str,
        payload: Mapping[str, Any],
        due_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """Write the intent in the caller's transaction; False when `key` was written before."""
        row = OutboxRow(chat_id, kind, key, payload, due_at, expires_at)
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

    async def claim(self, gather: Mapping[str, float] | None = None) -> list[Due]:
        """Take the rows that are due (a gathered kind once its first row waited `gather[kind]`
        seconds, so the rows of that moment go out together), oldest first, marking them
        sending. Rows past their grace are skipped instead (and returned `late`)."""
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
        waiting = gather or {}
        earliest: dict[tuple[int, str], datetime] = {}
        taken: list[Due] = []
        for row in rows:
            group = (row.chat_id, row.kind)
            first = earliest.setdefault(group, row.due_at)
            if now - first < timedelta(seconds=waiting.get(row.kind, 0)):
                continue  # the moment is still gathering
            expires = row.expires_at or row.due_at + GRACE.get(row.kind, DEFAULT_GRACE)
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
