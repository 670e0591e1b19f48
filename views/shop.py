"""What the points shop says: the catalogue and its buttons, an item and its confirmation, the
answer to a redemption, the private delivery of a code, and the admins' views.

Codes appear only in texts meant for the member's private chat (`delivery`, `coupons`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Redemption, Reward
from services.badges import MILESTONES
from services.reward_codes import CodeImport
from services.reward_specs import NoSuchBadge, ShopInputError
from services.shop import discounted
from services.tiers import Tier
from views.keyboards import Button
from views.numbers import number
from views.quests import badge_choice, badge_label

PAGE_SIZE = 6
SHOWN_REFUSALS = 10  # an import's refused lines listed, then "and N more"
SHOWN_BADGES = 30  # "No such badge" lists this many names (a reply holds 4096 characters)


class ShopPage(Button, prefix="shop"):
    """A page of the catalogue. A `/shop` message is its asker's (`owner`): they turn its
    pages and open its items, so one message per asker is all the group sees."""

    owner: int
    page: int


class ShopItem(Button, prefix="item"):
    """One reward of the catalogue, opened in place with a Redeem button."""

    owner: int
    id: int


class RedeemPress(Button, prefix="redeem"):
    """Redeem, then Confirm or Cancel, for the member the item was shown to; `nonce` names the
    press, so a double press or a redelivered one redeems once. The three share the prefix and
    differ by `step` (`redeem:<id>:<owner>:<nonce>:ask`): buttons already sent keep working."""

    id: int
    owner: int
    nonce: str
    step: str


class RedeemAsk(RedeemPress, prefix="redeem"):
    step: Literal["ask"] = "ask"


class RedeemConfirm(RedeemPress, prefix="redeem"):
    step: Literal["confirm"] = "confirm"


class RedeemCancel(RedeemPress, prefix="redeem"):
    step: Literal["cancel"] = "cancel"


class CampaignCoupon(Button, prefix="coupon"):
    """ "领券 / Get coupon" on a campaign's greeting: one of its reward per member."""

    campaign: int


def coupon_keyboard(campaign_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text="领券 / Get coupon", callback_data=CampaignCoupon(campaign=campaign_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def kind_icon(reward: Reward) -> str:
    return {"coupon": "🎟", "gift": "🎁", "perk": "✨"}.get(reward.kind, "🎁")


def left_text(reward: Reward, free_codes: int | None) -> str:
    """How many are left: the stock, or for coupons the codes in the pool if fewer."""
    counts = [
        n for n in (reward.stock, free_codes if reward.kind == "coupon" else None) if n is not None
    ]
    if not counts:
        return ""
    left = min(counts)
    return (
        _("sold out")
        if left <= 0
        else ngettext("{n} left", "{n} left", left).format(n=number(left))
    )


def catalogue(
    rewards: Sequence[Reward], free: dict[int, int], owner: int, page: int, discount: int,
    more: Sequence[list[InlineKeyboardButton]] = (),
) -> tuple[str, InlineKeyboardMarkup | None]:  # fmt: skip
    """The shop's page: one button per reward (price after the reader's tier discount, what is
    left, 🔒 on a tier's or a badge's item), the page arrows, then `more` (paid plans' links)."""
    if not rewards:
        empty = _("🛍 The shop is empty for now. Admins add rewards with /reward add.")
        return empty, InlineKeyboardMarkup(inline_keyboard=list(more)) if more else None
    pages = (len(rewards) + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    shown = rewards[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = []
    for reward in shown:
        price = discounted(reward.price, discount)
        lock = "🔒 " if reward.min_tier or reward.badge else ""
        left = left_text(reward, free.get(reward.id, 0))
        label = f"{lock}{kind_icon(reward)} {reward.name} · {number(price)}"
        label += f" · {left}" if left else ""
        button = InlineKeyboardButton(
            text=label, callback_data=ShopItem(owner=owner, id=reward.id).pack()
        )
        rows.append([button])
    arrows = []
    if page > 0:
        back = ShopPage(owner=owner, page=page - 1).pack()
        arrows.append(InlineKeyboardButton(text="‹", callback_data=back))
    if page < pages - 1:
        ahead = ShopPage(owner=owner, page=page + 1).pack()
        arrows.append(InlineKeyboardButton(text="›", callback_data=ahead))
    if arrows:
        rows.append(arrows)
    rows += more
    text = _("🛍 <b>Points shop</b> — press an item to see it and redeem.")
    if discount:
        text += "\n" + _("Your tier takes {percent}% off.").format(percent=discount)
    if pages > 1:
        text += "\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def item(
    reward: Reward,
    free_codes: int,
    discount: int,
    tier: Tier | None,
    owner: int,
    nonce: str,
    language: str,
) -> tuple[str, InlineKeyboardMarkup]:
    price = discounted(reward.price, discount)
    lines = [f"{kind_icon(reward)} <b>{escape(reward.name)}</b>"]
    cost = ngettext("{n} point", "{n} points", price).format(n=number(price))
    if discount and price != reward.price:
        cost += f" <s>{number(reward.price)}</s>"
    lines.append(_("Price: {cost}").format(cost=cost))
    if left := left_text(reward, free_codes):
        lines.append(left)
    if tier is not None:
        lines.append(_("🔒 {tier} members and above").format(tier=escape(tier.label(language))))
    if reward.badge is not None:
        lines.append(badge_needed(reward.badge))
    if reward.limit_count is not None:
        lines.append(limit_text(reward))
    if reward.valid_days:
        lines.append(
            ngettext("Valid {n} day", "Valid {n} days", reward.valid_days).format(
                n=reward.valid_days
            )
        )
    if reward.details:
        lines.append(escape(reward.details))
    button = InlineKeyboardButton(
        text=_("兑换 / Redeem"),
        callback_data=RedeemAsk(id=reward.id, owner=owner, nonce=nonce).pack(),
    )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[[button], [back_button(owner)]])


def badge_needed(badge: str) -> str:
    """What an item asks for when it asks for a badge (`badge=`): the card's line."""
    return _("🎖 For holders of the badge “{badge}”").format(badge=badge_label(badge))


def badge_refusal(badge: str) -> str:
    """A member without the badge an item asks for: the reason, and how the badge comes."""
    if badge in MILESTONES:
        return _("Needs the badge “{badge}” to redeem; it comes with that milestone.").format(
            badge=badge_label(badge)
        )
    return _("Needs the badge “{badge}” to redeem; the admins give it.").format(
        badge=badge_label(badge)
    )


def back_button(owner: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("‹ Back to the shop"), callback_data=ShopPage(owner=owner, page=0).pack()
    )


def limit_text(reward: Reward) -> str:
    count = reward.limit_count or 0
    if reward.limit_per == "day":
        return ngettext("{n} per member a day", "{n} per member a day", count).format(n=count)
    if reward.limit_per == "week":
        return ngettext("{n} per member a week", "{n} per member a week", count).format(n=count)
    if reward.limit_per == "month":
        return ngettext("{n} per member a month", "{n} per member a month", count).format(n=count)
    return ngettext("{n} per member", "{n} per member", count).format(n=count)


def confirmation(
    reward: Reward, price: int, press: RedeemPress
) -> tuple[str, InlineKeyboardMarkup]:
    text = ngettext("Redeem {name} for {n} point?", "Redeem {name} for {n} points?", price).format(
        name=f"<b>{escape(reward.name)}</b>", n=number(price)
    )
    buttons = [
        InlineKeyboardButton(
            text=_("✅ Confirm"),
            callback_data=RedeemConfirm(id=reward.id, owner=press.owner, nonce=press.nonce).pack(),
        ),
        InlineKeyboardButton(
            text=_("✖ Cancel"),
            callback_data=RedeemCancel(id=reward.id, owner=press.owner, nonce=press.nonce).pack(),
        ),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons])


def redeemed_head(name: str, price: int, balance: int, already: bool) -> str:
    """What a press bought, with the balance after it; `name` as the caller shows it."""
    if already:
        return _("⏭ Already redeemed with this button: {name}.").format(name=name)
    head = _("✅ Redeemed: {name}").format(name=name)
    if price:
        head += " · " + ngettext(
            "-{n} point, balance {balance}.", "-{n} points, balance {balance}.", price
        ).format(n=number(price), balance=number(balance))
    return head


def redeemed(reward: Reward, price: int, balance: int, delivered: bool, already: bool) -> str:
    head = redeemed_head(escape(reward.name), price, balance, already)
    if reward.kind == "coupon":
        where = (
            _("Your code is in our private chat.")
            if delivered
            else _("Press the button to get your code in a private chat.")
        )
    elif reward.kind == "gift":
        where = _("The admins will contact you to send it.")
    else:
        where = _("The admins will grant it soon.")
    return f"{head}\n{where}"


def refusal(reason: str, reward: Reward | None, price: int, balance: int, tier: Tier | None,
            language: str) -> str:  # fmt: skip
    if reason == "points":
        return ngettext(
            "It costs {n} point; you have {balance}.",
            "It costs {n} points; you have {balance}.",
            price,
        ).format(n=number(price), balance=number(balance))
    if reason == "tier" and tier is not None:
        return _("Only {tier} members and above can redeem this.").format(
            tier=escape(tier.label(language))
        )
    if reason == "badge" and reward is not None and reward.badge is not None:
        return badge_refusal(reward.badge)
    if reason == "limit" and reward is not None:
        return _("You've reached this reward's limit ({limit}).").format(limit=limit_text(reward))
    if reason == "sold_out":
        return _("Sold out, sorry.")
    if reason == "paused":
        return _("This reward is paused for now.")
    return _("This reward is no longer in the shop.")


def delivery(
    reward: Reward, redemption: Redemption, code: str | None, group: str, timezone: str
) -> str:
    """The private message with what a member redeemed (a coupon's code in <code> to copy)."""
    lines = [
        _("🎁 <b>{name}</b> from {group}").format(name=escape(reward.name), group=escape(group))
    ]
    if code is not None:
        lines.append(_("Your code: <code>{code}</code>").format(code=escape(code)))
    if redemption.expires_at is not None:
        until = redemption.expires_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")
        lines.append(_("Valid until {day}.").format(day=until))
    if reward.kind == "gift":
        lines.append(_("Reply to this message with your size, address or contact: the admins "
                       "will send it."))  # fmt: skip
    elif reward.details:
        lines.append(escape(reward.details))
    lines.append(_("/mycoupons lists everything you have redeemed."))
    return "\n".join(lines)


def gift_sent(reward: Reward, group: str) -> str:
    return _("📦 Your {name} from {group} is on its way.").format(
        name=f"<b>{escape(reward.name)}</b>", group=escape(group)
    )


def gifts_for_admins(waiting: Sequence[tuple[Redemption, Reward, str]]) -> str:
    if not waiting:
        return _("No gifts waiting to be sent.")
    lines = [_("📦 <b>Gifts to send</b> (/gift sent &lt;number&gt; once sent)")]
    for redemption, reward, name in waiting:
        note = escape(redemption.note) if redemption.note else _("no details yet")
        lines.append(f"#{redemption.id} {escape(reward.name)} · {escape(name)} · {note}")
    return "\n".join(lines)


def coupon_reminder(
    reward: Reward, redemption: Redemption, code: str, group: str, timezone: str
) -> str:
    assert redemption.expires_at is not None
    until = redemption.expires_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")
    return "\n".join(
        [
            _("⏰ Your {name} from {group} expires on {day}.").format(
                name=f"<b>{escape(reward.name)}</b>", group=escape(group), day=until
            ),
            _("Your code: <code>{code}</code>").format(code=escape(code)),
        ]
    )


def redemption_state(status: str) -> str:
    """A redemption's status in words: issued, used, a gift sent, expired."""
    states = {"issued": _("issued"), "used": _("used"), "sent": _("sent"),
              "expired": _("expired")}  # fmt: skip
    return states.get(status, status)


def redemption_source(source: str) -> str:
    """Where a redemption came from: the shop, a draw's prize, a campaign, a tier's reward."""
    sources = {"shop": _("shop"), "draw": _("draw"), "campaign": _("campaign"),
               "tier": _("tier")}  # fmt: skip
    return sources.get(source, source)


def coupons(received: Sequence[tuple[Redemption, Reward, str | None]], now: datetime) -> str:
    if not received:
        return _("You haven't redeemed anything yet. See /shop in your group.")
    lines = [_("🎟 <b>Your rewards</b>")]
    for redemption, reward, code in received[:30]:
        if redemption.status == "used":
            state = _("used")
        elif redemption.expires_at is not None and redemption.expires_at < now:
            state = _("expired")
        elif redemption.expires_at is not None:
            state = _("until {day}").format(day=redemption.expires_at.strftime("%Y-%m-%d"))
        else:
            state = _("valid")
        shown = f" <code>{escape(code)}</code>" if code else ""
        lines.append(f"• {escape(reward.name)}{shown} · {state}")
    return "\n".join(lines)


def shelf_for_admins(rewards: Sequence[Reward], free: dict[int, int]) -> str:
    if not rewards:
        return _("No rewards yet. Add one: /reward add &lt;name&gt; price=&lt;points&gt;")
    lines = [_("🛍 <b>Rewards</b>")]
    for reward in rewards:
        paused = _(" (paused)") if reward.status == "paused" else ""
        paused += f" 🎖{badge_label(reward.badge)}" if reward.badge else ""
        left = left_text(reward, free.get(reward.id, 0)) or _("no limit")
        lines.append(
            f"#{reward.id} {kind_icon(reward)} {escape(reward.name)}{paused} · "
            + _("{price} pts · {left} · {redeemed} redeemed · {spent} pts spent").format(
                price=number(reward.price), left=left, redeemed=number(reward.redeemed),
                spent=number(reward.points_spent),
            )
        )  # fmt: skip
    return "\n".join(lines)


def imported(result: CodeImport, reward: Reward, free: int) -> str:
    lines = [
        ngettext(
            "✅ {n} code added to #{id} {name}.",
            "✅ {n} codes added to #{id} {name}.",
            result.added,
        ).format(n=number(result.added), id=reward.id, name=escape(reward.name)),
        ngettext("{n} free code in the pool.", "{n} free codes in the pool.", free).format(
            n=number(free)
        ),
    ]
    if result.refused:
        lines.append(
            ngettext("{n} line skipped:", "{n} lines skipped:", len(result.refused)).format(
                n=number(len(result.refused))
            )
        )
        for line, reason in result.refused[:SHOWN_REFUSALS]:
            lines.append(_("• line {line}: {reason}").format(line=line, reason=why(reason)))
        if len(result.refused) > SHOWN_REFUSALS:
            more = len(result.refused) - SHOWN_REFUSALS
            lines.append(_("… and {n} more").format(n=number(more)))
    return "\n".join(lines)


def why(reason: str) -> str:
    return {
        "not a code": _("not a code"),
        "too long": _("longer than 64 characters"),
        "twice in the file": _("twice in the file"),
        "already in the pool": _("already in this group's codes"),
    }.get(reason, reason)


def badge_problem(bad: ShopInputError) -> str:
    """`badge=` refused: a badge nobody holds (with those there are), or a name that cannot
    be one; `badge=-` takes the requirement off."""
    if isinstance(bad, NoSuchBadge):
        shown = [badge_choice(name) for name in bad.known[:SHOWN_BADGES]]
        names = ", ".join(shown + (["…"] if len(bad.known) > SHOWN_BADGES else []))
        return _("No such badge: give it first (/badge give), or use one of these: {names}. "
                 "/badges lists who holds them.").format(names=names)  # fmt: skip
    return _("badge= names one badge, at most 14 characters (badge=- for none).")


def input_problem(bad: ShopInputError) -> str:
    if bad.part == "file" and bad.detail == "mixed encoding":
        return _("Line {line} is not {encoding} like the lines before it: save the whole "
                 "file in one encoding (UTF-8) and send it again.").format(
            line=bad.line, encoding=bad.encoding)  # fmt: skip
    if bad.part == "file":
        return {
            "too big": _("The file is over 1 MB; split it."),
            "too many lines": _("The file has over 100,000 lines; split it."),
            "empty": _("The file holds no codes."),
            "not text": _("That file is not text: send a CSV or one code a line (UTF-8 or GBK)."),
            "no file": _(
                "Send the codes as a file with this command as its caption, or reply "
                "to the file with it."
            ),
        }.get(bad.detail, _("I couldn't read that file; send it again."))
    return {
        "name": _("A reward needs a name (up to 64 characters), before its options."),
        "price": _("The price is a whole number of points, 0 to 1,000,000."),
        "stock": _("Stock is a whole number, 0 to 1,000,000."),
        "limit": _("The limit is a whole number per member, 1 to 1,000."),
        "per": _("per= is day, week, month or ever."),
        "kind": _("kind= is coupon, gift or perk; only coupons have codes."),
        "min_tier": _("There is no such tier; see /tiers."),
        "badge": badge_problem(bad),
        "valid": _("valid= is a number of days, 1d to 3650d."),
        "id": _("Name the reward by its number, as /rewards shows it."),
        "count": _("Generate 1 to 10,000 codes at a time."),
        "prefix": _("A prefix is up to 16 letters and digits."),
    }.get(bad.part, _("That option was given twice."))
