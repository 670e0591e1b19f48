"""What the bot says about games (互动游戏): dice duels, quizzes and their league, the question
file, the `/settings games` page."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.dice import BOT, Duel
from services.game_rules import GameRules
from services.quiz import QuizFileError, QuizImport, QuizResult
from views.keyboards import Button
from views.numbers import MEDALS, number, yuan
from views.orders import refused_lines


class DiceButton(Button, prefix="dice"):
    """ "Accept" under a challenge: the presser takes the duel."""

    duel: int


def points_text(points: int) -> str:
    return ngettext("{n} point", "{n} points", points).format(n=number(points))


def game_name(game: str) -> str:
    return {"quiz": _("Quiz"), "guess": _("Guess the price"), "dice": _("Dice")}.get(game, game)


# -- dice ---------------------------------------------------------------------------------


def challenge_text(challenger: str, stake: int, opponent: str | None) -> str:
    if opponent is not None:
        return _("🎲 {name} challenges {opponent} to dice for {points}. Higher roll takes both "
                 "stakes.").format(name=escape(challenger), opponent=escape(opponent),
                                   points=points_text(stake))  # fmt: skip
    return _("🎲 {name} puts up {points} at dice: who takes them on? Higher roll takes both "
             "stakes.").format(name=escape(challenger), points=points_text(stake))  # fmt: skip


def challenge_keyboard(duel_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("🎲 Accept"), callback_data=DiceButton(duel=duel_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def duel_result_text(duel: Duel, names: dict[int, str]) -> str:
    def name(seat: int) -> str:
        return _("the bot") if seat == BOT else escape(names.get(seat, str(seat)))

    second = BOT if duel.vs_bot else (duel.opponent or 0)
    score = "🎲 {a} {x} : {y} {b}".format(
        a=name(duel.challenger), x=duel.values.get(duel.challenger, "?"),
        y=duel.values.get(second, "?"), b=name(second),
    )  # fmt: skip
    winner = duel.winner
    if winner is None:
        outcome = _("A tie: each stake goes back.")
    elif winner == BOT:
        outcome = _("The bot wins; {name} loses the {points} staked.").format(
            name=name(duel.challenger), points=points_text(duel.stake)
        )
    else:
        outcome = _("{name} wins {points}.").format(
            name=name(winner), points=points_text(duel.stake)
        )
    return f"{score}\n{outcome}"


def dice_refused_text(reason: str, limit: int) -> str:
    return {
        "max": _("A stake is at most {points} here.").format(points=points_text(limit)),
        "cap": _("You can win only {points} more at games today: stake at most that.").format(
            points=points_text(limit)
        ),
        "points": _("You have only {points}.").format(points=points_text(limit)),
        "gone": _("This duel is over or already taken."),
        "own": _("That is your own challenge."),
        "not_yours": _("This challenge is for someone else."),
        "admin": _("Admins don't play: challenge a member, or the bot."),
    }.get(reason, _("This duel is over or already taken."))


def duel_accepted_text() -> str:
    return _("🎲 Accepted: rolling…")


def duel_called_off_text(stake: int) -> str:
    return _("🎲 Nobody took the duel in time; the {points} went back.").format(
        points=points_text(stake)
    )


def duel_dice_lost_text(stake: int) -> str:
    return _("🎲 The dice never came back; the duel is off and each stake of {points} went "
             "back.").format(points=points_text(stake))  # fmt: skip


def duel_dice_refused_text() -> str:
    return _("🎲 The dice could not be thrown; the duel will be called off and the stakes "
             "given back.")  # fmt: skip


# -- every game ---------------------------------------------------------------------------


def game_off_text(game: str) -> str:
    return _("{game} is off in this group (an admin turns it on: /settings games).").format(
        game=game_name(game)
    )


def quiet_hours_text(start: str, end: str) -> str:
    return _("Games rest during the group's quiet hours ({start}–{end}).").format(
        start=start, end=end
    )


def admins_dont_play_text() -> str:
    return _("Admins run the games; they don't play for points.")


# -- quiz ---------------------------------------------------------------------------------


def quiz_description(rules: GameRules) -> str:
    return _("First correct answer: {first}; the next {more}: {points} each. Closes in "
             "{minutes} min.").format(
        first=points_text(rules.quiz_first), more=number(max(0, rules.quiz_paid - 1)),
        points=number(rules.quiz_next), minutes=number(rules.quiz_minutes),
    )  # fmt: skip


def quiz_result_text(result: QuizResult) -> str:
    lines = [_("🧠 Quiz closed: {question}").format(question=escape(result.question))]
    lines.append(_("✅ Answer: {answer}").format(answer=escape(result.answer)))
    lines.append(
        ngettext(
            "{right} of {n} answer was right.",
            "{right} of {n} answers were right.",
            result.answered,
        ).format(right=number(result.right), n=number(result.answered))
    )
    for index, (name, points) in enumerate(result.winners):
        medal = MEDALS[index] if index < len(MEDALS) else f"{index + 1}."
        lines.append(f"{medal} {escape(name)} +{number(points)}")
    return "\n".join(lines)


def quiz_league_text(rows: list[tuple[str, int]]) -> str:
    if not rows:
        return _("🧠 No quiz points yet this week.")
    lines = [_("🧠 This week's quiz league:")]
    for index, (name, points) in enumerate(rows):
        medal = MEDALS[index] if index < len(MEDALS) else f"{index + 1}."
        lines.append(f"{medal} {escape(name)} · {points_text(points)}")
    return "\n".join(lines)


def quiz_imported_text(imported: QuizImport, bank: int) -> str:
    lines = [
        ngettext(
            "🧠 {n} question added; the bank holds {bank}.",
            "🧠 {n} questions added; the bank holds {bank}.",
            imported.added,
        ).format(n=number(imported.added), bank=number(bank))
    ]
    refused = [(line, question_refusal(reason)) for line, reason in imported.refused]
    return "\n".join(lines + refused_lines(refused))


def question_refusal(reason: str) -> str:
    return {
        "question": _("no question, or over 300 characters"),
        "options": _("2-12 different options, each up to 100 characters"),
        "answer": _("the answer names no option (1, 2 … or A, B …)"),
        "explanation": _("explanation over 200 characters"),
        "twice": _("the question is in the bank already"),
        "too long": _("a field too long"),
    }.get(reason, reason)


def quiz_file_problem(error: QuizFileError) -> str:
    if error.reason == "columns":
        return _("The file has no column for: {fields}. fanbot reads question, options "
                 "(separated by |), answer (1, 2 … or A, B …) and optionally explanation "
                 "(or 问题, 选项, 答案, 解析).").format(
            fields=", ".join(error.missing))  # fmt: skip
    return {
        "too big": _("The file is over 2 MB; split it."),
        "not text": _("That file is not text: send the questions as CSV (UTF-8 or GBK)."),
        "empty": _("The file is empty."),
        "too many rows": _("The file has over 2,000 questions; split it."),
        "mixed encoding": _("Save the whole file in one encoding (UTF-8) and send it again."),
    }.get(error.reason, _("I couldn't read that file; send it again."))


def quiz_bank_empty_text() -> str:
    return _("The question bank is empty: send a CSV with /quiz import as its caption.")


def quiz_send_file_text() -> str:
    return _("Send the questions (CSV) with /quiz import as its caption, or reply to it.")


def no_open_quiz_text() -> str:
    return _("No quiz is open here.")


def quiz_open_already_text() -> str:
    return _("A quiz is open already; /quiz end closes it.")


def quiz_time_problem_text() -> str:
    return _("A time is HH:MM in the group's time zone, e.g. 20:00.")


def quiz_refused_text() -> str:
    return _("Telegram refused the quiz poll; nothing was posted.")


# -- settings -----------------------------------------------------------------------------


def games_settings(rules: GameRules) -> list[str]:
    """The overview's one line."""
    on = [game_name(g) for g in ("quiz", "guess", "dice") if rules.plays(g)]
    return [
        _("Games: {games}; up to {points} won a day").format(
            games=", ".join(on) if on else _("none"), points=points_text(rules.cap)
        )
    ]


def games_details(rules: GameRules) -> list[str]:
    on = [game_name(g) for g in ("quiz", "guess", "dice") if rules.plays(g)]
    lines = [
        _("Games on: {games}").format(games=", ".join(on) if on else _("none")),
        _("Daily cap: {points} won per member").format(points=points_text(rules.cap)),
    ]
    lines.append(_("Quiz: first {first}, then {points} each; daily at {at}").format(
        first=number(rules.quiz_first), points=number(rules.quiz_next),
        at=rules.quiz_at or _("no set time"),
    ))  # fmt: skip
    lines.append(_("Dice: a stake of at most {points}").format(points=points_text(rules.dice_max)))
    return lines


def game_switched_text(game: str, on: bool) -> str:
    if on:
        return _("✅ {game} is on.").format(game=game_name(game))
    return _("✅ {game} is off.").format(game=game_name(game))


def games_cap_text(cap: int) -> str:
    return _("✅ A member now wins at most {points} a day at games.").format(
        points=points_text(cap)
    )


def quiz_time_text(at: str | None) -> str:
    if at is None:
        return _("✅ No daily quiz; admins post one with /quiz.")
    return _("✅ A quiz is posted every day at {at}.").format(at=at)


def quiz_points_text(first: int, following: int) -> str:
    return _("✅ The first correct answer earns {first}, the next ones {points} each.").format(
        first=points_text(first), points=number(following)
    )


def dice_max_text(stake: int) -> str:
    return _("✅ A dice stake is now at most {points}.").format(points=points_text(stake))


# -- guess the price ----------------------------------------------------------------------


def guess_caption(title: str, points: int, closes_at: str) -> str:
    return _("🏷 Guess the price: {title}\nSend /guess and your price (e.g. /guess 99): only "
             "you see your guess. The closest wins {points}. Closes at {time}.").format(
        title=escape(title), points=points_text(points), time=closes_at)  # fmt: skip


def guess_kept_text(fen: int) -> str:
    return _("Your guess {price} is in; the answer comes when the round closes.").format(
        price=yuan(fen)
    )


def guess_again_text(fen: int) -> str:
    return _("You guessed {price} already: one guess each.").format(price=yuan(fen))


def no_open_guess_text() -> str:
    return _("No guess-the-price round is open here.")


def guess_open_already_text() -> str:
    return _("A guess-the-price round is open already; /guess end closes it.")


def guess_price_problem_text() -> str:
    return _("A price is a sum such as 199 or 199.50.")


def guess_needs_photo_text() -> str:
    return _(
        "Send /guess, the price and the title as the caption of the item's photo, or reply to it."
    )


def guess_not_deleted_text() -> str:
    return _("I couldn't delete your message, and it shows a price: delete it yourself.")


def guess_not_started_text() -> str:
    return _("I couldn't delete your message, and it shows the price, so no round started: "
             "delete it, give me the right to delete messages, and send it again.")  # fmt: skip


def guess_result_text(title: str, price: int, winner: str | None, points: int,
                      guesses: list[tuple[str, int]]) -> str:  # fmt: skip
    lines = [_("🏷 {title}: the price was {price}.").format(title=escape(title), price=yuan(price))]
    if winner is None:
        lines.append(_("Nobody guessed."))
        return "\n".join(lines)
    best = guesses[0][1]
    if points:
        lines.append(_("🏆 {name} guessed {guess} and wins {points}.").format(
            name=escape(winner), guess=yuan(best), points=points_text(points)))  # fmt: skip
    else:
        lines.append(_("🏆 {name} guessed {guess}.").format(name=escape(winner), guess=yuan(best)))
    shown = " · ".join(f"{escape(name)} {yuan(fen)}" for name, fen in guesses[:10])
    lines.append(_("Guesses: {guesses}").format(guesses=shown))
    return "\n".join(lines)
