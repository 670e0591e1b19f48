"""For dispatcher-level tests: a Bot whose session records requests instead of sending them.

The database stays real; only Telegram is replaced, the way aiogram's own tests do it.
End-to-end tests use the sandbox over HTTP instead.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    AcceptedGiftTypes,
    Chat,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    ForumTopic,
    Message,
    Update,
    User,
)

from infrastructure.background import Background
from infrastructure.chat_cache import ChatCache
from workflows.rights import RightsNotices
from workflows.topics import ForumTopics

BOT_ID = 123456789
TOKEN = f"{BOT_ID}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.admins: dict[int, list[int]] = {}  # chat id -> admin user ids (first is the owner)
        self._message_ids = itertools.count(1000)
        self.forbidden: set[int] = set()  # chats that removed the bot: sends get a 403
        self.refused: set[str] = set()  # methods the bot lacks the right for: a 400
        self.failures: dict[str, str] = {}  # method -> the 400's description Telegram gives
        self.stale_queries = False  # answerCallbackQuery says the press is too old: a 400
        self.bot_rights: dict[str, bool] = {}  # the bot's own admin rights (getChatMember)
        self.forums: set[int] = set()  # chats with topics: getChat says is_forum
        # Members getChatMember describes as such, with the tag each has (setChatMemberTag).
        self.tags: dict[tuple[int, int], str] = {}

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        name = method.__api_method__
        if getattr(method, "chat_id", None) in self.forbidden:
            raise TelegramForbiddenError(method, "Forbidden: bot was kicked from the group chat")
        if name in self.refused:
            raise TelegramBadRequest(method, "Bad Request: not enough rights")
        if name in self.failures:
            raise TelegramBadRequest(method, f"Bad Request: {self.failures[name]}")
        if name == "answerCallbackQuery" and self.stale_queries:
            raise TelegramBadRequest(
                method,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if name == "getChatMember" and getattr(method, "user_id", None) == BOT_ID:
            return self._admin(BOT_ID, owner=False, **self.bot_rights)  # type: ignore[no-any-return]
        result: Any = True
        member = (getattr(method, "chat_id", None), getattr(method, "user_id", None))
        if name == "getChatMember" and member in self.tags:
            user = User(id=member[1], is_bot=False, first_name=f"Member{member[1]}")
            return ChatMemberMember(user=user, tag=self.tags[member] or None)  # type: ignore[return-value]
        if name == "getChatMember":  # an admin as getChatAdministrators says, else a member
            admins = self.admins.get(member[0], [])  # type: ignore[arg-type]
            if member[1] in admins:
                return self._admin(member[1], admins.index(member[1]) == 0)  # type: ignore[no-any-return]
            user = User(id=member[1], is_bot=False, first_name=f"Member{member[1]}")  # type: ignore[arg-type]
            return ChatMemberMember(user=user)  # type: ignore[return-value]
        if name == "setChatMemberTag":
            self.tags[member] = method.tag or ""  # type: ignore[index, attr-defined]
        if name == "getMe":
            result = User(id=BOT_ID, is_bot=True, first_name="fanbot", username="fanbot_test_bot")
        elif name == "getChatAdministrators":
            result = [self._admin(user_id, index == 0) for index, user_id in
                      enumerate(self.admins.get(method.chat_id, []))]  # type: ignore[attr-defined]  # fmt: skip
        elif name in ("sendMessage", "sendPhoto"):
            result = self._message(method.chat_id, getattr(method, "text", None))  # type: ignore[attr-defined]
        elif name == "sendMediaGroup":
            result = [self._message(method.chat_id, None) for _ in method.media]  # type: ignore[attr-defined]
        elif name == "createForumTopic":
            result = ForumTopic(
                message_thread_id=next(self._message_ids), name=method.name,  # type: ignore[attr-defined]
                icon_color=method.icon_color or 7322096,  # type: ignore[attr-defined]
            )  # fmt: skip
        elif name == "getChat":
            result = ChatFullInfo(
                id=method.chat_id, type="supergroup", is_forum=method.chat_id in self.forums,  # type: ignore[attr-defined]
                accent_color_id=0, max_reaction_count=11,
                accepted_gift_types=AcceptedGiftTypes(
                    unlimited_gifts=False, limited_gifts=False, unique_gifts=False,
                    premium_subscription=False, gifts_from_channels=False,
                ),
            )  # fmt: skip
        return result  # type: ignore[no-any-return]

    def _message(self, chat_id: int, text: str | None) -> Message:
        return Message(
            message_id=next(self._message_ids), date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="supergroup"), text=text,
        )  # fmt: skip

    @staticmethod
    def _admin(user_id: int, owner: bool, **rights: bool) -> Any:
        user = User(id=user_id, is_bot=False, first_name=f"Admin{user_id}")
        if owner:
            return ChatMemberOwner(user=user, is_anonymous=False)
        every = dict.fromkeys(
            ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
             "can_restrict_members", "can_promote_members", "can_change_info",
             "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
             "can_send_welcome_messages", "can_pin_messages", "can_manage_topics"),
            True,
        )  # fmt: skip
        fields: dict[str, Any] = {**every, **rights}
        return ChatMemberAdministrator(user=user, can_be_edited=False, is_anonymous=False, **fields)

    def sent_texts(self) -> list[str]:
        return [m.text for m in self.requests if m.__api_method__ == "sendMessage"]  # type: ignore[attr-defined]


def recording_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    return bot, session


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def group(chat_id: int = -1001, title: str = "Fans") -> Chat:
    return Chat(id=chat_id, type="supergroup", title=title)


def person(user_id: int, language: str | None = "en", name: str = "Alice") -> User:
    return User(id=user_id, is_bot=False, first_name=name, language_code=language)


def message_update(chat: Chat, user: User | None, text: str, **extra: Any) -> Update:
    message = Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=chat,
        from_user=user,
        text=text,
        **extra,
    )
    return Update(update_id=next(_update_ids), message=message)


def forum_topics(background: Background) -> ForumTopics:
    """The topic host as the bot builds it, with its own chat_cache."""
    notices = RightsNotices(background)
    return ForumTopics(background, notices, ChatCache())
