"""The email channel's settings: SMTP_URL, EMAIL_FROM, EMAIL_DELAY_SECONDS and PUBLIC_URL, with
their defaults (an IPv6 host in brackets), and one line and exit status 2 for a bad value."""

from __future__ import annotations

import gc
import signal
from types import SimpleNamespace

import pytest

from adapters.email.smtp import SmtpServer
from entrypoints import app, cli
from entrypoints.cli import main
from entrypoints.settings import Settings, SettingsError

SECRET = "s" * 32


def test_without_smtp_url_there_is_no_email_and_the_defaults_are_the_contracts() -> None:
    settings = Settings.from_env({"JWT_SECRET": SECRET, "HERALD_PORT": "4000"})

    assert settings.smtp is None
    assert settings.email_from == "Herald <herald@localhost>"
    assert settings.email_delay_seconds == 600
    assert settings.public_base_url == "http://127.0.0.1:4000"


@pytest.mark.parametrize(
    ("host", "public_url"),
    [
        ("::1", "http://[::1]:3103"),
        ("::", "http://[::]:3103"),
        ("0.0.0.0", "http://0.0.0.0:3103"),
        ("herald.internal", "http://herald.internal:3103"),
    ],
)
def test_the_default_public_url_brackets_an_ipv6_host(host: str, public_url: str) -> None:
    settings = Settings.from_env({"JWT_SECRET": SECRET, "HERALD_HOST": host, "HERALD_PORT": "3103"})

    assert settings.public_base_url == public_url


def test_serve_logs_its_ipv6_address_in_brackets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Started(Exception):
        pass

    async def prepared(settings: Settings) -> None:
        pass

    def started(*args: object) -> None:
        raise Started

    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("HERALD_HOST", "::1")
    monkeypatch.setenv("HERALD_PORT", "3103")
    monkeypatch.setattr(cli, "_prepare_database", prepared)
    monkeypatch.setattr(app, "create_app", lambda container: None)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    # The step after the log line (asyncio.run sets its own handler through the module itself).
    monkeypatch.setattr(cli, "signal", SimpleNamespace(signal=started, SIGTERM=signal.SIGTERM))

    with pytest.raises(Started):
        cli.main(["serve"])

    assert "Herald serves on http://[::1]:3103 (development)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://mail.example.com", SmtpServer(host="mail.example.com", port=25)),
        (
            "smtp+starttls://herald:p%40ss%3Aword@mail.example.com:2587",
            SmtpServer(
                host="mail.example.com",
                port=2587,
                security="starttls",
                username="herald",
                password="p@ss:word",
            ),
        ),
        (
            "smtps://u:p@127.0.0.1",
            SmtpServer(host="127.0.0.1", port=465, security="tls", username="u", password="p"),
        ),
        (
            "SMTP+STARTTLS://mail.example.com/",
            SmtpServer(host="mail.example.com", port=587, security="starttls"),
        ),
    ],
)
def test_smtp_urls_of_the_three_kinds(url: str, server: SmtpServer) -> None:
    assert Settings.from_env({"JWT_SECRET": SECRET, "SMTP_URL": url}).smtp == server


def test_the_other_email_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "JWT_SECRET": SECRET,
            "EMAIL_FROM": "CRM <crm@example.com>",
            "EMAIL_DELAY_SECONDS": "1",
            "PUBLIC_URL": "https://herald.example.com/",
        }
    )

    assert settings.email_from == "CRM <crm@example.com>"
    assert settings.email_delay_seconds == 1
    assert settings.public_base_url == "https://herald.example.com"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SMTP_URL": "http://mail.example.com"}, "SMTP_URL must look like"),
        ({"SMTP_URL": "smtp://"}, "SMTP_URL must look like"),
        ({"SMTP_URL": "smtp://mail.example.com:port"}, "SMTP_URL must look like"),
        ({"SMTP_URL": "smtp://mail.example.com/path"}, "SMTP_URL must look like"),
        ({"SMTP_URL": "smtp://user@mail.example.com"}, "both a user and a password"),
        ({"EMAIL_DELAY_SECONDS": "0"}, "EMAIL_DELAY_SECONDS must be a whole number from 1"),
        ({"EMAIL_DELAY_SECONDS": "1.5"}, "EMAIL_DELAY_SECONDS must be a whole number from 1"),
        ({"PUBLIC_URL": "herald.example.com"}, "PUBLIC_URL must be an http:// or https://"),
        ({"PUBLIC_URL": "ftp://herald.example.com"}, "PUBLIC_URL must be an http:// or https://"),
        ({"PUBLIC_URL": "https://herald.example.com/?a=1"}, "PUBLIC_URL must be"),
        ({"EMAIL_FROM": "not an address"}, "EMAIL_FROM must be one address"),
        ({"EMAIL_FROM": "a@example.com, b@example.com"}, "EMAIL_FROM must be one address"),
    ],
)
def test_a_bad_email_setting_is_one_clear_line(variables: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"JWT_SECRET": SECRET, **variables})

    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_password_in_a_bad_smtp_url_is_never_repeated() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"JWT_SECRET": SECRET, "SMTP_URL": "smtp://u:hunter2@host:x"})

    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in repr(
        Settings.from_env({"JWT_SECRET": SECRET, "SMTP_URL": "smtp://u:hunter2@host"})
    )


def test_serve_stops_with_status_2_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("EMAIL_DELAY_SECONDS", "0")

    with pytest.raises(SystemExit) as stopped:
        main(["serve"])

    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1].startswith("herald: EMAIL_DELAY_SECONDS must be a whole number")
