"""Password policy and hashing: argon2id at OWASP's parameters."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("identity").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line and not line.startswith("#"))


def problems(password: str, username: str = "", email: str = "") -> list[str]:
    """Why a new password is refused; empty when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if len(set(password)) == 1 or not password.strip():
        return ["Use more than one character, and not only spaces."]
    lowered = password.lower()
    if lowered in common_passwords():
        return ["This password is too common."]
    if username and username.lower() in lowered or email and lowered == email.lower():
        return ["The password must not contain the username or equal the email."]
    return []


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


DUMMY_HASH = HASHER.hash("an unguessable placeholder that equalises timing")
