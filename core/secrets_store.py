"""The sign-in cookie's signing key: from ``$KEHU_COOKIE_KEY`` or a 0600 file made on first start.

streamlit-authenticator signs its re-login cookie (a JWT) with a key that defaults to the public
string ``some_key`` (PITFALLS.md): anyone could forge a cookie. Kehu never uses a constant key:

1. ``$KEHU_COOKIE_KEY`` if set (for deployments that keep secrets in the environment), else
2. the file ``secrets/cookie_key`` beside the database (``data/secrets/cookie_key`` by default,
   git-ignored), created on first start with 48 random bytes and permissions 0600.

A key shorter than 32 characters, or a known placeholder, is refused with a readable message.
Each user's cookie is signed with a key derived from this one, the username and the user's
``token_version`` (``cookie_key_for``): bumping the version (sign-out, new password, disabled)
makes every cookie issued before it fail verification, copied ones included.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from core import db
from core.errors import KehuError

ENV_VAR = "KEHU_COOKIE_KEY"
MIN_KEY_LENGTH = 32
# Placeholders seen in the library's docs and in copy-pasted deployment recipes.
FORBIDDEN_KEYS = frozenset({"some_key", "some_signature_key", "abcdef", "changeme", "secret"})


class WeakSecret(KehuError):
    """The configured cookie key is missing, too short or a public placeholder."""


def key_file(db_path: str | Path | None = None) -> Path:
    """Where the generated key lives: ``secrets/cookie_key`` in the database's folder."""
    base = Path(db_path) if db_path else db.default_db_path()
    return base.parent / "secrets" / "cookie_key"


def check_key(key: str, origin: str) -> str:
    """Return ``key`` stripped, or refuse it (too short, or a placeholder from the docs)."""
    key = key.strip()
    if key.lower() in FORBIDDEN_KEYS:
        raise WeakSecret(
            f"The cookie key from {origin} is a public placeholder. Remove it; Kehu then "
            "generates a random key on first start."
        )
    if len(key) < MIN_KEY_LENGTH:
        raise WeakSecret(
            f"The cookie key from {origin} is shorter than {MIN_KEY_LENGTH} characters. Use a "
            "long random value, e.g. python -c \"import secrets; print(secrets.token_urlsafe(48))\"."
        )
    return key


def cookie_key(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The master cookie key: environment first, else the key file (created if missing)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return check_key(environ[ENV_VAR], f"${ENV_VAR}")
    path = Path(path) if path else key_file()
    if not path.exists():
        _create_key_file(path)
    _tighten_permissions(path)
    return check_key(path.read_text(encoding="utf-8"), str(path))


def _create_key_file(path: Path) -> None:
    """Write 48 random bytes (URL-safe) with 0600; a concurrent creator wins without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass  # a shared folder we do not own: the file's own mode still protects the key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48) + "\n")


def _tighten_permissions(path: Path) -> None:
    """A key readable by other accounts on the machine is not a secret: make it 0600."""
    if os.name != "posix" or path.stat().st_mode & 0o077 == 0:
        return
    try:
        os.chmod(path, 0o600)
    except OSError as exc:
        raise WeakSecret(
            f"The cookie key file {path} can be read by other users and Kehu cannot change "
            "that. Run: chmod 600 on it."
        ) from exc


def cookie_key_for(master: str, username: str, token_version: int) -> str:
    """The key that signs this user's cookie; changes when ``token_version`` is bumped."""
    message = f"kehu-cookie\x00{username}\x00{token_version}".encode()
    return hmac.new(master.encode(), message, hashlib.sha256).hexdigest()
