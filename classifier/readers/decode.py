"""Bytes to text: BOMs, UTF-16 without BOM, legacy 8-bit encodings, binary refusal."""

from __future__ import annotations

import codecs
import re

from classifier.readers.errors import ReadError

# Magic numbers of formats that are never story text, named in the error message.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "a Windows executable"),
    (b"RIFF", "a RIFF (audio/video/image) file"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
    (b"\x00\x00\x00\x18ftyp", "an MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "an MP4 video"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old MS Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format of ``data`` if its magic number is known, else None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            if magic == b"MZ" and b"This program" not in data[:512]:
                continue
            return name
    return None


def binary_kind(data: bytes) -> str | None:
    """Name what binary data ``data`` is (a known format, a zip, NUL bytes that are not UTF-16),
    else None. The check for members inside archives, where a zip is not a story either."""
    kind = sniff_binary(data)
    if kind:
        return kind
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "a zip archive"
    if b"\x00" in data[:65536] and not data.startswith(tuple(b for b, _ in _BOMS)) and not _utf16_without_bom(data):
        return "data with NUL bytes"
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a NUL in every other byte; guess the byte order from where.
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    # Latin-script UTF-16 has a NUL in nearly every high byte; sparse NULs are binary data.
    if odd > 0.8 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.8 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode file bytes to text and name the encoding used.

    Raises
    ------
    ReadError
        For binary data (NUL bytes that are not UTF-16, known magic numbers, or text that
        decodes to mostly control characters).
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc), enc + " (BOM)"
            except UnicodeDecodeError:
                raise ReadError(name, f"starts with a {enc} byte-order mark but is not valid {enc}") from None
    kind = sniff_binary(data)
    if kind:
        raise ReadError(name, f"binary data ({kind}), not text")
    if b"\x00" in data[:65536]:
        enc16 = _utf16_without_bom(data)
        if enc16:
            try:
                return data.decode(enc16), enc16
            except UnicodeDecodeError:
                pass
        raise ReadError(name, "binary data (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_mixed(data) or _decode_legacy(data)
    _refuse_control_soup(text, name)
    return text, encoding


def _decode_mixed(data: bytes) -> tuple[str, str] | None:
    """Text whose lines are partly UTF-8 and partly a legacy encoding (a story pasted together
    from two sources): each line that is valid UTF-8 is read as UTF-8, the others in the legacy
    encoding they share. None when no line needs UTF-8 (the whole file is legacy)."""
    lines = data.split(b"\n")
    out: list[str | None] = []
    legacy: list[int] = []
    for i, line in enumerate(lines):
        if line.isascii():
            out.append(line.decode("ascii"))
            continue
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
            legacy.append(i)
    if not legacy or len(legacy) == sum(not ln.isascii() for ln in lines):
        return None  # every non-ASCII line is legacy: the ordinary fallback decides
    text, encoding = _decode_legacy(b"\n".join(lines[i] for i in legacy))
    parts = text.split("\n")
    if len(parts) != len(legacy):
        return None
    for i, part in zip(legacy, parts, strict=True):
        out[i] = part
    return "\n".join(p or "" for p in out), f"utf-8 with {encoding} lines"


def _decode_legacy(data: bytes) -> tuple[str, str]:
    # Fan fiction that is not UTF-8 is overwhelmingly Windows-1252 (Word, old archives);
    # charset-normalizer is consulted for text that is clearly not Latin script.
    cp: str | None
    try:
        cp = data.decode("cp1252")
    except UnicodeDecodeError:
        # A stray byte cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) becomes U+FFFD rather
        # than sending one short line to charset-normalizer, whose guess from it (cp775, UTF-16)
        # would then decode every later line of the file wrongly.
        stray = sum(data.count(b) for b in _CP1252_UNDEFINED)
        cp = data.decode("cp1252", "replace") if stray <= max(2, len(data) // 200) else None
    if cp is not None and _latin_plausible(cp):
        return cp, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    if cp is not None:
        return cp, "cp1252"
    return data.decode("latin-1"), "latin-1"


_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _latin_plausible(text: str) -> bool:
    # Text decoded with the wrong 8-bit codepage shows many accented capitals and
    # symbols in a row (e.g. cp1251 Russian read as cp1252); real English/French text
    # has accented letters only sparsely, mostly lower-case after ASCII letters.
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    letters = sum(1 for ch in text if ch.isalpha())
    return len(non_ascii) <= max(8, 0.15 * max(letters, 1))


# Control characters (Cc) other than whitespace, surrogates (Cs) and private use (Co).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff]")


def _refuse_control_soup(text: str, name: str) -> None:
    sample = text[:20000]
    if not sample:
        return
    bad = len(_CONTROL.findall(sample))
    if bad > max(8, 0.02 * len(sample)):
        raise ReadError(name, "binary data (mostly control characters), not text")


class LineDecoder:
    """Decode a file line by line as :func:`decode_bytes` decodes a whole one: UTF-8 where a
    line is valid UTF-8, else the legacy encoding that the first non-UTF-8 line was found to be
    in (cp1252 for most fan fiction; a byte it has no character for becomes U+FFFD).

    For tables streamed from disk, whose size is not capped: nothing is held but one line or block.
    """

    def __init__(self) -> None:
        #: The legacy encoding in use once a line needed one.
        self.legacy: str | None = None

    def decode(self, line: bytes) -> str:
        """``line`` as text."""
        if line.isascii():
            return line.decode("ascii")
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if self.legacy is not None:
            # Guessed once per file: guessing again per line would run charset-normalizer on
            # every line of a file of junk.
            return line.decode(self.legacy, "replace")
        text, self.legacy = _decode_legacy(line)
        return text

    def to_utf8(self, data: bytes) -> bytes:
        """``data`` (whole lines, or a stretch of a file) as UTF-8: itself when it already is,
        else each of its lines decoded on its own."""
        if data.isascii():
            return data
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            pass
        return "\n".join(self.decode(line) for line in data.split(b"\n")).encode("utf-8")
