"""Second factor: TOTP secrets, codes and one-time recovery codes (pyotp); no I/O."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import pyotp

__all__ = ["ISSUER", "new_recovery_codes", "new_totp_secret", "normal_code", "provisioning_uri", "totp_step"]

ISSUER = "Waymark"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper
_CODE = re.compile(r"^\d{6}$")


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app takes (typed in, or as a QR code made elsewhere)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def normal_code(code: str) -> str:
    """A code as typed, without spaces and dashes, lower-cased (recovery codes are shown with a dash)."""
    return re.sub(r"[\s-]", "", code).lower()[:64]


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step whose TOTP of ``secret`` is ``code`` (one step of clock drift either way), or None.

    The step, not a yes/no, so the caller can refuse a code already used (a replay within its ~90 s life).
    """
    code = normal_code(code)
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(now)
    for offset in (0, -1, 1):
        if secrets.compare_digest(totp.at(now, counter_offset=offset), code):
            return now_step + offset
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes shown once, as ``xxxxx-xxxxx`` (about 50 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes
