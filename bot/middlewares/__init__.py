from bot.middlewares.database import CommitBeforeCalling, DbSessionMiddleware, after_commit
from bot.middlewares.throttle import CommandThrottleMiddleware
from bot.middlewares.tracking import TrackingMiddleware

__all__ = [
    "CommandThrottleMiddleware",
    "CommitBeforeCalling",
    "DbSessionMiddleware",
    "TrackingMiddleware",
    "after_commit",
]
