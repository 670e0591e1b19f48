"""CSV exports of a chat's members, ledger, sign-ins, draw entries, shop redemptions and orders
(coupon codes left out: an export may be sent to a group, and codes are secrets).

Rows are streamed from the database (`yield_per`) and written as they come, so a million ledger
rows never sit in memory; the file is UTF-8 with a BOM so Excel reads Chinese names right.
Times are the chat's local time; headers and stored values are in the language asked for
(`services/export_columns.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Checkin, Draw, DrawEntry, LedgerEntry, Member, Order, Redemption, Reward
from services.clock import Clock
from services.csvcells import SafeWriter
from services.export_columns import COLUMNS, ExportKind, headers
from services.labels import LabelService
from services.programs import ProgramService
from services.stats import day_bounds

ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8
BATCH = 2_000  # rows fetched at a time
PROGRESS_EVERY = 10_000

__all__ = ["ENCODING", "ExportKind", "count_rows", "export_query", "write_csv"]


def _member_of(chat_id: Any, user_id: Any) -> Any:
    return and_(Member.chat_id == chat_id, Member.user_id == user_id)


def export_query(
    kind: ExportKind,
    chat_id: int,
    first: date | None,
    last: date | None,
    timezone: str,
    program_id: int | None = None,
) -> Any:
    """The rows of an export, in a stable order; `first`..`last` are local days (None: open).
    Members are the group's, with their accounts' figures; the ledger, sign-ins, redemptions
    and orders are the program's (`program_id`, when the group joined another's)."""
    start, end = day_bounds(first, last, timezone)
    in_program = program_id if program_id is not None else chat_id
    query: Any  # five shapes of row
    if kind is ExportKind.MEMBERS:
        account = aliased(Member, name="account") if in_program != chat_id else Member
        query = select(
            Member.user_id, Member.username, Member.display_name, Member.joined_at,
            Member.last_join_at, Member.left_at, Member.last_seen_at, Member.message_count,
            account.points, account.lifetime_points, account.tier, account.streak,
            account.best_streak, Member.invited_by, Member.replies_received,
            literal("").label("labels"),  # filled in by batch: the program's labels
        ).where(Member.chat_id == chat_id)  # fmt: skip
        if account is not Member:
            query = query.outerjoin(
                account, (account.chat_id == in_program) & (account.user_id == Member.user_id)
            )
        moment: Any = Member.joined_at
        order: list[Any] = [Member.user_id]
    elif kind is ExportKind.LEDGER:
        query = (
            select(
                LedgerEntry.id,
                LedgerEntry.created_at,
                LedgerEntry.user_id,
                Member.username,
                Member.display_name,
                LedgerEntry.delta,
                LedgerEntry.reason,
                LedgerEntry.ref,
                LedgerEntry.actor,
                LedgerEntry.campaign_id,
            )
            .outerjoin(Member, _member_of(LedgerEntry.chat_id, LedgerEntry.user_id))
            .where(LedgerEntry.chat_id == in_program)
        )
        moment, order = LedgerEntry.created_at, [LedgerEntry.id]
    elif kind is ExportKind.CHECKINS:
        query = (
            select(
                Checkin.day,
                Checkin.created_at,
                Checkin.user_id,
                Member.username,
                Member.display_name,
                Checkin.rank,
                Checkin.streak,
                Checkin.reward,
                Checkin.makeup,
            )
            .outerjoin(Member, _member_of(Checkin.chat_id, Checkin.user_id))
            .where(Checkin.chat_id == in_program)
        )
        if first is not None:
            query = query.where(Checkin.day >= first)
        if last is not None:
            query = query.where(Checkin.day <= last)
        start = end = None  # the sign-in's own day decides
        moment, order = Checkin.created_at, [Checkin.day, Checkin.rank, Checkin.user_id]
    elif kind is ExportKind.REDEMPTIONS:
        query = (
            select(
                Redemption.id, Redemption.created_at, Redemption.user_id, Member.username,
                Member.display_name, Redemption.reward_id, Reward.name, Reward.kind,
                Redemption.source, Redemption.price, Redemption.status, Redemption.expires_at,
                Redemption.used_at,
            )
            .join(Reward, Reward.id == Redemption.reward_id)
            .outerjoin(Member, _member_of(Redemption.chat_id, Redemption.user_id))
            .where(Redemption.chat_id == in_program)
        )  # fmt: skip
        moment, order = Redemption.created_at, [Redemption.id]
    elif kind is ExportKind.ORDERS:
        query = (
            select(
                Order.order_id, Order.paid_at, Order.title, Order.buyer, Order.user_id,
                Member.username,
                Member.display_name, Order.amount_fen, Order.refunded_fen, Order.status,
                Order.source, Order.points, Order.points_state, Order.confirm_at,
                Order.coupon_source, Order.campaign_id,
            )
            .outerjoin(Member, _member_of(Order.chat_id, Order.user_id))
            .where(Order.chat_id == in_program)
        )  # fmt: skip
        moment, order = Order.paid_at, [Order.paid_at, Order.id]
    else:
        query = (
            select(
                Draw.id,
                Draw.prize,
                Draw.status,
                DrawEntry.created_at,
                DrawEntry.user_id,
                Member.username,
                Member.display_name,
                DrawEntry.paid,
                Draw.winner_ids,
            )
            .join(Draw, Draw.id == DrawEntry.draw_id)
            .outerjoin(Member, _member_of(Draw.chat_id, DrawEntry.user_id))
            .where(Draw.chat_id == chat_id)
        )
        moment, order = DrawEntry.created_at, [Draw.id, DrawEntry.created_at, DrawEntry.user_id]
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    return query.order_by(*order)


async def count_rows(
    session: AsyncSession,
    kind: ExportKind,
    chat_id: int,
    first: date | None,
    last: date | None,
    timezone: str,
) -> int:
    program_id = await ProgramService(session, Clock()).program_of(chat_id)
    query = export_query(kind, chat_id, first, last, timezone, program_id).order_by(None)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)


async def write_csv(
    session: AsyncSession,
    out: TextIO,
    kind: ExportKind,
    chat_id: int,
    timezone: str,
    first: date | None = None,
    last: date | None = None,
    progress: Callable[[int], None] | None = None,
    language: str = "en",
) -> int:
    """Write the export to `out` (opened with `ENCODING` and `newline=""`), its headers and
    labels in `language` (zh, else English); the rows written."""
    zone = ZoneInfo(timezone)
    writer = SafeWriter(out)  # a member's name is never a live formula
    writer.writerow(headers(kind, language))
    program_id = await ProgramService(session, Clock()).program_of(chat_id)
    query = export_query(kind, chat_id, first, last, timezone, program_id)
    written = 0
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for rows in result.partitions():
        partition: Sequence[Any] = rows
        if kind is ExportKind.MEMBERS:  # each member's labels (the program's), one query a batch
            carried = await LabelService(session, Clock()).of_members(
                program_id, [row[0] for row in partition]
            )
            partition = [(*row[:-1], " ".join(carried.get(row[0], ()))) for row in partition]
        writer.writerows(_cells(kind, row, zone, language) for row in partition)
        written += len(partition)
        if progress is not None and written % PROGRESS_EVERY < len(partition):
            progress(written)
    if progress is not None:
        progress(written)
    return written


def _cells(kind: ExportKind, row: Any, zone: ZoneInfo, language: str) -> list[Any]:
    cells = [_cell(value, zone) for value in row]
    if kind is ExportKind.DRAWS:  # the winners' list becomes "did this entrant win"
        cells[-1] = "yes" if row[4] in (row[-1] or ()) else ""
    if kind is ExportKind.ORDERS:  # amounts in yuan, as the shop's own export has them
        cells[7], cells[8] = f"{row[7] / 100:.2f}", f"{row[8] / 100:.2f}"
    if language == "en":
        return cells
    return [column.label(cell, language) for column, cell in zip(COLUMNS[kind], cells, strict=True)]


def _cell(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return value
