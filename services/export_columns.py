"""What each CSV export holds, once, in both languages: its kinds, its file name, its columns
and the stored values a person reads in them (an order's `paid`, a flag's `yes`).

A zh group gets Chinese headers, file names and values (an operator opens the file in Excel);
an en group gets the English keys, as scripts have read them since the exports began. The bot's
`/export`, the console's downloads and `fanbot export` all write through `services/exports.py`,
which takes its header and cell labels from here; this module imports nothing heavy, so the CLI
lists the kinds from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class ExportKind(StrEnum):
    MEMBERS = "members"
    LEDGER = "ledger"
    CHECKINS = "checkins"
    DRAWS = "draws"
    REDEMPTIONS = "redemptions"
    ORDERS = "orders"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the English header
    zh: str
    values: Mapping[str, str] = field(default_factory=dict)  # a stored value → its zh label

    def header(self, language: str) -> str:
        return self.zh if language == "zh" else self.key

    def label(self, value: object, language: str) -> object:
        if language == "zh" and isinstance(value, str):
            return self.values.get(value, value)
        return value


YES = {"yes": "是"}
USER = (Column("user_id", "用户ID"), Column("username", "用户名"), Column("name", "昵称"))
ORDER_STATUS = {"paid": "已付款", "refunded": "已退款"}
POINTS_STATE = {
    "waiting": "等待绑定", "pending": "退货期内", "confirmed": "已到账", "void": "不计积分",
}  # fmt: skip
ORDER_SOURCE = {"import": "导入", "http": "接口推送", "admin": "手动记录"}
COUPON_SOURCE = {"shop": "积分商城", "draw": "抽奖", "campaign": "活动", "tier": "等级礼"}
DRAW_STATUS = {"open": "进行中", "ended": "已开奖", "cancelled": "已取消"}
REDEMPTION_STATUS = {"issued": "已发放", "used": "已使用", "expired": "已过期", "sent": "已寄出"}
REWARD_KIND = {"coupon": "优惠券", "gift": "实物礼品", "perk": "权益"}
# A clawback is an order's refund, a `/ban … refund` or a removed boost: "扣回", with the
# 关联 column (ref) saying which.
LEDGER_REASON = {
    "message": "发言", "checkin": "签到", "streak": "连续签到奖励", "topic": "话题",
    "draw": "抽奖", "referral": "邀请", "admin": "管理员调整", "redeem": "兑换",
    "refund": "退还", "purchase": "购物", "clawback": "扣回", "boost": "助力",
    "reaction": "收到表情回应",
}  # fmt: skip

# English names are the file names' start since the exports began; zh as an operator says it.
NAMES: dict[ExportKind, tuple[str, str]] = {
    ExportKind.MEMBERS: ("Members", "成员名单"),
    ExportKind.LEDGER: ("Points ledger", "积分流水"),
    ExportKind.CHECKINS: ("Sign-ins", "签到记录"),
    ExportKind.DRAWS: ("Draw entries", "抽奖参与"),
    ExportKind.REDEMPTIONS: ("Redemptions", "兑换记录"),
    ExportKind.ORDERS: ("Orders", "订单"),
}

COLUMNS: dict[ExportKind, tuple[Column, ...]] = {
    ExportKind.MEMBERS: (
        *USER, Column("first_seen", "首次出现"), Column("last_joined", "最近入群"),
        Column("left", "退群时间"), Column("last_seen", "最近活跃"), Column("messages", "消息数"),
        Column("points", "积分"), Column("lifetime_points", "累计积分"),
        Column("tier", "会员等级"), Column("streak", "连续签到天数"),
        Column("best_streak", "最长连续签到"), Column("invited_by", "邀请人ID"),
        Column("replies_received", "收到回复数"), Column("labels", "客户标签"),
    ),
    ExportKind.LEDGER: (
        Column("id", "流水号"), Column("time", "时间"), *USER, Column("delta", "积分变动"),
        Column("reason", "原因", LEDGER_REASON), Column("ref", "关联"), Column("actor", "操作人ID"),
        Column("campaign_id", "活动编号"),
    ),
    ExportKind.CHECKINS: (
        Column("day", "日期"), Column("time", "时间"), *USER, Column("rank", "名次"),
        Column("streak", "连续天数"), Column("reward", "奖励积分"),
        Column("makeup", "补签", YES),
    ),
    ExportKind.DRAWS: (
        Column("draw_id", "抽奖编号"), Column("prize", "奖品"),
        Column("status", "抽奖状态", DRAW_STATUS), Column("time", "参与时间"), *USER,
        Column("paid", "花费积分"), Column("won", "中奖", YES),
    ),
    ExportKind.REDEMPTIONS: (
        Column("id", "兑换编号"), Column("time", "兑换时间"), *USER,
        Column("reward_id", "奖品编号"), Column("reward", "奖品"),
        Column("kind", "类型", REWARD_KIND), Column("source", "来源", COUPON_SOURCE),
        Column("price", "价格（积分）"), Column("status", "状态", REDEMPTION_STATUS),
        Column("expires", "过期时间"), Column("used", "使用时间"),
    ),
    # No coupon code: codes are secrets; where the coupon came from is.
    ExportKind.ORDERS: (
        Column("order_id", "订单编号"), Column("paid_at", "付款时间"), Column("title", "宝贝标题"),
        Column("buyer", "买家会员名"), *USER, Column("amount", "实付金额（元）"),
        Column("refunded", "退款金额（元）"), Column("status", "订单状态", ORDER_STATUS),
        Column("source", "来源", ORDER_SOURCE), Column("points", "购物积分"),
        Column("points_state", "积分状态", POINTS_STATE),
        Column("confirm_at", "积分到账时间"),
        Column("coupon_source", "优惠券来源", COUPON_SOURCE),
        Column("campaign_id", "活动编号"),
    ),
}  # fmt: skip


def headers(kind: ExportKind, language: str) -> list[str]:
    return [column.header(language) for column in COLUMNS[kind]]


def export_name(kind: ExportKind, language: str) -> str:
    """What the export holds, as a link or a caption names it: 订单, Orders."""
    english, chinese = NAMES[kind]
    return chinese if language == "zh" else english


def file_name(kind: ExportKind, language: str, *parts: int | str | date) -> str:
    """`订单-<parts>.csv` in zh, `orders-<parts>.csv` otherwise (the names scripts know)."""
    lead = NAMES[kind][1] if language == "zh" else kind.value
    return "-".join([lead, *map(str, parts)]) + ".csv"
