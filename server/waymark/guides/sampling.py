"""Stable hash sampling: whether a unit (visitor or tenant) falls inside a share, the same answer on every call."""

from __future__ import annotations

import hashlib

__all__ = ["in_sample", "sample_point"]

_SCALE = float(1 << 64)


def sample_point(salt: str, unit_id: str) -> float:
    """A stable point in [0, 1) for this unit under this salt (the salt keeps one guide's sample from another's)."""
    # The separator cannot appear ambiguously: salt "a:b"+"c" and "a"+"b:c" hash differently because of the length.
    material = f"{len(salt)}:{salt}:{unit_id}".encode()
    digest = hashlib.blake2b(material, digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def in_sample(salt: str, unit_id: str, share: float) -> bool:
    """True when the unit falls inside the share (0 = nobody, 1 = everybody), stable across calls and processes."""
    if share >= 1.0:
        return True
    if share <= 0.0:
        return False
    return sample_point(salt, unit_id) < share
