"""Reading bytes written by the people being investigated without letting them take the machine down.

Every bound on untrusted input lives here, in `LIMITS`, with the reason for its size; each can be
raised for one run with an environment variable `TOOLKIT_LIMIT_<NAME>` (docs/hostile-input.md):

    json_depth          containers nested inside each other in any JSON document
    json_string_bytes   one JSON string; a longer one is cut to this size (and said so)
    json_record_bytes   one JSON record (a HAR entry, a message, a post) as the parser builds it
    json_structure_bytes  the same record without its long strings: what costs memory per byte
    record_line_bytes   one NDJSON line or pretty-printed record
    text_line_bytes     one line of a URL list or a WACZ page list
    html_tags           elements of one page the HTML parser builds (the rest of the page is cut)
    expansion_ratio     bytes a compressed file may inflate to, as a multiple of its own size...
    expansion_floor_bytes  ...or at least this many bytes, whichever is more
    zip_ratio           one ZIP entry's declared inflation beyond 1 MB (a ZIP bomb)
    failure_causes      distinct failure causes kept per file (the rest are counted together)
    notes               distinct notes kept per file

What this module gives the stages (it imports none of them, so all may use it):

- `JsonGuard`: a JSON byte stream for a streaming parser (ijson), checked as it is read: depth,
  record size, and strings cut to `json_string_bytes`; `check_json` does the same for a document
  parsed whole (orjson).
- `skip_line`, `too_deep`: what line formats need to bound each record.
- `markup_cut`: where to cut a page so the parser builds at most `html_tags` elements.
- `ExpansionBudget`: how many decompressed bytes one file may still produce.
- `zip_entry_problem`, `open_zip_entry`, `read_zip_entry`, `unsafe_name`: ZIP entries read with their
  size bounded whatever their header claims (WACZ imports and `verify --bundle` share them);
  `open_member` for a reader that seeks inside an entry.
- `text_encoding`, `Recoded`: UTF-16/32 text with a byte-order mark, read as UTF-8.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from toolkit.errors import InputError

MB = 1 << 20


@dataclass(frozen=True)
class Limit:
    default: int
    unit: str
    why: str


LIMITS: dict[str, Limit] = {
    "json_depth": Limit(200, "levels", "exports nest 5 to 10 levels; a parser's memory or stack grows with depth"),
    "json_string_bytes": Limit(48 * MB, "bytes", "a page of 32 MB (the most a page container reads) in base64"),
    "json_record_bytes": Limit(64 * MB, "bytes", "one record with the longest string and room to spare"),
    "json_structure_bytes": Limit(8 * MB, "bytes", "JSON such as [{},{},...] costs ~36 bytes of memory per byte"),
    "record_line_bytes": Limit(8 * MB, "bytes", "a Zeeschuimer item is 5-500 KB; parsed, a line costs up to ~36x"),
    "text_line_bytes": Limit(1 * MB, "bytes", "a URL or a WACZ page entry is a few hundred bytes"),
    "html_tags": Limit(250_000, "elements", "saved pages have 1,000-100,000; each costs ~500 bytes parsed and read"),
    "expansion_ratio": Limit(100, "times the file", "HTML and WARCs compress 5-20:1; bombs 1,000:1"),
    "expansion_floor_bytes": Limit(64 * MB, "bytes", "two pages of the largest size read, whatever the ratio"),
    "zip_ratio": Limit(200, "to 1", "deflate reaches ~1,000:1 only on degenerate data"),
    "failure_causes": Limit(10, "causes", "a file with more distinct failure causes is not the format named"),
    "notes": Limit(50, "notes", "what a researcher can read about one file"),
}


def limit(name: str) -> int:
    """The limit in force: `TOOLKIT_LIMIT_<NAME>` when set to a positive integer, else the default."""
    value = os.environ.get(f"TOOLKIT_LIMIT_{name.upper()}", "").strip().replace("_", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return LIMITS[name].default


def over_limit(path: str, name: str, what: str, line: int | None = None) -> InputError:
    """The one-line refusal of a file that went past limit `name`: names the file, the limit and how
    to raise it."""
    return InputError(path, f"{what} (limit {name} = {limit(name):,} {LIMITS[name].unit})",
                      f"No export toolkit knows comes near this; if this one is genuine, set "
                      f"TOOLKIT_LIMIT_{name.upper()} higher for this scan (docs/hostile-input.md)", line=line)


# ---------------------------------------------------------------------------------------------------
# JSON



class JsonGuard:
    """A JSON byte stream that a streaming parser reads through `read`; raises InputError (naming the
    file and the limit) as soon as the bytes nest deeper than `json_depth` or a record grows past
    `json_record_bytes` / `json_structure_bytes`, and cuts every string longer than
    `json_string_bytes` to that size (`cut` counts them), so no parser ever holds more.

    The bytes pass through unchanged otherwise (a UTF-8 byte-order mark at the start is dropped).
    Depth is counted outside strings with escapes honoured, exactly, whatever the chunking.
    `record()` tells the guard that the caller has taken one record: the next one is measured from
    there (strings that run across read chunks count only in `json_record_bytes`).
    """

    def __init__(self, raw: BinaryIO, path: str):
        self.raw = raw
        self.path = path
        self.max_depth = limit("json_depth")
        self.max_string = limit("json_string_bytes")
        self.max_record = limit("json_record_bytes")
        self.max_structure = limit("json_structure_bytes")
        self.depth = 0
        self.cut = 0  # strings cut to max_string
        self._in_string = False
        self._escape = False  # the chunk before ended on a backslash inside a string
        self._string_bytes = 0
        self._dropping = False  # inside a string already cut: its bytes are not passed on
        self._window = b""  # the last bytes passed on of the string being read (to cut it safely)
        self._record = self._structure = 0
        self._started = False

    def record(self) -> None:
        """The caller took a record: measure the next one from here."""
        self._record = self._structure = 0

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        # A chunk never exceeds max_string, so only strings that run across chunks can be too long.
        size = min(size if size and size > 0 else MB, self.max_string)
        while True:
            chunk = self.raw.read(size)
            if not chunk:
                return b""
            if not self._started:
                self._started = True
                if chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[3:]
            out = self.feed(chunk)
            if out:
                return out

    def feed(self, chunk: bytes) -> bytes:
        """Check one chunk (at most max_string bytes); returns the bytes to hand the parser: the
        chunk, less the part of a string past max_string."""
        import numpy as np

        size = len(chunk)
        if not size:
            return chunk
        # One pass finds every byte that matters (quotes, backslashes, brackets); the rest of the
        # work is on those positions only.
        codes = np.frombuffer(chunk.translate(_CODES), dtype=np.uint8)
        found = np.flatnonzero(codes)
        kinds = codes[found]
        escaping = self._escaping(found, kinds, size)
        quote = kinds == _QUOTE
        if escaping is not None:
            # An escaped byte that matters is a quote right after its backslash: the next position.
            target = escaping + 1
            target = target[target < found.size]
            target = target[found[target] == found[target - 1] + 1] if target.size else target
            quote[target] = False
        if self._escape and found.size and found[0] == 0:  # escaped by the chunk before's last byte
            quote[0] = False
        started_inside = self._in_string
        # Quotes before each position, counting one left open by the chunk before.
        parity = np.cumsum(quote, dtype=np.int64) + started_inside
        brackets = kinds < _QUOTE
        if brackets.any():
            self._depth(kinds[brackets & (parity % 2 == 0)])
        quotes = found[quote]
        # Where the chunk is inside strings (for the record's structure bytes), and the strings
        # open at either end (the only ones that can pass max_string).
        bounds = quotes
        if started_inside:
            bounds = np.concatenate(([-1], bounds))
        ends_inside = bounds.size % 2 == 1
        if ends_inside:
            bounds = np.concatenate((bounds, [size]))
        inside = int((bounds[1::2] - bounds[0::2]).sum()) - bounds.size // 2
        self._structure += size - inside
        lead_end = int(bounds[1]) if started_inside else 0  # the closing quote of a string begun before
        trail_start = int(bounds[-2]) + 1 if ends_inside else size  # just after an opening quote left open
        ends_escaping = escaping is not None and escaping.size and found[escaping[-1]] == size - 1
        self._escape = bool(ends_escaping)
        parts = []
        if started_inside:
            if lead_end == size:  # the string runs on past this chunk
                return self._counted(chunk, [self._string_part(chunk, 0, size)])
            parts.append(self._string_part(chunk, 0, lead_end))
            self._dropping = False
        self._in_string = ends_inside
        if ends_inside:
            self._string_bytes, self._window = 0, b""
            parts.append(chunk[lead_end:trail_start])
            parts.append(self._string_part(chunk, trail_start, size))
        else:
            parts.append(chunk[lead_end:])
        return self._counted(chunk, parts)

    def _escaping(self, found, kinds, size: int):
        """Indexes (into `found`) of the backslashes that escape the byte after them, or None."""
        import numpy as np

        at = np.flatnonzero(kinds == _SLASH)
        if not at.size:
            return None
        # In a run of backslashes the 1st, 3rd... escape the byte after them (when the run begins
        # with a byte escaped from the chunk before, the 2nd, 4th... do).
        slashes = found[at]
        runs = np.flatnonzero(np.diff(slashes) != 1) + 1
        firsts = np.concatenate(([0], runs))
        lengths = np.diff(np.concatenate((firsts, [slashes.size])))
        index = np.arange(slashes.size) - np.repeat(firsts, lengths)
        if self._escape and slashes[0] == 0:
            index[:lengths[0]] += 1
        return at[index % 2 == 0]

    def _counted(self, chunk: bytes, parts: list[bytes]) -> bytes:
        length = sum(map(len, parts))
        out = chunk if length == len(chunk) else b"".join(parts)
        self._record += len(out)
        if self._structure > self.max_structure:
            raise over_limit(self.path, "json_structure_bytes",
                             f"one JSON record holds more than {self.max_structure:,} bytes outside its long strings")
        if self._record > self.max_record:
            raise over_limit(self.path, "json_record_bytes", f"one JSON record is larger than {self.max_record:,} bytes")
        return out

    def _string_part(self, data: bytes, start: int, end: int) -> bytes:
        """What is passed on of data[start:end], a part of the string being read: all of it until the
        string passes max_string, then up to the first point where a cut leaves valid JSON (not
        inside an escape, \\uXXXX being the longest, nor inside a UTF-8 character), then nothing."""
        if self._dropping or start >= end:
            return b""
        before = self._string_bytes
        self._string_bytes += end - start
        if self._string_bytes > self.max_string:
            view = self._window + data[start:end]
            shift = len(self._window) - start
            found = _SAFE_CUT.search(view, max(0, start + max(0, self.max_string - before) + shift - 6))
            if found is not None:
                self._dropping = True
                self.cut += 1
                return data[start:found.end() - shift]
            if self._string_bytes > 2 * self.max_string:  # escapes all the way: nowhere to cut
                raise over_limit(self.path, "json_string_bytes", "a JSON string that cannot be cut short")
        self._window = (self._window + data[max(start, end - 6):end])[-6:]
        return data[start:end]

    def _depth(self, steps) -> None:
        """Follow the depth through the brackets outside strings (their codes, in order)."""
        import numpy as np

        if not steps.size:
            return
        steps = np.where(steps == _OPEN, 1, -1)
        opens = int(np.count_nonzero(steps > 0))
        if self.depth + opens <= self.max_depth:
            self.depth = max(0, self.depth + 2 * opens - steps.size)
            return
        levels = np.cumsum(steps, dtype=np.int64) + self.depth
        if int(levels.max()) > self.max_depth:
            raise over_limit(self.path, "json_depth", f"JSON nested deeper than {self.max_depth:,} levels")
        self.depth = max(0, int(levels[-1]))


# Each byte as what it is to the guard: an opening or closing bracket, a quote, a backslash, nothing.
_OPEN, _CLOSE, _QUOTE, _SLASH = 1, 2, 3, 4
_CODES = bytes(_OPEN if b in b"[{" else _CLOSE if b in b"]}" else _QUOTE if b == 0x22 else _SLASH if b == 0x5C else 0
               for b in range(256))
# Six bytes with no backslash, not followed by a UTF-8 continuation byte: a cut after them is safe.
_SAFE_CUT = re.compile(rb"[^\\]{6}(?=[^\x80-\xbf])", re.S)


def check_json(data: bytes, path: str) -> None:
    """Raise InputError when a JSON document to be parsed whole nests deeper than `json_depth` or
    holds a string longer than `json_string_bytes` (the parser would hold it all)."""
    guard = JsonGuard(io.BytesIO(b""), path)
    guard.max_record = guard.max_structure = len(data) + 1  # the caller bounds the document's size
    step = min(MB, guard.max_string)
    for start in range(0, len(data), step):
        guard.feed(data[start:start + step])
    if guard.cut:
        raise over_limit(path, "json_string_bytes", f"a JSON string longer than {guard.max_string:,} bytes")


# ---------------------------------------------------------------------------------------------------
# Lines

def skip_line(stream: BinaryIO) -> None:
    """Read and drop the rest of the current line (to its newline or the end), a chunk at a time."""
    while (more := stream.readline(MB)) and not more.endswith(b"\n"):
        pass


def too_deep(record: bytes, ctx, line: int | None, depth: int) -> bool:
    """True, after counting the failure on `ctx` (a ReadContext), when one JSON record of a line
    format nests deeper than `depth` (`json_depth`). Cheap for the common case: brackets are
    counted first, and only a record with more than the limit is followed exactly (a reader on a
    hot path makes the count itself before calling)."""
    if record.count(b"{") + record.count(b"[") <= depth:
        return False
    try:
        check_json(record, str(ctx.path))
    except InputError:
        ctx.fail("too-deep", f"record nested deeper than {depth:,} levels (limit json_depth): skipped", line)
        return True
    return False


# ---------------------------------------------------------------------------------------------------
# HTML

def markup_cut(body: bytes, most: int | None = None) -> int | None:
    """The offset to cut a page at so that the parser builds at most `most` (`html_tags`) elements,
    or None when the whole page fits. Counted cheaply, as the `<` bytes: no element starts without
    one, so the count bounds the elements (and the text between them) the parser can build."""
    most = limit("html_tags") if most is None else most
    if body.count(b"<") <= most:
        return None
    seen = start = 0
    while True:  # find the MB that holds the first `<` past `most`, then the byte inside it
        end = min(len(body), start + MB)
        found = body.count(b"<", start, end)
        if seen + found > most:
            import numpy as np

            inside = np.flatnonzero(np.frombuffer(memoryview(body)[start:end], dtype=np.uint8) == 0x3C)
            return start + int(inside[most - seen])
        seen += found
        start = end


# ---------------------------------------------------------------------------------------------------
# Expansion

class ExpansionBudget:
    """How many bytes decompression may still produce from one file: `expansion_ratio` times the
    file's size, and at least `expansion_floor_bytes`. `spend` raises InputError (naming the file
    and the limit) when a file goes past it: a decompression bomb, however deeply it is nested."""

    def __init__(self, path: str, size: int):
        self.path = path
        self.total = max(limit("expansion_floor_bytes"), limit("expansion_ratio") * size)
        self.spent = 0

    def spend(self, amount: int) -> None:
        self.spent += amount
        if self.spent > self.total:
            raise over_limit(self.path, "expansion_ratio",
                             f"its contents inflate to more than {self.total:,} bytes (a decompression bomb)")


# ---------------------------------------------------------------------------------------------------
# ZIP entries

def unsafe_name(name: str) -> bool:
    """True for entry names that would land outside the archive's folder if extracted."""
    path = PurePosixPath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in path.parts


def zip_entry_problem(info: zipfile.ZipInfo, most: int) -> str | None:
    """Why an entry must not be read (over `most` bytes declared, or a ZIP bomb), else None."""
    if info.file_size > most:
        return f"{info.filename}: {info.file_size:,} bytes uncompressed, over the {most:,}-byte bound"
    ratio = limit("zip_ratio")
    if info.compress_size and info.file_size > MB and info.file_size / info.compress_size > ratio:
        return (f"{info.filename}: {info.compress_size:,} bytes that would inflate to {info.file_size:,}"
                f" ({info.file_size // info.compress_size:,}:1): refused as a ZIP bomb")
    return None


class BoundedEntry(io.RawIOBase):
    """A ZIP entry's bytes, refusing (ValueError) to give more than `most` whatever its header says."""

    def __init__(self, entry: BinaryIO, name: str, most: int):
        self.entry, self.name, self.most, self.given = entry, name, most, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.entry.read(min(len(buffer), self.most + 1 - self.given))
        self.given += len(data)
        if self.given > self.most:
            raise ValueError(f"{self.name}: more than {self.most:,} bytes when inflated")
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.entry.close()
        super().close()


class Window(io.RawIOBase):
    """`size` bytes of a seekable file from `start`, as a stream of their own (seekable, cheaply)."""

    def __init__(self, raw: BinaryIO, start: int, size: int):
        self.raw, self.start, self.size, self.position = raw, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self.size - self.position)
        if want <= 0:
            return 0
        self.raw.seek(self.start + self.position)
        data = self.raw.read(want)
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        self.raw.close()
        super().close()


class SpentStream:
    """A ZIP entry's stream whose reads, and whose seeks (zipfile seeks by inflating again from the
    start, or onwards), are spent from an ExpansionBudget."""

    def __init__(self, stream: BinaryIO, budget: ExpansionBudget):
        self.stream, self.budget = stream, budget

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.budget.spend(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        here = self.stream.tell()
        target = self.stream.seek(offset, whence)
        self.budget.spend(target if target < here else target - here)
        return target

    def tell(self) -> int:
        return self.stream.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> SpentStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, budget: ExpansionBudget) -> BinaryIO:
    """A seekable stream of one entry for a reader that seeks (warcio, revisits): a stored entry is
    read in place from the archive file at `path` (seeking is free), any other through zipfile with
    every byte inflated, again or not, spent from `budget`."""
    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
        handle = open(path, "rb")  # noqa: SIM115 - the Window owns and closes it
        handle.seek(info.header_offset)
        header = handle.read(30)
        if len(header) == 30 and header[:4] == b"PK\x03\x04":
            start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
            return io.BufferedReader(Window(handle, start, info.file_size), MB)
        handle.close()
    return SpentStream(archive.open(info), budget)


def open_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int) -> io.BufferedReader:
    """A stream of the entry that never yields more than `most` bytes (ValueError past them); the
    caller checks `zip_entry_problem` first to refuse what the header already gives away."""
    return io.BufferedReader(BoundedEntry(archive.open(info), info.filename, most), MB)


def read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int) -> bytes:
    """The whole entry, at most `most` bytes: ValueError when it declares or inflates to more."""
    problem = zip_entry_problem(info, most)
    if problem:
        raise ValueError(problem)
    with open_zip_entry(archive, info, most) as entry:
        return entry.read()


# ---------------------------------------------------------------------------------------------------
# Text encodings

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
         (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"))


def text_encoding(head: bytes) -> tuple[str, str, int] | None:
    """(codec, name, byte-order mark length) when `head` starts with a UTF-16/32 byte-order mark."""
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, name, len(bom)
    return None


class Recoded(io.RawIOBase):
    """UTF-16/32 text read as UTF-8 (with a UTF-8 byte-order mark first, so readers that honour one,
    such as the HTML parser, know the encoding); characters that do not decode become U+FFFD."""

    def __init__(self, raw: BinaryIO, codec: str, skip: int):
        self.raw = raw
        raw.read(skip)
        self._decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        self._pending = codecs.BOM_UTF8
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # Fills the buffer as a file would (readers peek at the first 64 KB to sniff a header).
        while len(self._pending) < len(buffer) and not self._done:
            data = self.raw.read(MB)
            self._done = not data
            self._pending += self._decoder.decode(data, final=self._done).encode("utf-8", "surrogatepass")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def tell(self) -> int:  # progress is shown in the file's own bytes
        return self.raw.tell()

    def close(self) -> None:
        self.raw.close()
        super().close()


def recode_head(head: bytes) -> bytes:
    """A file's first bytes as UTF-8 (after a UTF-8 byte-order mark) when they carry a UTF-16/32
    one, for format detection; other bytes are returned as they are."""
    found = text_encoding(head)
    if found is None:
        return head
    codec, _, skip = found
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return codecs.BOM_UTF8 + decoder.decode(head[skip:], final=False).encode("utf-8", "surrogatepass")
