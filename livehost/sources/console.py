"""Chat typed on a terminal (or piped in): each non-empty line is a chat message.

For demos, a few lines stand for platform events:
  /gift NAME GIFT            NAME sends GIFT (thanked in a batch)
  /follow NAME               NAME follows
  /superchat NAME AMOUNT TEXT  a paid message
Any other line, slashes included, is plain chat. End of input ends the source quietly.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TextIO

from livehost.media.frames import ChatMessage

from .base import Emit, SourceCounters, SourceStatus


class ConsoleSource:
    def __init__(self, stream: TextIO | None = None, user: str = "console", name: str = "console"):
        self.stream = stream if stream is not None else sys.stdin
        self.user, self.name = user, name
        self.platform = "console"
        self._counters = SourceCounters()

    def run(self, emit: Emit, stop: threading.Event) -> None:
        self._counters.up()
        try:
            while not stop.is_set():
                line = self.stream.readline()
                if not line:
                    return  # end of input
                msg = self.parse(line.strip())
                if msg is not None:
                    emit(msg)
                    self._counters.received()
        finally:
            self._counters.down()

    def parse(self, line: str) -> ChatMessage | None:
        """The message a line stands for; None for a blank or malformed line (counted)."""
        if not line:
            return None
        command, _, rest = line.partition(" ")
        args = rest.split()
        if command == "/gift":
            if len(args) < 2:
                return self._malformed()
            return self._message(args[0], " ".join(args[1:]), kind="gift")
        if command == "/follow":
            if len(args) != 1:
                return self._malformed()
            return self._message(args[0], "", kind="follow")
        if command == "/superchat":
            try:
                name, amount, text = args[0], float(args[1]), " ".join(args[2:])
            except (IndexError, ValueError):
                return self._malformed()
            if not (math.isfinite(amount) and amount > 0) or not text:
                return self._malformed()
            return self._message(name, text, kind="superchat", amount=amount)
        return self._message(self.user, line)

    def _message(self, user: str, text: str, **extra) -> ChatMessage:
        return ChatMessage(platform=self.platform, user=user, text=text, user_id=user,
                           received_at=time.time(), **extra)

    def _malformed(self) -> None:
        self._counters.malformed()

    def status(self) -> SourceStatus:
        return self._counters.status()
