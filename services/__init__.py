"""The domain, free of aiogram: the bot, the scheduler, the CLI and the tests all call it."""
