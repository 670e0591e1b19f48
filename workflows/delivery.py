"""What the outbox sender (`workflows/outbox.py`) asks of a feature: a renderer for each of its
message kinds, registered for the kind's payload class (`services/outbox.py` says how a kind is
declared). A feature keeps its renderers in `workflows/<feature>_messages.py`, beside the views
they call, in a `Renderers` of its own, and that module joins the list in `workflows/outbox.py`
as a router joins the dispatcher's:

    renderers = Renderers()

    @renderers.register(DrawPost)
    async def draw_post(context: RenderContext, profile: ChatProfile, post: DrawPost) -> Delivery:
        ...

A renderer runs in the chat's language and says what to send (`Delivery`), or None when there
is nothing to send now; it raises LookupError (or ValueError) when what the row announces is
gone, and the row fails. A gathered kind's renderer (`register_gathered`) gets every row of the
chat's moment, for one message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from services.chats import ChatProfile
from services.outbox import OutboxPayload
from views.posts import PostMessage
from workflows.rights import RightsNotices
from workflows.topics import ForumTopics, Placement

P = TypeVar("P", bound=OutboxPayload)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one message of the outbox is, once rendered: where it goes and what follows it."""

    text: str
    where: Placement = field(default_factory=lambda: Placement(None, None))
    markup: InlineKeyboardMarkup | None = None
    photos: tuple[str, ...] = ()  # sent after the text, with `caption` (a topic's best photos)
    caption: str = ""
    close_thread: bool = False  # a forum topic's summary closes the topic after it
    delete_after: int = 0  # seconds; the message is deleted then (a welcome), through the outbox
    edit: int | None = None  # this message of the bot's is edited to the text instead
    edit_caption: bool = False  # the edited message is a photo: the text is its caption
    post: PostMessage | None = None  # sent instead of the text: a scheduled post's own content
    pin: bool = False
    # Called with the sent message's id in the transaction that marks the row sent.
    record: Callable[[AsyncSession, int], Awaitable[None]] | None = None
    # Called with Telegram's refusal (400, 403) in the transaction that marks the row failed.
    refused: Callable[[AsyncSession, TelegramAPIError], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer may use besides the row: the bot, sessions and services (`background`),
    and the sender's options."""

    bot: Bot
    background: Background
    topics: ForumTopics | None = None  # opens the daily topic a morning post names
    web_url: str | None = None  # a draw's result links to its public page
    notices: RightsNotices | None = None  # tells the admins of a right a renderer's call lacked


RenderOne = Callable[[RenderContext, ChatProfile, P], Awaitable[Delivery | None]]
RenderGathered = Callable[[RenderContext, ChatProfile, Sequence[P]], Awaitable[Delivery | None]]


@dataclass(frozen=True, slots=True)
class Renderer:
    """A kind's payload class, and what renders a chat's rows of it that go out as one."""

    payload: type[OutboxPayload]
    render: RenderGathered[Any]


class Renderers:
    """Renderers by kind: each feature fills one, the sender joins them (`of`)."""

    def __init__(self) -> None:
        self._by_kind: dict[str, Renderer] = {}

    @classmethod
    def of(cls, *features: Renderers) -> Renderers:
        joined = cls()
        for feature in features:
            for renderer in feature._by_kind.values():
                joined._add(renderer)
        return joined

    def register(self, payload: type[P]) -> Callable[[RenderOne[P]], RenderOne[P]]:
        """The decorated function renders each row of `payload`'s kind as a message."""
        if payload.gathered:
            raise TypeError(f"{payload.kind} is gathered: its renderer takes the moment's rows")

        def add(render: RenderOne[P]) -> RenderOne[P]:
            async def one(
                context: RenderContext, profile: ChatProfile, rows: Sequence[P]
            ) -> Delivery | None:
                (row,) = rows
                return await render(context, profile, row)

            self._add(Renderer(payload, one))
            return render

        return add

    def register_gathered(
        self, payload: type[P]
    ) -> Callable[[RenderGathered[P]], RenderGathered[P]]:
        """The decorated function renders a chat's rows of one moment as one message."""
        if not payload.gathered:
            raise TypeError(f"{payload.kind} is not gathered: its renderer takes one row")

        def add(render: RenderGathered[P]) -> RenderGathered[P]:
            self._add(Renderer(payload, render))
            return render

        return add

    def get(self, kind: str) -> Renderer | None:
        return self._by_kind.get(kind)

    def gathered(self, kind: str) -> bool:
        """Whether a chat's rows of `kind` of one moment go out as one message."""
        renderer = self._by_kind.get(kind)
        return renderer is not None and renderer.payload.gathered

    def grace(self) -> dict[str, timedelta]:
        """How late each kind's rows may still go out."""
        return {kind: renderer.payload.grace for kind, renderer in self._by_kind.items()}

    def _add(self, renderer: Renderer) -> None:
        kind = renderer.payload.kind
        if kind in self._by_kind:
            raise ValueError(f"two renderers of {kind}")
        self._by_kind[kind] = renderer
