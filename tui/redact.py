"""One scrubber for secrets in text Voxroom shows or saves, and one way to display a server URL.

Every :class:`tui.config.Secret` registers its value here; :func:`scrub` removes registered values,
``Bearer`` tokens and the credentials of any URL (``http://user:pass@host`` -> ``http://***@host``).
:class:`tui.errors.VoxroomError` scrubs its message and hint when it is built, so a key a server
echoes back in an error never reaches the screen, stdout, stderr or a session file.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlsplit, urlunsplit

MIN_SECRET = 8
"""Shorter values are not registered: scrubbing them would mangle ordinary words."""
MASK = "***"

_secrets: set[str] = set()
_lock = threading.Lock()
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+|=|:\s*)[A-Za-z0-9._~+/=-]{6,}")


def register_secret(value: str) -> None:
    """Remember ``value`` so :func:`scrub` removes it from now on (values under 8 characters are ignored)."""
    value = value.strip()
    if len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """``text`` without registered secrets, bearer/basic tokens or URL credentials."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", text)
    return _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


def display_url(url: str) -> str:
    """``url`` fit to show or save: no user name or password, no query or fragment."""
    url = url.strip()
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return scrub(url.split("?", 1)[0])
    if not parts.scheme or not host:
        return scrub(url.split("?", 1)[0])
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_credentials(url: str) -> tuple[str, str]:
    """``(user, password)`` held in ``url``'s userinfo, percent-decoded (empty strings when none)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "", ""
    return unquote(parts.username or ""), unquote(parts.password or "")
