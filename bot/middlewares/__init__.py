from bot.middlewares.counting import MessageCountingMiddleware
from bot.middlewares.database import (
    CommitBeforeCalling,
    DbSessionMiddleware,
    after_commit,
    commit_so_far,
    commit_update_so_far,
    forget_after_commit,
)
from bot.middlewares.throttle import CommandThrottleMiddleware
from bot.middlewares.tracking import TrackingMiddleware

__all__ = [
    "CommandThrottleMiddleware",
    "CommitBeforeCalling",
    "DbSessionMiddleware",
    "MessageCountingMiddleware",
    "TrackingMiddleware",
    "after_commit",
    "commit_so_far",
    "commit_update_so_far",
    "forget_after_commit",
]
