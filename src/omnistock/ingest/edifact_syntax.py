"""UN/EDIFACT syntax, streamed: the segments of an interchange read from a binary file in
chunks, so a large interchange never sits whole in memory.

Separators come from the UNA service string advice (default `:+.? '`), the character set from
the UNB syntax identifier (UNOA/B ascii, UNOC latin-1, ..., UNOW/UNOY utf-8). Line breaks
between segments are ignored. A file that ends inside a segment raises `Malformed`, as does a
byte that is not valid in the declared character set.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHARSETS = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOD": "iso8859-2",
            "UNOE": "iso8859-5", "UNOF": "iso8859-7", "UNOW": "utf-8", "UNOY": "utf-8"}
_CHUNK = 1 << 16
_HEAD = 512


class Malformed(Exception):
    """The interchange cannot be trusted as a whole; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Separators:
    component: str = ":"
    element: str = "+"
    release: str = "?"
    terminator: str = "'"


@dataclass(frozen=True, slots=True)
class Segment:
    tag: str
    elements: tuple[str | tuple[str, ...], ...]  # after the tag; several components: a tuple
    raw: str  # as written, with its terminator

    def element(self, index: int, component: int = 0) -> str:
        """One component of one data element, '' when absent."""
        if index >= len(self.elements):
            return ""
        value = self.elements[index]
        if isinstance(value, tuple):
            return value[component] if component < len(value) else ""
        return value if component == 0 else ""


def head(fileobj: BinaryIO) -> tuple[Separators, str, str | None, int]:
    """(separators, encoding, declared syntax, bytes of UNA to skip), from the file's start;
    the file is left at its start."""
    start = fileobj.read(_HEAD)
    fileobj.seek(0)
    if not start.strip():
        raise Malformed("empty file: no interchange")
    separators, skip = Separators(), 0
    stripped = start.lstrip()
    if stripped.startswith(b"UNA") and len(stripped) >= 9:
        advice = stripped[3:9].decode("latin-1")
        separators = Separators(advice[0], advice[1], advice[3], advice[5])
        skip = len(start) - len(stripped) + 9
    match = re.search(rb"UNB.(UNO[A-Z])", start)
    syntax = match.group(1).decode() if match else None
    return separators, CHARSETS.get(syntax or "", "utf-8"), syntax, skip


def segments(fileobj: BinaryIO) -> Iterator[Segment]:
    """The segments of the interchange in `fileobj` (binary, seekable), in order."""
    separators, encoding, syntax, skip = head(fileobj)
    fileobj.read(skip)
    terminator = re.escape(separators.terminator)
    release = re.escape(separators.release)
    one = re.compile(rf"(?:[^{terminator}{release}]|{release}.)*{terminator}", re.DOTALL)
    decoder = codecs.getincrementaldecoder(encoding)()
    buffer, offset = "", skip
    while chunk := fileobj.read(_CHUNK):
        buffer += _decode(decoder, chunk, offset, encoding, syntax)
        offset += len(chunk)
        end = 0
        for match in one.finditer(buffer):
            if match.start() != end and buffer[end:match.start()].strip():
                break  # only a terminator-less tail can be skipped over by finditer
            end = match.end()
            yield _segment(match.group().lstrip(), separators)
        buffer = buffer[end:]
    buffer += _decode(decoder, b"", offset, encoding, syntax, final=True)
    if buffer.strip():
        cut = buffer.strip()
        raise Malformed(f"not parseable EDIFACT: the file ends inside a segment ({cut[:40]!r} "
                        "has no segment terminator): the file is cut")


def _decode(decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, encoding: str,
            syntax: str | None, *, final: bool = False) -> str:
    try:
        return str(decoder.decode(chunk, final))
    except UnicodeDecodeError as exc:
        at = offset - (len(exc.object) - len(chunk)) + exc.start
        declared = f"as UNB declares ({syntax})" if syntax in CHARSETS else "(assumed)"
        raise Malformed(f"byte 0x{exc.object[exc.start]:02x} at offset {at} is not valid "
                        f"{encoding}, the encoding {declared}") from None


def _segment(text: str, sep: Separators) -> Segment:
    body = text[:-len(sep.terminator)]
    if sep.release not in body:  # the usual case, at str.split's speed
        plain = tuple(tuple(parts) if len(parts := e.split(sep.component)) > 1 else e
                      for e in body.split(sep.element))
        tag = plain[0] if isinstance(plain[0], str) else plain[0][0]
        return Segment(tag.strip(), plain[1:], text)
    elements = _split(body, sep.element, sep.release)
    parsed = tuple(tuple(_unescape(c, sep.release) for c in parts) if len(parts) > 1
                   else _unescape(parts[0], sep.release)
                   for parts in (_split(e, sep.component, sep.release) for e in elements))
    tag = parsed[0] if isinstance(parsed[0], str) else parsed[0][0]
    return Segment(tag.strip(), parsed[1:], text)


def _split(text: str, separator: str, release: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(release + char)
            escaped = False
        elif char == release:
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(text: str, release: str) -> str:
    return re.sub(re.escape(release) + "(.)", r"\1", text, flags=re.DOTALL)
