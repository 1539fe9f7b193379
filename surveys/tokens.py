"""Survey link tokens and the public URLs built from them (the contract between the sender, which puts
links in emails, and the public page, which answers them).

A token is 128 bits from ``secrets`` (22 URL-safe characters), so the link stays short:
``/s/<token>/``. Only its SHA-256 is stored (``Invitation.token_hash``): a database reader cannot answer
anyone's survey. SHA-256 without a salt is enough here because the token is uniformly random, not
a password a person chose (no dictionary to precompute).
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings

TOKEN_BYTES = 16
# token_urlsafe(16) is 22 characters of [A-Za-z0-9_-]; anything else is not a token (answered as unknown
# without a query).
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_token() -> tuple[str, str]:
    """A fresh ``(token, token_hash)``: the token goes in the email, the hash in the database."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def looks_like_token(value: str) -> bool:
    return bool(TOKEN_RE.match(value))


def answer_path(token: str, score: int | None = None) -> str:
    """The page's path; with ``score`` the email's one-click link (the page records it on arrival)."""
    return f"/s/{token}/" + (f"?score={score}" if score is not None else "")


def opt_out_path(token: str) -> str:
    return f"/s/{token}/opt-out/"


def absolute(path: str) -> str:
    """``path`` on ``PUBLIC_BASE_URL`` (emails are written by Celery, outside any request)."""
    return f"{settings.PUBLIC_BASE_URL or 'http://localhost:8000'}{path}"
