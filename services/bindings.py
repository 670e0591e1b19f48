"""Binding a shop nickname to a member, with proof (one of its orders), and the tries a day."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import BindTry, BuyerBinding, Order
from models.queries import insert_for
from services.clock import Clock
from services.order_files import MAX_BUYER, buyer_key
from services.order_messages import BindClaimed
from services.order_rules import OrderRules
from services.orders import OrderService, Source
from services.outbox import OutboxRow, OutboxService

MAX_BIND_TRIES = 5  # a member's proofs of a shop nickname a day, right or wrong


class BindStatus(StrEnum):
    BOUND = "bound"
    ALREADY = "already"  # to this member before
    TAKEN = "taken"  # another member's: refused (an admin may move it)
    MOVED = "moved"  # an admin moved it from another member
    NO_MATCH = "no match"  # the proof is no order of that nickname here: refused


class BindProof(StrEnum):
    """How a binding was made (`BuyerBinding.proof`)."""

    ORDER = "order"  # the number and amount of one of the nickname's orders
    ADMIN = "admin"
    UNPROVEN = "unproven"  # a member's word alone, before proof was asked


@dataclass(frozen=True, slots=True)
class OrderProof:
    """What a member gives to bind a nickname: one of its orders' number (订单编号) and amount."""

    order_id: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Bound:
    status: BindStatus
    chat_id: int
    buyer: str
    credited: int = 0  # waiting orders now theirs
    points: int = 0
    holder: int | None = None  # who holds it (taken) or held it (moved)
    holder_proof: str | None = None  # how the holder bound it (taken)


class BindingService:
    """A group's shop nicknames and the members they are bound to: an admin binds one, a
    member proves one is theirs; the orders waiting under it are credited by `OrderService`.
    Free of aiogram; the caller commits."""

    def __init__(self, session: AsyncSession, clock: Clock, orders: OrderService) -> None:
        self.session = session
        self.clock = clock
        self.orders = orders

    async def bind(
        self,
        chat_id: int,
        user_id: int,
        nickname: str,
        *,
        by: int,
        rules: OrderRules,
        timezone: str,
        admin: bool = False,
        proof: OrderProof | None = None,
        language: str | None = None,
    ) -> Bound:
        """Bind a shop nickname to a member: the orders waiting under it are credited to them
        now. A member proves it is theirs with one of its orders here (`NO_MATCH` when the
        proof is none of them: a nickname without orders cannot be proven yet); an admin
        needs no proof. A nickname held by another member is refused (`TAKEN`), unless an
        admin moves it (their orders credited before stay where they are)."""
        key = buyer_key(nickname)
        if not admin and (proof is None or not await self._proves(chat_id, key, proof)):
            return Bound(BindStatus.NO_MATCH, chat_id, nickname.strip())
        how = BindProof.ADMIN if admin else BindProof.ORDER
        proof_order = proof.order_id if proof is not None and not admin else None
        held = await self.session.scalar(
            select(BuyerBinding)
            .where(BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == key)
            .with_for_update()
        )
        if held is not None and held.user_id == user_id:
            if held.proof == BindProof.UNPROVEN:  # proven now, by its holder
                held.proof, held.proof_order = how.value, proof_order
            return Bound(BindStatus.ALREADY, chat_id, held.buyer, holder=user_id)
        if held is not None and not admin:
            return Bound(
                BindStatus.TAKEN, chat_id, held.buyer, holder=held.user_id, holder_proof=held.proof
            )
        now = self.clock.now()
        if held is not None:
            previous = held.user_id
            held.user_id, held.bound_by, held.created_at = user_id, by, now
            held.proof, held.proof_order = how.value, proof_order
            await self.session.flush()
        else:
            previous = None
            inserted = await self.session.scalar(
                insert_for(self.session, BuyerBinding)
                .values(
                    chat_id=chat_id, buyer_key=key, buyer=nickname.strip()[:MAX_BUYER],
                    user_id=user_id, bound_by=by, created_at=now, proof=how.value,
                    proof_order=proof_order,
                )
                .on_conflict_do_nothing(index_elements=["chat_id", "buyer_key"])
                .returning(BuyerBinding.user_id)
            )  # fmt: skip
            if inserted is None:  # another member bound it a moment ago
                return await self.bind(
                    chat_id, user_id, nickname, by=by, rules=rules, timezone=timezone,
                    admin=admin, proof=proof, language=language,
                )  # fmt: skip
        waiting = list(
            await self.session.scalars(
                select(Order)
                .where(Order.chat_id == chat_id, Order.buyer_key == key, Order.user_id.is_(None))
                .order_by(Order.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        owners = {order.id: user_id for order in waiting}
        points = await self.orders.credit(
            chat_id, waiting, owners, rules, timezone, None if admin else language
        )
        status = BindStatus.MOVED if previous is not None else BindStatus.BOUND
        return Bound(status, chat_id, nickname.strip(), len(waiting), points, previous)

    async def _proves(self, chat_id: int, key: str, proof: OrderProof) -> bool:
        """One of the group's orders from the shop (imported or posted) has this number, this
        amount and this buyer. An admin's /order is not one: its buyer is the member's display
        name and its number and amount were said in the group, so anyone could repeat them."""
        found = await self.session.scalar(
            select(Order.id).where(
                Order.chat_id == chat_id, Order.order_id == proof.order_id,
                Order.buyer_key == key, Order.amount_fen == proof.amount_fen,
                Order.source != Source.ADMIN,
            )
        )  # fmt: skip
        return found is not None

    async def count_try(self, user_id: int, day: date) -> int:
        """Count one try at proving a nickname on `day` (before it is checked, so that tries
        side by side are counted too); how many the member has made that day."""
        table = BindTry.__table__.c
        tries = await self.session.scalar(
            insert_for(self.session, BindTry)
            .values(user_id=user_id, day=day, tries=1)
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={"tries": case((table.day == day, table.tries + 1), else_=1), "day": day},
            )
            .returning(BindTry.tries)
        )
        return int(tries or 0)

    async def tell_claimed(
        self, bound: Bound, claimant: int, *, admins: Collection[int], log_channel: int | None
    ) -> bool:
        """The admins hear, once per claimant and nickname, that a member proved a nickname
        another member holds: in the group's log channel when it has one, else privately, each
        admin who started the bot (never in the group). False when no admin can be told."""
        assert bound.holder is not None
        key = f"bind_claimed:{bound.chat_id}:{claimant}:{buyer_key(bound.buyer)}"
        claim = BindClaimed(
            group=bound.chat_id, holder=bound.holder, claimant=claimant, buyer=bound.buyer,
            holder_proof=bound.holder_proof,
        )  # fmt: skip
        if log_channel is not None:
            rows = [OutboxRow(bound.chat_id, claim, key[:160])]
        else:
            reachable = await self.orders.notes.private_chats(set(admins))
            rows = [OutboxRow(admin, claim, f"{key}:{admin}"[:160]) for admin in sorted(reachable)]
        await OutboxService(self.session, self.clock).add_many(rows)
        return bool(rows)

    async def holder(self, chat_id: int, nickname: str) -> int | None:
        """The member a nickname is bound to here, if any."""
        return await self.session.scalar(
            select(BuyerBinding.user_id).where(
                BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == buyer_key(nickname)
            )
        )

    async def unbind(self, chat_id: int, nickname: str) -> int | None:
        """Forget a binding (its credited orders stay credited); the member who held it."""
        key = buyer_key(nickname)
        held = await self.session.scalar(
            select(BuyerBinding.user_id).where(
                BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == key
            )
        )
        if held is not None:
            await self.session.execute(
                delete(BuyerBinding).where(
                    BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == key
                )
            )
        return held
