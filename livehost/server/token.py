"""The API's bearer token: ``LIVEHOST_API_TOKEN``, else one generated once and kept in the
user's config folder (``$XDG_CONFIG_HOME/livehost/api-token``, owner-only permissions). The
token itself never goes into a log line or an error."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from livehost.errors import LivehostError

TOKEN_ENV = "LIVEHOST_API_TOKEN"


def token_path(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "livehost" / "api-token"


def resolve_api_token(env: Mapping[str, str] = os.environ) -> tuple[str, bool]:
    """(token, generated): generated is True only the first time, when the caller should
    show the token to the user once."""
    if env.get(TOKEN_ENV, "").strip():
        return env[TOKEN_ENV].strip(), False
    path = token_path(env)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        if path.exists():
            return _read(path), False
        return _create(path)
    except OSError as exc:
        raise LivehostError(f"API token file {path}: {exc.strerror or exc}") from None


def _create(path: Path) -> tuple[str, bool]:
    """Written whole to a private temporary file, then linked into place: a host starting at
    the same moment reads either no file or the complete token, and the first one wins."""
    token = secrets.token_urlsafe(32)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(token + "\n")
        os.link(partial, path)
    except FileExistsError:
        return _read(path), False
    finally:
        partial.unlink(missing_ok=True)
    return token, True


def _read(path: Path) -> str:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)  # readable by others: make it the owner's alone
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise LivehostError(f"API token file {path} is empty: delete it to generate a new token "
                            f"or set {TOKEN_ENV}")
    return token
