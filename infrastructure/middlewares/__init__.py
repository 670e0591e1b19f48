from infrastructure.middlewares.database import CommitBeforeCalling, DbSessionMiddleware
from infrastructure.middlewares.services import HandlerServicesMiddleware
from infrastructure.middlewares.throttle import CommandThrottleMiddleware
from infrastructure.middlewares.tracking import TrackingMiddleware

__all__ = [
    "CommandThrottleMiddleware",
    "CommitBeforeCalling",
    "DbSessionMiddleware",
    "HandlerServicesMiddleware",
    "TrackingMiddleware",
]
