"""Invitation and reset links by mail when ``WAYMARK_SMTP_URL`` is set (stdlib smtplib; no mail server assumed)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["MailError", "hand_out", "link_message", "link_url", "send_mail"]


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


def link_message(purpose: str, link: str, app_name: str | None = None) -> tuple[str, str]:
    """The subject and text of a mail carrying an invitation or reset link."""
    if purpose == "invite":
        where = f" to {app_name}" if app_name else ""
        return (f"You are invited{where} on Waymark",
                f"Open this link to choose your password and sign in (it works once, for 7 days):\n\n{link}\n")
    return ("Reset your Waymark password",
            f"Open this link to choose a new password (it works once, for 24 hours):\n\n{link}\n\n"
            "If you did not ask for this, ignore this mail.")


def _send(url: str, to: str, subject: str, body: str) -> None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    sender = query.get("from", [f"waymark@{parts.hostname or 'localhost'}"])[0]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    try:
        client = (smtplib.SMTP_SSL if secure else smtplib.SMTP)(parts.hostname or "localhost", port, timeout=20)
        with client:
            if not secure and query.get("starttls", ["0"])[0] in ("1", "true"):
                client.starttls()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail through {parts.hostname}:{port}: {exc}") from exc


async def send_mail(url: str, to: str, subject: str, body: str) -> None:
    await asyncio.to_thread(_send, url, to, subject, body)


def link_url(base_url: str, purpose: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/admin/{purpose}/{token}"


async def hand_out(smtp_url: str, base_url: str, purpose: str, email: str, token: str,
                   app_name: str | None = None) -> str | None:
    """Mail the link when SMTP is configured (then ``None``), else return it to be shown or printed."""
    link = link_url(base_url, purpose, token)
    if not smtp_url:
        return link
    subject, body = link_message(purpose, link, app_name)
    await send_mail(smtp_url, email, subject, body)
    return None
