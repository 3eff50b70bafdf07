"""Single keys from a terminal or from any text stream, so the review screen runs the same loop in
a real terminal (raw keys via termios) and in tests or pipes (keys read one character at a time).

Both readers name special keys the same way: "left", "right", "up", "down", "esc", and return ""
at the end of input. Newlines between keys are ignored (a pipe sends lines).
"""

from __future__ import annotations

import os
import select
import sys
from typing import Protocol, TextIO

ESCAPES = {"[A": "up", "[B": "down", "[C": "right", "[D": "left", "OA": "up", "OB": "down", "OC": "right", "OD": "left"}


class KeySource(Protocol):
    def key(self) -> str:
        """The next key ('' at the end of input)."""
        ...

    def line(self) -> str | None:
        """A line of text typed after a prompt (None at the end of input)."""
        ...


def _escape_name(sequence: str) -> str:
    return ESCAPES.get(sequence, "esc")


class StreamKeys:
    """Keys from a text stream, one character each; for tests, pipes and scripted sessions."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def __enter__(self) -> StreamKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def key(self) -> str:
        while True:
            char = self.stream.read(1)
            if char in ("\n", "\r"):
                continue
            if char == "\x1b":
                sequence = self.stream.read(1)
                if sequence in ("[", "O"):
                    sequence += self.stream.read(1)
                return _escape_name(sequence)
            return char

    def line(self) -> str | None:
        text = self.stream.readline()
        if text == "":
            return None
        return text.rstrip("\r\n")


class TtyKeys:
    """Keys straight from a terminal in cbreak mode (no echo, no line buffering; Ctrl-C still works).

    Use as a context manager: the terminal's settings are restored on exit, whatever happens.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self._saved: list | None = None

    def __enter__(self) -> TtyKeys:
        import termios
        import tty

        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def _byte(self, timeout: float | None = None) -> bytes:
        if timeout is not None:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return b""
        return os.read(self.fd, 1)

    def key(self) -> str:
        while True:
            first = self._byte()
            if first == b"":
                return ""
            if first in (b"\n", b"\r"):
                continue
            if first == b"\x1b":
                # A lone Escape and the start of an arrow key look alike: wait briefly for more.
                second = self._byte(0.05)
                if second in (b"[", b"O"):
                    return _escape_name((second + self._byte(0.05)).decode("ascii", "replace"))
                return "esc"
            data = first
            # UTF-8: the lead byte says how many continuation bytes follow (ñ, é, ¿ are keys too).
            extra = 3 if first[0] >= 0xF0 else 2 if first[0] >= 0xE0 else 1 if first[0] >= 0xC0 else 0
            for _ in range(extra):
                data += self._byte()
            return data.decode("utf-8", "replace")

    def line(self) -> str | None:
        """Read a line with the terminal's own editing (echo, backspace), then return to keys."""
        import termios

        assert self._saved is not None
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        try:
            data = b""
            while not data.endswith(b"\n"):
                chunk = os.read(self.fd, 1)
                if not chunk:
                    return data.decode("utf-8", "replace") or None
                data += chunk
            return data.decode("utf-8", "replace").rstrip("\r\n")
        finally:
            import tty

            tty.setcbreak(self.fd)


def open_keys(stream: TextIO | None = None) -> StreamKeys | TtyKeys:
    """Raw terminal keys when `stream` (default stdin) is a terminal, else a character reader."""
    stream = stream or sys.stdin
    try:
        is_tty = stream.isatty()
    except (AttributeError, ValueError):
        is_tty = False
    if is_tty:
        return TtyKeys(stream.fileno())
    return StreamKeys(stream)
