from __future__ import annotations

import pytest

from infrastructure.config import ConfigError, load_settings

TOKEN = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name in ("BOT_TOKEN", "DATABASE_URL", "DEFAULT_TIMEZONE", "DEFAULT_LANGUAGE", "OWNER_IDS",
                 "WEBHOOK_URL", "WEBHOOK_SECRET", "REDIS_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def error_for(**values: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(**values)
    return str(caught.value)


def test_missing_token_names_the_variable_and_the_fix() -> None:
    message = error_for()
    assert message.startswith("config error: BOT_TOKEN is missing")
    assert "BotFather" in message
    assert "\n" not in message


def test_malformed_token_is_refused_without_echoing_it() -> None:
    message = error_for(bot_token="12345:secret-but-short")
    assert "BOT_TOKEN does not look like a bot token" in message
    assert "secret-but-short" not in message


def test_unknown_timezone_is_refused() -> None:
    message = error_for(bot_token=TOKEN, default_timezone="Mars/Olympus")
    assert "DEFAULT_TIMEZONE unknown time zone 'Mars/Olympus'" in message


def test_unknown_language_is_refused() -> None:
    assert "DEFAULT_LANGUAGE" in error_for(bot_token=TOKEN, default_language="fr")


def test_sync_database_driver_is_refused() -> None:
    assert "DATABASE_URL needs an async driver" in error_for(
        bot_token=TOKEN, database_url="sqlite:///x.db"
    )


def test_webhook_without_secret_is_refused() -> None:
    message = error_for(bot_token=TOKEN, webhook_url="https://example.org/hook")
    assert "WEBHOOK_SECRET is required when WEBHOOK_URL is set" in message


def test_owner_ids_are_read_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("OWNER_IDS", "42, 7,")
    assert load_settings().owner_ids == frozenset({42, 7})
    monkeypatch.setenv("OWNER_IDS", "42,bob")
    assert "OWNER_IDS" in error_for()


def test_defaults_need_only_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///fanbot.db"
    assert settings.default_timezone == "Asia/Shanghai"
    assert settings.default_language == "zh"
    assert settings.webhook_url is None
    assert settings.background_check_seconds == 5
    assert TOKEN not in repr(settings)


def test_the_background_checks_interval_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("BACKGROUND_CHECK_SECONDS", "0.5")
    assert load_settings().background_check_seconds == 0.5
    monkeypatch.setenv("BACKGROUND_CHECK_SECONDS", "0")
    assert "BACKGROUND_CHECK_SECONDS" in error_for()


def test_a_short_shop_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(bot_token=TOKEN, shop_webhook_secret="tooshort-secret")
    assert "SHOP_WEBHOOK_SECRET must be at least 16 characters" in str(error.value)
    assert "tooshort-secret" not in str(error.value)
