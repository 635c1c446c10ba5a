"""One scrubber for secrets in text Voxroom shows or saves, and one way to display a server URL.

Every :class:`tui.config.Secret` registers its value here; :func:`scrub` removes registered values,
``Bearer`` tokens and the credentials of any URL (``http://user:pass@host`` -> ``http://***@host``),
and replaces lone surrogates (text that cannot be encoded) with U+FFFD.
:class:`tui.errors.VoxroomError` scrubs its message and hint when it is built, so a key a server
echoes back in an error never reaches the screen, stdout, stderr or a session file.

Everything else a service answers (transcripts, replies, references) enters through
:func:`inbound` (or :class:`StreamScrubber` for text that streams in pieces) where the answer is
read, so a key echoed inside a successful answer is never shown, spoken or saved either.
:func:`display_url` is the one way a URL is shown or logged: no credentials, no query string.
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
_SURROGATE = re.compile("[\ud800-\udfff]")


def register_secret(value: str) -> None:
    """Remember ``value`` so :func:`scrub` removes it from now on (values under 8 characters are ignored)."""
    value = value.strip()
    if len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """``text`` without registered secrets, bearer/basic tokens, URL credentials or lone surrogates."""
    if not text:
        return text
    text = _SURROGATE.sub("\ufffd", text)
    secrets = _sorted_secrets()
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", text)
    return _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


def _sorted_secrets() -> list[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)


def inbound(text: str) -> str:
    """Text a service answered, fit to show, speak or save: valid Unicode, no terminal escapes or
    control characters (:func:`tui.text.clean`), no secrets."""
    from tui.text import clean

    if not isinstance(text, str) or not text:
        return ""
    return scrub(clean(_SURROGATE.sub("\ufffd", text)))


class StreamScrubber:
    """:func:`inbound` for text that arrives in pieces (a streamed reply, live transcript deltas).

    A key split across two pieces would pass a piece-by-piece scrub: the end of the text so far that
    could be the start of a registered secret (at the start of a word) is held back until the next
    piece (or :meth:`flush`) shows whether it is one; ordinary words are not held.
    """

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        """What can be shown of the text so far (possibly empty)."""
        text = scrub(self._held + inbound(piece))
        keep = _secret_prefix(text)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        """The text held back at the end of the stream."""
        held, self._held = self._held, ""
        return scrub(held)


def _secret_prefix(text: str) -> int:
    """Length of the longest end of ``text`` that begins a registered secret where a word may begin
    (0: none). The start of a word only: the end of an ordinary word is not held back."""
    best = 0
    for secret in _sorted_secrets():
        for size in range(min(len(secret) - 1, len(text)), best, -1):
            start = len(text) - size
            if text.endswith(secret[:size]) and (start == 0 or not text[start - 1].isalnum()):
                best = size
                break
    return best


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
