"""Bilibili's live broadcast wire format, both ways. A WebSocket frame holds one or more
packets; each packet is a 16-byte big-endian header (total length, header length, protocol
version, operation, sequence) and a body. Commands (operation 5) come plain (version 0) or
compressed — 2 zlib, 3 brotli — and a compressed body holds SEVERAL packets, each with its own
header.

Decoding trusts no length: a packet that claims more bytes than the frame holds, a header
length out of range, a body that does not inflate (or inflates past ``MAX_INFLATED``) is
counted as malformed and skipped, never raised. Compressed packets nest one level only (the
server never nests deeper), so no frame can recurse."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import brotli

HEADER = struct.Struct(">I2H2I")  # total length, header length, version, operation, sequence

# Operations
HEARTBEAT, HEARTBEAT_REPLY, COMMAND, AUTH, AUTH_REPLY = 2, 3, 5, 7, 8
# Protocol versions: a plain JSON body, a plain binary one (heartbeat, auth), zlib, brotli
PLAIN, BINARY, ZLIB, BROTLI = 0, 1, 2, 3

# A real frame inflates to a few KiB; this bounds what one hostile frame can allocate.
MAX_INFLATED = 4 << 20


@dataclass(frozen=True, slots=True)
class Packet:
    op: int
    body: bytes
    ver: int = BINARY
    seq: int = 1

    def json(self) -> object:
        """The body as JSON; raises ValueError if it is not (bad UTF-8 or bad JSON)."""
        return json.loads(self.body.decode("utf-8"))


def encode(op: int, body: bytes | str | dict = b"", ver: int = BINARY, seq: int = 1) -> bytes:
    """One packet; a dict body is sent as compact UTF-8 JSON."""
    if isinstance(body, dict):
        body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if isinstance(body, str):
        body = body.encode("utf-8")
    return HEADER.pack(HEADER.size + len(body), HEADER.size, ver, op, seq) + body


def pack(packets: Iterable[bytes], ver: int) -> bytes:
    """Command packets (from ``encode``) as the server sends them in one frame: as they are for
    PLAIN, else compressed together into one packet of version ``ver``."""
    joined = b"".join(packets)
    if ver == PLAIN:
        return joined
    if ver == ZLIB:
        return encode(COMMAND, zlib.compress(joined), ZLIB)
    if ver == BROTLI:  # quality 6: near the best size at a hundredth of quality 11's time
        return encode(COMMAND, brotli.compress(joined, quality=6), BROTLI)
    raise ValueError(f"no compression for protocol version {ver}")


def decode(frame: bytes) -> tuple[list[Packet], int]:
    """The packets in a frame, compressed ones opened, and how many pieces were malformed."""
    packets: list[Packet] = []
    malformed = _split(frame, packets, nested=False)
    return packets, malformed


def _split(data: bytes, out: list[Packet], nested: bool) -> int:
    malformed, offset, end = 0, 0, len(data)
    while offset < end:
        if end - offset < HEADER.size:
            return malformed + 1  # a torn header: nothing after it can be framed
        length, header_len, ver, op, seq = HEADER.unpack_from(data, offset)
        if not HEADER.size <= header_len <= length or length > end - offset:
            return malformed + 1  # lengths that lie: the rest cannot be framed either
        body = data[offset + header_len:offset + length]
        offset += length
        if op == COMMAND and ver in (ZLIB, BROTLI):
            inner = None if nested else _inflate(body, ver)
            if inner is None:
                malformed += 1
            else:
                malformed += _split(inner, out, nested=True)
        else:
            out.append(Packet(op, body, ver, seq))
    return malformed


def _inflate(body: bytes, ver: int) -> bytes | None:
    """The decompressed body; None when it is corrupt, truncated or larger than MAX_INFLATED."""
    try:
        if ver == ZLIB:
            inflater = zlib.decompressobj()
            out = inflater.decompress(body, MAX_INFLATED)
            return out if inflater.eof and not inflater.unconsumed_tail else None
        decoder = brotli.Decompressor()
        out = decoder.process(body, output_buffer_limit=MAX_INFLATED)
        return out if decoder.is_finished() and len(out) <= MAX_INFLATED else None
    except (zlib.error, brotli.error):
        return None
