from bot.middlewares.database import DbSessionMiddleware, after_commit
from bot.middlewares.throttle import CommandThrottleMiddleware
from bot.middlewares.tracking import TrackingMiddleware

__all__ = ["CommandThrottleMiddleware", "DbSessionMiddleware", "TrackingMiddleware", "after_commit"]
