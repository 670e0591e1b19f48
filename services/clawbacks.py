"""Taking earned points back (a refunded order, a removed boost): one ledger row, never below a
zero balance; what the balance cannot pay is owed and taken from the next earnings (the
ledger's `_repay_owed`), and the member's tier follows their lifetime points down."""

from __future__ import annotations

from sqlalchemy import select, update

from models import Member
from services.points import TAKEN_BACK
from services.promotions import TierPromotions
from services.tiers import BY_POINTS


async def take_back(
    promotions: TierPromotions,
    chat_id: int,
    user_id: int,
    points: int,
    *,
    key: str,
    ref: str,
    timezone: str,
) -> int:
    """Take `points` back from a member who has a row: what was taken now (0 when `key` took
    it before). `chat_id` may name a group: the points come back from its program's account."""
    session, ledger = promotions.session, promotions.ledger
    chat_id = await ledger.account_of(chat_id)  # a group's members' accounts: its program's
    member = await session.scalar(
        select(Member)
        .where(Member.chat_id == chat_id, Member.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert member is not None  # they were paid, so their row exists
    taken = min(member.points, points)
    if taken:
        balance = await ledger.change(
            chat_id, user_id, -taken, reason=TAKEN_BACK, key=key, ref=ref[:128],
            timezone=timezone, member_exists=True,
        )  # fmt: skip
        if not balance.applied:
            return 0  # taken back before
    if points > taken:
        await session.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id)
            .values(points_owed=Member.points_owed + (points - taken))
        )
    await promotions.settle(chat_id, [user_id], timezone, BY_POINTS)
    return taken
