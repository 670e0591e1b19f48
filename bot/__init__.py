"""fanbot: a Telegram bot that runs a brand's fan group."""

__version__ = "0.1.0"
