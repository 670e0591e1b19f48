"""Group buys (拼团): an admin posts an item with price tiers, members join with the post's
button until it ends, and the post shows the price reached and how many more the next needs
(paced edits, as draws' counts). At the end each participant is given, once, a coupon code for
the price reached (from the program's shop pool, or generated) and told it privately through
the outbox; or told it did not form."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import GroupBuy, GroupBuyMember, RewardCode
from models.queries import insert_for
from services.clock import Clock
from services.group_buy_messages import GroupBuyEdit, GroupBuyPost, GroupBuyResult
from services.group_buy_specs import GroupBuySpec
from services.outbox import OutboxPayload, OutboxRow, OutboxService
from services.paced_edits import edit_window
from services.reward_codes import generated_codes

logger = logging.getLogger(__name__)


class GroupBuyNotFound(LookupError):
    pass


class GroupBuyClosed(Exception):
    def __init__(self, group_buy_id: int) -> None:
        super().__init__(group_buy_id)
        self.group_buy_id = group_buy_id


class Joining(StrEnum):
    JOINED = "joined"
    ALREADY = "already"
    LEFT = "left"
    NOT_IN = "not_in"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a group buy stands: the price reached (None below the first tier) and the next
    tier's members and price (None past the last)."""

    price_fen: int | None
    next_members: int | None
    next_price_fen: int | None


def standing(group_buy: GroupBuy) -> Standing:
    reached, ahead = None, None
    for members, fen in group_buy.price_tiers:
        if group_buy.joined >= members:
            reached = fen
        elif ahead is None:
            ahead = (members, fen)
    return Standing(reached, ahead[0] if ahead else None, ahead[1] if ahead else None)


class GroupBuyService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def create(
        self, chat_id: int, program_id: int, admin_id: int, spec: GroupBuySpec
    ) -> GroupBuy:
        group_buy = GroupBuy(
            chat_id=chat_id, program_id=program_id, item=spec.item,
            tiers=",".join(f"{members}:{fen}" for members, fen in spec.tiers),
            reward_id=spec.reward_id, joined=0, status="open", ends_at=spec.ends_at,
            created_by=admin_id, created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(group_buy)
        await self.session.flush()
        post = GroupBuyPost(group_buy_id=group_buy.id)
        await self._announce(group_buy, post, f"group_buy:{group_buy.id}")
        return group_buy

    async def posted(self, group_buy_id: int, message_id: int) -> None:
        group_buy = await self.session.get(GroupBuy, group_buy_id)
        if group_buy is not None:
            group_buy.message_id = message_id

    async def press(self, chat_id: int, group_buy_id: int, user_id: int, join: bool) -> Joining:
        """Join, or (`join` False) leave, while it is open."""
        group_buy = await self._locked(group_buy_id)
        if group_buy is None or group_buy.chat_id != chat_id:
            return Joining.UNKNOWN
        if group_buy.status != "open":
            return Joining.CLOSED
        now = self.clock.now()
        where = (GroupBuyMember.group_buy_id == group_buy.id) & (GroupBuyMember.user_id == user_id)
        if join:
            added = await self.session.scalar(
                insert_for(self.session, GroupBuyMember)
                .values(group_buy_id=group_buy.id, user_id=user_id, joined_at=now)
                .on_conflict_do_nothing(index_elements=["group_buy_id", "user_id"])
                .returning(GroupBuyMember.user_id)
            )
            if added is None:
                return Joining.ALREADY
            group_buy.joined += 1
        else:
            gone = await self.session.execute(delete(GroupBuyMember).where(where))
            if not gone.rowcount:  # type: ignore[attr-defined]
                return Joining.NOT_IN
            group_buy.joined -= 1
        await self.session.flush()
        window, edit_at = edit_window(now)  # one edit per window, as draws
        edit = GroupBuyEdit(group_buy_id=group_buy.id)
        await self._announce(group_buy, edit, f"group_buy_count:{group_buy.id}:{window}", edit_at)
        return Joining.JOINED if join else Joining.LEFT

    async def end(self, chat_id: int, group_buy_id: int) -> GroupBuy:
        """Close it (once): formed at the price reached, each participant given a code once and
        told privately; or failed, each told so."""
        group_buy = await self._locked(group_buy_id)
        if group_buy is None or group_buy.chat_id != chat_id:
            raise GroupBuyNotFound(group_buy_id)
        if group_buy.status != "open":
            raise GroupBuyClosed(group_buy.id)
        reached = standing(group_buy).price_fen
        group_buy.status = "formed" if reached is not None else "failed"
        group_buy.price_fen, group_buy.ended_at = reached, self.clock.now()
        members = list(
            await self.session.scalars(
                select(GroupBuyMember)
                .where(GroupBuyMember.group_buy_id == group_buy.id)
                .order_by(GroupBuyMember.joined_at, GroupBuyMember.user_id)
            )
        )
        if reached is not None:
            await self._give_codes(group_buy, [m for m in members if m.code is None])
        await self.session.flush()
        edit = GroupBuyEdit(group_buy_id=group_buy.id)
        await self._announce(group_buy, edit, f"group_buy_end:{group_buy.id}")
        await OutboxService(self.session, self.clock).add_many(
            [
                OutboxRow(
                    member.user_id,
                    GroupBuyResult(group_buy_id=group_buy.id, user_id=member.user_id),
                    f"group_buy_result:{group_buy.id}:{member.user_id}",
                )
                for member in members
            ]
        )
        return group_buy

    async def result_of(self, group_buy_id: int, user_id: int) -> tuple[GroupBuy, str | None]:
        """The group buy and the code this participant was given (None: none was)."""
        group_buy = await self.session.get(GroupBuy, group_buy_id)
        if group_buy is None:
            raise GroupBuyNotFound(group_buy_id)
        code = await self.session.scalar(
            select(GroupBuyMember.code).where(
                GroupBuyMember.group_buy_id == group_buy_id, GroupBuyMember.user_id == user_id
            )
        )
        return group_buy, code

    async def due(self) -> list[tuple[int, int]]:
        rows = await self.session.execute(
            select(GroupBuy.chat_id, GroupBuy.id)
            .where(GroupBuy.status == "open", GroupBuy.ends_at <= self.clock.now())
            .order_by(GroupBuy.id)
        )
        return [(chat_id, group_buy_id) for chat_id, group_buy_id in rows]

    async def _give_codes(self, group_buy: GroupBuy, members: list[GroupBuyMember]) -> None:
        """A code each, written on their row in this transaction, so each is given once: from
        the pool while it lasts (each code taken out of it), else generated when there is no
        pool; a pool that runs short leaves the rest without (their message says an admin will
        send it)."""
        if not members:
            return
        if group_buy.reward_id is None:
            made = generated_codes(len(members), f"PT{group_buy.id}")
            for member, generated in zip(members, made, strict=True):
                member.code = generated
            return
        free = list(
            await self.session.scalars(
                select(RewardCode)
                .where(
                    RewardCode.chat_id == group_buy.program_id,
                    RewardCode.reward_id == group_buy.reward_id,
                    RewardCode.status == "free",
                )
                .order_by(RewardCode.id)
                .limit(len(members))
                .with_for_update()
            )
        )
        for member, code in zip(members, free, strict=False):
            code.status = "issued"
            member.code = code.code

    async def _announce(
        self, group_buy: GroupBuy, payload: OutboxPayload, key: str, due_at: datetime | None = None
    ) -> None:
        await OutboxService(self.session, self.clock).add(group_buy.chat_id, payload, key, due_at)

    async def _locked(self, group_buy_id: int) -> GroupBuy | None:
        return await self.session.scalar(
            select(GroupBuy)
            .where(GroupBuy.id == group_buy_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )


async def close_due_group_buys(pool: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Every open group buy whose end has come closes, one a transaction (a background check's)."""
    async with pool() as session:
        due = await GroupBuyService(session, clock).due()
    closed = 0
    for chat_id, group_buy_id in due:
        async with pool() as session, session.begin():
            try:
                await GroupBuyService(session, clock).end(chat_id, group_buy_id)
                closed += 1
            except (GroupBuyNotFound, GroupBuyClosed):  # an admin ended it meanwhile
                pass
    if closed:
        logger.info("closed %s group buys that were due", closed)
    return closed
