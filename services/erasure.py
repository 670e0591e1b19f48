"""A member's personal data erased (`/forgetme`; an admin's `/forget` for one program): the
right to erasure (PIPL art. 47, GDPR art. 17), within what the ledger and past draws need.

Erased: names and usernames, labels and notes, nickname bindings, the text of warnings, bans and
moderation log entries about them, what reports quoted of them, a gift's delivery note, the
buyer name on their orders, captcha answers, photos they replied with, the reason an admin
gave for refunding their Stars payment. Kept, under their user id: the ledger rows and the
balance they sum to (an audit must still balance), sign-ins, draw entries (a past draw's proof
is its list of ids), other members' history (a referral is the inviter's too), Stars payments
and paid memberships (money records: Telegram's refunds and disputes name the charge), a VIP
room's seats (dates only; they keep a member from being invited or warned twice). The id is
not replaced by a pseudonym: it is already a number with no name once the names are gone, and
changing it in every table would break every past draw's proof. An `Erasure` row records it,
with no personal data; where a name would show (a draw's public page), an erased id shows as
"erased member".

The member row stays, anonymised, with its balance: a member who writes again is named afresh
as anyone is, and keeps their points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models import (
    Ban,
    BindTry,
    BuyerBinding,
    Erasure,
    Label,
    Member,
    MemberNote,
    MemberWarning,
    ModAction,
    Order,
    Redemption,
    Report,
    TopicReply,
    Verification,
    VipPayment,
)
from services.clock import Clock
from services.programs import ProgramService


@dataclass(frozen=True, slots=True)
class Erased:
    user_id: int
    accounts: int  # member rows anonymised
    labels: int
    notes: int
    bindings: int


class ErasureService:
    def __init__(self, session: AsyncSession, clock: Clock, programs: ProgramService) -> None:
        self.session = session
        self.clock = clock
        self.programs = programs

    async def erase(
        self, user_id: int, *, requested_by: int | None, program_id: int | None = None
    ) -> Erased:
        """Erase everywhere (`program_id` None: the member's own request), or in one program's
        groups (an admin's, who speaks for their program only)."""
        chats: list[int] | None = None
        if program_id is not None:
            chats = sorted({program_id, *await self.programs.groups(program_id, active_only=False)})

        def scope(column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
            return column.in_(chats) if chats is not None else true()

        accounts = await self._count(
            update(Member)
            .where(Member.user_id == user_id, scope(Member.chat_id))
            .values(
                username=None, display_name="", tags=[], recent_message_ids=None,
                last_message_digest=None,
            )
        )  # fmt: skip
        labels = await self._count(
            delete(Label).where(Label.user_id == user_id, scope(Label.program_id))
        )
        notes = await self._count(
            delete(MemberNote).where(MemberNote.user_id == user_id, scope(MemberNote.program_id))
        )
        bindings = await self._count(
            delete(BuyerBinding).where(BuyerBinding.user_id == user_id, scope(BuyerBinding.chat_id))
        )
        if chats is None:
            await self.session.execute(delete(BindTry).where(BindTry.user_id == user_id))
        for model in (MemberWarning, Ban):
            await self.session.execute(
                update(model)
                .where(model.user_id == user_id, scope(model.chat_id))
                .values(reason=None)
            )
        await self.session.execute(
            update(ModAction)
            .where(ModAction.target_id == user_id, scope(ModAction.chat_id))
            .values(reason=None)
        )
        await self.session.execute(
            update(Report)
            .where(Report.target_id == user_id, scope(Report.chat_id))
            .values(target_name="", excerpt="")
        )
        await self.session.execute(
            update(Verification)
            .where(Verification.user_id == user_id, scope(Verification.chat_id))
            .values(name="", answer=None)
        )
        await self.session.execute(
            update(Redemption)
            .where(Redemption.user_id == user_id, scope(Redemption.chat_id))
            .values(note=None)
        )
        await self.session.execute(
            update(Order)
            .where(Order.user_id == user_id, scope(Order.chat_id))
            .values(buyer="", buyer_key="")
        )
        await self.session.execute(
            update(TopicReply)
            .where(TopicReply.user_id == user_id, scope(TopicReply.chat_id))
            .values(photo_file_id=None)
        )
        await self.session.execute(
            update(VipPayment)
            .where(VipPayment.user_id == user_id, scope(VipPayment.program_id))
            .values(refund_reason=None)
        )
        self.session.add(
            Erasure(
                user_id=user_id, requested_by=requested_by, program_id=program_id,
                created_at=self.clock.now(),
            )
        )  # fmt: skip
        await self.session.flush()
        return Erased(user_id, accounts, labels, notes, bindings)

    async def _count(self, statement: object) -> int:
        result = await self.session.execute(statement)  # type: ignore[call-overload]
        return int(getattr(result, "rowcount", 0) or 0)


async def erased_among(session: AsyncSession, user_ids: Iterable[int], program_id: int) -> set[int]:
    """The ids among these whose data were erased everywhere or in this program."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    found = await session.scalars(
        select(Erasure.user_id).where(
            Erasure.user_id.in_(wanted),
            or_(Erasure.program_id.is_(None), Erasure.program_id == program_id),
        )
    )
    return set(found)
