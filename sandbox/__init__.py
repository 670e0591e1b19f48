"""A local stand-in for Telegram's Bot API: the real bot talks to it over HTTP.

`server.create_app()` serves `/bot{token}/{method}` for the bot and `/control/...` for tests;
`client.SandboxClient` drives it as users and admins would.
"""
