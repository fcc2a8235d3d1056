"""With WAYMARK_SMTP_URL set, invitation and reset links go by mail (to a small SMTP server run here)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from click.testing import CliRunner

from waymark.access.mail import MailError, send_mail
from waymark.cli import main


class _Inbox(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept a message: what smtplib says, in order."""

    def handle(self) -> None:
        received: list[bytes] = self.server.received  # type: ignore[attr-defined]
        self.wfile.write(b"220 test ready\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                received.append(body)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp() -> Iterator[tuple[str, list[bytes]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Inbox)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"smtp://127.0.0.1:{server.server_address[1]}?from=waymark@example.com", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_the_cli_mails_the_invitation_instead_of_printing_it(
    smtp: tuple[str, list[bytes]], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, inbox = smtp
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    monkeypatch.setenv("WAYMARK_SMTP_URL", url)
    cli = CliRunner()
    app_id = cli.invoke(main, ["apps", "create", "Shop", "--json"]).output.split('"id":"')[1].split('"')[0]
    result = cli.invoke(main, ["users", "invite", "pm@example.com", "--role", "analyst", "--app", app_id,
                               "--base-url", "https://waymark.example.com"])
    assert result.exit_code == 0, result.output
    assert "mailed to pm@example.com" in result.output and "/admin/invite/" not in result.output
    assert len(inbox) == 1
    mail = message_from_bytes(inbox[0])
    assert mail["To"] == "pm@example.com" and mail["From"] == "waymark@example.com"
    assert "Shop" in mail["Subject"]
    assert "https://waymark.example.com/admin/invite/" in mail.get_payload()


async def test_an_unreachable_mail_server_is_an_error_that_says_so() -> None:
    with pytest.raises(MailError, match="could not send mail"):
        await send_mail("smtp://127.0.0.1:1", "a@example.com", "subject", "body")
