"""Reading line-oriented feeds from a binary file object, one line at a time.

Each line is decoded on its own, so a line with bytes that are not UTF-8 is rejected alone
instead of failing the file, and memory stays bounded by the longest line accepted
(`MAX_LINE_BYTES`); a longer line is rejected and skipped without being held in memory.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO, Literal

from .records import Rejected

MAX_LINE_BYTES = 1 << 20
_CHUNK = 1 << 16

LineFormat = Literal["csv", "jsonl"]
_EXTENSIONS: dict[str, LineFormat] = {
    ".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str  # without the line ending; bytes that are not UTF-8 shown as \xNN escapes
    error: str | None  # why the line cannot be read as text, if it cannot
    terminated: bool  # False for a last line with no newline (the file may be truncated)

    @property
    def position(self) -> str:
        return f"line {self.number}"

    def reason(self, reason: str) -> str:
        """`reason`, noting a missing final newline, the usual sign of a truncated file."""
        if self.terminated:
            return reason
        return f"{reason} (last line has no newline: the file may be truncated)"


@dataclass(frozen=True, slots=True)
class Row:
    line: Line
    fields: dict[str, str]


def iter_lines(fileobj: BinaryIO) -> Iterator[Line]:
    """The lines of `fileobj` (opened in binary mode), read one at a time."""
    number = 0
    while data := fileobj.readline(MAX_LINE_BYTES + 1):
        if isinstance(data, str):
            raise TypeError("feeds are read as bytes: open the file in binary mode ('rb')")
        number += 1
        if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
            _skip_rest_of_line(fileobj)
            preview = data[:80].decode("utf-8", "backslashreplace")
            yield Line(number, preview + "...", f"line is longer than {MAX_LINE_BYTES} bytes",
                       True)
            continue
        yield _decode(number, data)


def _skip_rest_of_line(fileobj: BinaryIO) -> None:
    while (chunk := fileobj.readline(_CHUNK)) and not chunk.endswith(b"\n"):
        pass


def _decode(number: int, data: bytes) -> Line:
    terminated = data.endswith(b"\n")
    body = data[:-1] if terminated else data
    body = body.removesuffix(b"\r")
    if number == 1:
        body = body.removeprefix(codecs.BOM_UTF8)
    try:
        return Line(number, body.decode("utf-8"), None, terminated)
    except UnicodeDecodeError as exc:
        reason = (f"not valid UTF-8: byte 0x{body[exc.start]:02x} at byte {exc.start + 1} "
                  "of the line (the file must be UTF-8 encoded)")
        return Line(number, body.decode("utf-8", "backslashreplace"), reason, terminated)


def format_from_name(name: object) -> LineFormat | None:
    if not isinstance(name, str | PurePath):
        return None
    return _EXTENSIONS.get(PurePath(name).suffix.lower())


def csv_rows(lines: Iterable[Line], columns: tuple[str, ...]) -> Iterator[Row | Rejected]:
    """Rows of a CSV file whose header names at least `columns` (any order, extra ignored).

    Blank lines are skipped. A header without the columns yields one Rejected and ends the file,
    since no row can be read without it. A quoted field spanning lines is not supported.
    """
    header: list[str] | None = None
    for line in lines:
        if line.error is None and not line.text.strip():
            continue
        if line.error is not None and header is None:
            reason = f"header {line.error}; no line of the file was read"
            yield Rejected(line.position, line.text, reason)
            return
        if line.error is not None:
            yield Rejected(line.position, line.text, line.reason(line.error))
            continue
        try:
            cells = next(csv.reader([line.text], strict=True))
        except csv.Error as exc:
            yield Rejected(line.position, line.text, line.reason(f"not a valid CSV line: {exc}"))
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            if problem := _header_problem(header, columns):
                yield Rejected(line.position, line.text, f"{problem}; no line of the file was read")
                return
            continue
        if len(cells) != len(header):
            reason = f"has {len(cells)} fields, expected {len(header)} ({','.join(header)})"
            yield Rejected(line.position, line.text, line.reason(reason))
            continue
        yield Row(line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)})


def _header_problem(header: list[str], columns: tuple[str, ...]) -> str | None:
    missing = [column for column in columns if column not in header]
    if missing:
        return (f"header lacks column(s) {', '.join(missing)}: expected a header line "
                f"{','.join(columns)}")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        return f"header repeats column(s) {', '.join(duplicated)}"
    return None
