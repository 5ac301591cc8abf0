"""IRC lines with IRCv3 message tags (the dialect Twitch chat speaks), without any I/O: bytes
from a socket to lines (``LineFramer``), a line to an ``IrcMessage`` (``parse``), and tag
values escaped both ways. Whatever the input, these either succeed or raise
``MalformedLine``; nothing else escapes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_LINE = 32 * 1024  # IRCv3 allows 8191 bytes of tags + 512 of message; leave headroom


class MalformedLine(ValueError):
    """A line that is not IRC; the reason says what is wrong (never the whole line)."""


@dataclass(frozen=True, slots=True)
class IrcMessage:
    command: str  # upper case: PRIVMSG, PING, 001...
    params: tuple[str, ...] = ()  # middle params, then the trailing one
    tags: Mapping[str, str] = field(default_factory=dict)  # unescaped values; "" when bare
    prefix: str = ""  # "nick!user@host" or a server name

    @property
    def nick(self) -> str:
        return self.prefix.partition("!")[0]

    def param(self, index: int) -> str:
        return self.params[index] if -len(self.params) <= index < len(self.params) else ""


_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
# A backslash and the character after it; at the very end, nothing (a lone one is dropped).
_ESCAPE_SEQUENCE = re.compile(r"\\(.?)", re.DOTALL)
_ESCAPE = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})
_COMMAND = re.compile(r"[A-Za-z]+|[0-9]{3}")


def unescape_tag(value: str) -> str:
    """IRCv3 tag value unescaping; an unknown escape keeps its character ("\\a" -> "a")."""
    if "\\" not in value:
        return value
    return _ESCAPE_SEQUENCE.sub(lambda m: _UNESCAPE.get(m[1], m[1]), value)


def escape_tag(value: str) -> str:
    return value.translate(_ESCAPE)


def parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        key, _, value = item.partition("=")  # the first "=": later ones belong to the value
        if not key:
            if item:
                raise MalformedLine("a tag with no name")
            continue  # an empty item (";;" or a trailing ";") is allowed
        # A repeated key: the last one wins, as the spec says. (The check saves a call per tag.)
        tags[key] = unescape_tag(value) if "\\" in value else value
    return tags


def parse(line: str) -> IrcMessage:
    """One line, without its CR LF."""
    rest, tags, prefix = line, {}, ""
    if rest.startswith("@"):
        raw, sep, rest = rest[1:].partition(" ")
        if not sep:
            raise MalformedLine("tags with no command after them")
        tags = parse_tags(raw)
        rest = rest.lstrip(" ")
    if rest.startswith(":"):
        prefix, sep, rest = rest[1:].partition(" ")
        if not prefix or not sep:
            raise MalformedLine("a prefix with no command after it")
        rest = rest.lstrip(" ")
    middle, sep, trailing = rest.partition(" :")
    params = middle.split()
    if not params or not _COMMAND.fullmatch(params[0]):
        raise MalformedLine(f"no valid command ({params[0][:20]!r})" if params else "no command")
    if sep:
        params.append(trailing)
    return IrcMessage(params[0].upper(), tuple(params[1:]), tags, prefix)


class LineFramer:
    """Bytes as they arrive (several lines per read, or one line over several reads) to whole
    lines: split on LF, a CR before it dropped, blank lines skipped. A line longer than
    ``max_line`` is dropped, whenever its end arrives, and reported as one ``None``, so a
    server that never sends a newline cannot grow memory without bound."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buf = b""
        self._skipping = False  # inside an overlong line already reported

    def feed(self, data: bytes) -> list[bytes | None]:
        pieces = (self._buf + data).split(b"\n")
        self._buf = pieces.pop()
        out: list[bytes | None] = []
        for piece in pieces:
            if self._skipping:
                self._skipping = False  # the end of the overlong line
                continue
            if len(piece) > self.max_line:
                out.append(None)
                continue
            if piece.endswith(b"\r"):
                piece = piece[:-1]
            if piece:
                out.append(piece)
        if len(self._buf) > self.max_line:
            if not self._skipping:
                out.append(None)
            self._buf, self._skipping = b"", True
        return out
