"""Distributors (分销员): who sells for a program, at what rate, through which link and coupon
codes (their own pool). What they earn is `services/commission.py`'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Channel, Chat, Distributor, DistributorCode
from models.queries import insert_for
from services.clock import Clock
from services.commission import Sums
from services.distribution_rules import DistributionRules

MAX_RATE_BP = 5_000  # 50%: anything above is a typo
MAX_CODES = 1_000  # codes one command adds


@dataclass(frozen=True, slots=True)
class Standing:
    """A distributor's row as `/commission` and the console read it."""

    program_id: int
    user_id: int
    rate_bp: int
    link: str | None
    codes: list[str]
    sums: Sums
    removed: bool


def parse_rate(text: str) -> int | None:
    """`8%`, `8`, `7.5%` as basis points (800, 800, 750); None when it is no rate."""
    text = text.strip().removesuffix("%")
    if not text.isascii():
        return None
    try:
        whole, _dot, part = text.partition(".")
        if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
            return None
        bp = int(whole) * 100 + (int(part.ljust(2, "0")) if part else 0)
    except ValueError:
        return None
    return bp if 0 < bp <= MAX_RATE_BP else None


class DistributorService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def distributor(self, program_id: int, user_id: int) -> Distributor | None:
        return await self.session.get(Distributor, (program_id, user_id))

    async def add(
        self, program_id: int, user_id: int, rate_bp: int | None, *, by: int
    ) -> tuple[Distributor, bool]:
        """Make the member a distributor (again, when removed: from now, so an order paid while
        they were not is not theirs), or change their rate (None: keep it, or the default for a
        new one): the row, and whether it is new."""
        found = await self.session.get(
            Distributor, (program_id, user_id), with_for_update=True, populate_existing=True
        )
        if found is not None:
            if rate_bp is not None:
                found.rate_bp = rate_bp
            if found.removed_at is not None:
                found.added_at, found.removed_at = self.clock.now(), None
            await self.session.flush()
            return found, False
        made = Distributor(
            program_id=program_id, user_id=user_id,
            rate_bp=DistributionRules().rate_bp if rate_bp is None else rate_bp, pending_fen=0,
            payable_fen=0, paid_fen=0, added_by=by, added_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(made)
        await self.session.flush()
        return made, True

    async def all(self, program_id: int) -> list[Distributor]:
        return list(
            await self.session.scalars(
                select(Distributor).where(Distributor.program_id == program_id)
            )
        )

    async def link_of(self, distributor: Distributor) -> str | None:
        if distributor.channel_id is None:
            return None
        return await self.session.scalar(
            select(Channel.link).where(Channel.id == distributor.channel_id)
        )

    async def set_link(self, distributor: Distributor, channel_id: int) -> None:
        distributor.channel_id = channel_id
        await self.session.flush()

    async def remove(self, program_id: int, user_id: int) -> bool:
        """No new orders are theirs from now; what they earned stays and is paid as before."""
        done = await self.session.scalar(
            update(Distributor)
            .where(Distributor.program_id == program_id, Distributor.user_id == user_id)
            .where(Distributor.removed_at.is_(None))
            .values(removed_at=self.clock.now())
            .returning(Distributor.user_id)
        )
        return done is not None

    async def add_codes(self, program_id: int, user_id: int, codes: Sequence[str]) -> list[str]:
        """Codes into the distributor's pool: those taken already (theirs or another's) are
        returned, not added."""
        if not codes:
            return []
        now = self.clock.now()
        added = set(
            await self.session.scalars(
                insert_for(self.session, DistributorCode)
                .on_conflict_do_nothing(index_elements=["program_id", "code"])
                .returning(DistributorCode.code),
                [
                    {"program_id": program_id, "code": code, "user_id": user_id, "added_at": now}
                    for code in dict.fromkeys(codes)
                ],
            )
        )
        return [code for code in dict.fromkeys(codes) if code not in added]

    async def codes(self, program_id: int, user_id: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(DistributorCode.code)
                .where(DistributorCode.program_id == program_id, DistributorCode.user_id == user_id)
                .order_by(DistributorCode.added_at, DistributorCode.code)
            )
        )

    async def standings(self, user_id: int) -> list[Standing]:
        """Every program the user sells for (removed ones too), not the empty rows a program
        left when it joined another (`services/commission_merge.py`)."""
        joined_another = exists().where(
            Chat.id == Distributor.program_id,
            Chat.program_id.is_not(None),
            Chat.program_id != Chat.id,
        )
        rows = await self.session.execute(
            select(Distributor, Channel.link)
            .outerjoin(Channel, Channel.id == Distributor.channel_id)
            .where(Distributor.user_id == user_id, ~joined_another)
            .order_by(Distributor.program_id)
        )
        found = []
        for row, link in rows:
            found.append(
                Standing(
                    row.program_id, row.user_id, row.rate_bp, link,
                    await self.codes(row.program_id, user_id),
                    Sums(row.pending_fen, row.payable_fen, row.paid_fen),
                    row.removed_at is not None,
                )
            )  # fmt: skip
        return found
