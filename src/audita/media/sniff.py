"""Identify a file's real type from its leading bytes, independent of its name.

Investigators receive files renamed, re-wrapped and mislabelled. The extension is
recorded but never trusted: the content decides whether a file is audio at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HEADER_BYTES = 64


@dataclass(frozen=True)
class Sniffed:
    """What the leading bytes say a file is."""

    kind: str  # "audio", "archive", "document", "image", "executable", "text", "unknown"
    format: str  # short format name, e.g. "wav", "mp3", "amr-nb", "zip", "pdf"
    description: str


_AUDIO_EXTENSIONS = {
    "wav": {"wav", "wave"},
    "mp3": {"mp3"},
    "ogg": {"ogg", "oga", "opus", "spx"},
    "flac": {"flac"},
    "mp4": {"m4a", "mp4", "aac", "3gp", "3ga", "m4b"},
    "amr-nb": {"amr", "3ga"},
    "amr-wb": {"awb", "amr"},
    "webm": {"webm", "mka", "mkv"},
    "aiff": {"aif", "aiff", "aifc"},
    "aac": {"aac"},
    "au": {"au", "snd"},
    "caf": {"caf"},
}


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")


def sniff_bytes(head: bytes) -> Sniffed:
    """Classify content from its first bytes (at least 12 are needed for most formats)."""
    if len(head) == 0:
        return Sniffed("empty", "empty", "empty file")
    if head.startswith(b"#!AMR-WB\n"):
        return Sniffed("audio", "amr-wb", "AMR-WB audio")
    if head.startswith(b"#!AMR\n"):
        return Sniffed("audio", "amr-nb", "AMR-NB audio")
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return Sniffed("audio", "wav", "WAVE audio")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed("audio", "aiff", "AIFF audio")
    if head.startswith(b"OggS"):
        return Sniffed("audio", "ogg", "Ogg audio")
    if head.startswith(b"fLaC"):
        return Sniffed("audio", "flac", "FLAC audio")
    if head.startswith(b"ID3"):
        return Sniffed("audio", "mp3", "MPEG audio with ID3 tag")
    if head.startswith(b".snd"):
        return Sniffed("audio", "au", "Sun/NeXT audio")
    if head.startswith(b"caff"):
        return Sniffed("audio", "caf", "Core Audio file")
    if head[4:8] == b"ftyp":
        return Sniffed("audio", "mp4", "MPEG-4/3GPP container")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("audio", "webm", "Matroska/WebM container")
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF0) == 0xF0 and (head[1] & 0x06) == 0:
        return Sniffed("audio", "aac", "AAC ADTS audio")
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0:
        return Sniffed("audio", "mp3", "MPEG audio")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Sniffed("archive", "zip", "ZIP archive")
    if head.startswith(b"\x1f\x8b"):
        return Sniffed("archive", "gzip", "gzip data")
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return Sniffed("archive", "7z", "7-Zip archive")
    if head.startswith(b"Rar!"):
        return Sniffed("archive", "rar", "RAR archive")
    if head.startswith(b"%PDF"):
        return Sniffed("document", "pdf", "PDF document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Sniffed("document", "ole", "MS Office (OLE) document")
    if head.startswith(b"\x7fELF"):
        return Sniffed("executable", "elf", "ELF executable")
    if head.startswith(b"MZ"):
        return Sniffed("executable", "pe", "Windows executable")
    if head.startswith(b"\x89PNG"):
        return Sniffed("image", "png", "PNG image")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg", "JPEG image")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image", "gif", "GIF image")
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()  # a UTF-8 byte order mark starts many saved pages
    lowered = stripped[:15].lower()
    if lowered.startswith(_HTML_STARTS):
        return Sniffed("document", "html", "HTML document")
    if stripped.startswith((b"{", b"[")):
        return Sniffed("text", "json", "JSON text")
    if _looks_like_text(head.removeprefix(b"\xef\xbb\xbf")):
        return Sniffed("text", "text", "plain text")
    return Sniffed("unknown", "unknown", "unrecognised binary data")


def _looks_like_text(head: bytes) -> bool:
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sample.
        try:
            decoded = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in decoded)


def sniff_file(path: Path) -> Sniffed:
    with open(path, "rb") as handle:
        return sniff_bytes(handle.read(HEADER_BYTES))


def extension_matches(fmt: str, filename: str) -> bool:
    """True when the name's extension is a usual one for the sniffed audio format."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    return suffix in _AUDIO_EXTENSIONS.get(fmt, set())


def claims_audio(filename: str) -> bool:
    """True when the name's extension is one that audio files use."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    return any(suffix in names for names in _AUDIO_EXTENSIONS.values())
