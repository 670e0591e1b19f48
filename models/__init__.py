"""SQLAlchemy models; Alembic (migrations/) owns the schema."""

from models.base import Base
from models.boost import ChatBoostRow
from models.campaign import CadenceRun, Campaign
from models.channel import Channel, ChannelJoin
from models.chat import Chat
from models.checkin import Checkin, CheckinDay
from models.console import ConsoleLogin, StaffGrant
from models.draw import Draw, DrawEntry
from models.engine import create_engine, create_session_pool
from models.erasure import Erasure
from models.event import Event, EventSeat
from models.expiry import ExpiryWarning
from models.game import GameDay, GameEntry, GameRound, QuizQuestion
from models.group_buy import GroupBuy, GroupBuyMember
from models.jielong import Jielong, JielongEntry
from models.label import Label, MemberNote
from models.ledger import LedgerEntry
from models.member import Member
from models.member_tag import MemberTag
from models.moderation import Ban, MemberWarning, ModAction, NetworkMember, Verification
from models.order import BindTry, BuyerBinding, Order, Push
from models.outbox import OutboxMessage
from models.period import PeriodTotal
from models.post import PostRun, ScheduledPost
from models.program import Program, ProgramMerge
from models.quest import Badge, QuestCompletion, QuestCursor, QuestEvent, SeasonResult
from models.raid import Raid, RaidJoin
from models.reaction import MessageAuthor, ReactionDay
from models.receipt import CommandReceipt
from models.referral import InviteLink, Referral
from models.report import Report, ReportVote
from models.selling import Commission, CommissionEntry, Distributor, DistributorCode
from models.shop import Redemption, Reward, RewardCode
from models.stats import DAY_COUNTERS, DailyStats, MemberSegment, SegmentRun
from models.tier import TierRow
from models.topic import Topic, TopicMember, TopicReaction, TopicReply
from models.vip import VipMembership, VipPayment, VipPlan, VipRoom, VipSeat

__all__ = [
    "DAY_COUNTERS",
    "Badge",
    "Ban",
    "Base",
    "BindTry",
    "BuyerBinding",
    "CadenceRun",
    "Campaign",
    "Channel",
    "ChannelJoin",
    "Chat",
    "ChatBoostRow",
    "Checkin",
    "CheckinDay",
    "CommandReceipt",
    "Commission",
    "CommissionEntry",
    "ConsoleLogin",
    "DailyStats",
    "Distributor",
    "DistributorCode",
    "Draw",
    "DrawEntry",
    "Erasure",
    "Event",
    "EventSeat",
    "ExpiryWarning",
    "GameDay",
    "GameEntry",
    "GameRound",
    "GroupBuy",
    "GroupBuyMember",
    "InviteLink",
    "Jielong",
    "JielongEntry",
    "Label",
    "LedgerEntry",
    "Member",
    "MemberNote",
    "MemberSegment",
    "MemberTag",
    "MemberWarning",
    "MessageAuthor",
    "ModAction",
    "NetworkMember",
    "Order",
    "OutboxMessage",
    "PeriodTotal",
    "PostRun",
    "Program",
    "ProgramMerge",
    "Push",
    "QuestCompletion",
    "QuestCursor",
    "QuestEvent",
    "QuizQuestion",
    "Raid",
    "RaidJoin",
    "ReactionDay",
    "Redemption",
    "Referral",
    "Report",
    "ReportVote",
    "Reward",
    "RewardCode",
    "ScheduledPost",
    "SeasonResult",
    "SegmentRun",
    "StaffGrant",
    "TierRow",
    "Topic",
    "TopicMember",
    "TopicReaction",
    "TopicReply",
    "Verification",
    "VipMembership",
    "VipPayment",
    "VipPlan",
    "VipRoom",
    "VipSeat",
    "create_engine",
    "create_session_pool",
]
