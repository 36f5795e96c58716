"""Text out of a document's bytes: plain text, HTML (articles, Telegram HTML exports), Telegram JSON
exports and PDF, as paragraphs with character offsets into the joined text.

The content decides the format, never the file name. Anything that cannot be read as one of these
raises ``BadInput`` with the reason; callers store nothing in that case.
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import re
import statistics
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from audita.errors import BadInput
from audita.media.sniff import sniff_bytes

SCHEMA = "audita.document/1"
PARAGRAPH_SEPARATOR = "\n\n"
MAX_DOCUMENT_BYTES = 64 << 20
# Longer than any real paragraph (a long article paragraph is a few thousand characters): a file
# that is one enormous line is minified data or garbage, and would only slow extraction and search.
MAX_PARAGRAPH_CHARS = 200_000

_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "blockquote", "pre", "table", "tr", "td", "th", "dd", "dt", "dl", "figure", "figcaption", "hr", "address",
    "details", "summary", "body", "caption", "center",
}
_DROPPED_TAGS = {
    "script", "style", "noscript", "template", "svg", "nav", "aside", "footer", "form", "button", "select",
    "iframe", "object", "embed", "canvas", "head", "title", "meta", "link", "input", "textarea", "option",
}
_LINE_BREAK = "\u2028"  # stands for <br> until whitespace is collapsed
_MARKUP = re.compile(r"<\s*(html|head|body|p|div|article|br|span|meta|title|h[1-6])\b", re.IGNORECASE)
_TERMINAL = tuple(".!?:;»\"”…)")


@dataclass(frozen=True)
class Paragraph:
    index: int
    text: str
    char_start: int  # offsets into DocumentText.text
    char_end: int
    page: int | None = None  # 1-based page number (PDF)
    time: str | None = None  # ISO 8601 UTC of a Telegram message
    author: str | None = None  # who posted a Telegram message

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "text": self.text, "char_start": self.char_start, "char_end": self.char_end,
                "page": self.page, "time": self.time, "author": self.author}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Paragraph":
        return cls(int(data["index"]), str(data["text"]), int(data["char_start"]), int(data["char_end"]),
                   data.get("page"), data.get("time"), data.get("author"))


@dataclass(frozen=True)
class DocumentText:
    format: str  # "text" | "html" | "pdf" | "telegram-html" | "telegram-json"
    paragraphs: tuple[Paragraph, ...]
    encoding: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: str | None = None  # from the document's own metadata: ISO UTC, or a date without time zone
    canonical_url: str | None = None
    pages: int | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return PARAGRAPH_SEPARATOR.join(p.text for p in self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "format": self.format, "encoding": self.encoding, "title": self.title,
            "publisher": self.publisher, "published": self.published, "canonical_url": self.canonical_url,
            "pages": self.pages, "warnings": list(self.warnings), "text": self.text,
            "paragraphs": [p.to_dict() for p in self.paragraphs],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DocumentText":
        return cls(
            format=data["format"], paragraphs=tuple(Paragraph.from_dict(p) for p in data["paragraphs"]),
            encoding=data.get("encoding"), title=data.get("title"), publisher=data.get("publisher"),
            published=data.get("published"), canonical_url=data.get("canonical_url"), pages=data.get("pages"),
            warnings=tuple(data.get("warnings", ())),
        )


@dataclass(frozen=True)
class _Block:
    text: str
    page: int | None = None
    time: str | None = None
    author: str | None = None


def _assemble(fmt: str, blocks: Iterable[_Block], **facts: Any) -> DocumentText:
    paragraphs: list[Paragraph] = []
    offset = 0
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if len(text) > MAX_PARAGRAPH_CHARS:
            raise BadInput(f"a paragraph of {len(text)} characters (more than {MAX_PARAGRAPH_CHARS}): not a readable "
                           "document; split it into lines or paragraphs")
        if paragraphs:
            offset += len(PARAGRAPH_SEPARATOR)
        paragraphs.append(Paragraph(len(paragraphs), text, offset, offset + len(text), block.page, block.time,
                                    block.author))
        offset += len(text)
    return DocumentText(format=fmt, paragraphs=tuple(paragraphs), **facts)


# ---- decoding ---------------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (with or without BOM), UTF-16 with a BOM, or
    Windows-1251 when the bytes are not UTF-8 and read as mostly Cyrillic."""
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise BadInput(f"not valid UTF-16 text: {exc.reason}") from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = data.decode("cp1251", errors="replace")
            letters = [c for c in text if c.isalpha()]
            cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
            if "\ufffd" in text or not letters or cyrillic < 0.5 * len(letters):
                raise BadInput("not UTF-8 text (nor Windows-1251 Cyrillic); convert it to UTF-8") from None
            encoding = "cp1251"
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    if "\x00" in text or controls > 0.01 * len(text):
        raise BadInput("binary data, not a text document")
    return text, encoding


def _collapse(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace(_LINE_BREAK, "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def iso_utc(value: str | None) -> str | None:
    """A date or date-time from document metadata as ISO 8601: UTC with Z when it has an offset,
    else the date alone (a local time without zone is not turned into UTC by guesswork)."""
    if not value:
        return None
    value = value.strip()
    match = re.match(r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([+\-Z])?(\d{2})?'?(\d{2})?", value)
    if match:  # PDF date string
        year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
        value = f"{year}-{month}-{day}"
        if match.group(4):
            value += f"T{match.group(4)}:{match.group(5) or '00'}:{match.group(6) or '00'}"
            if match.group(7) == "Z":
                value += "+00:00"
            elif match.group(7) in ("+", "-") and match.group(8):
                value += f"{match.group(7)}{match.group(8)}:{match.group(9) or '00'}"
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not 1900 <= parsed.year <= 2100:
        return None
    if parsed.tzinfo is None:
        return parsed.date().isoformat()
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- plain text -------------------------------------------------------------------------------------


def _text_blocks(text: str) -> list[_Block]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = re.split(r"\n[ \t\u00a0]*\n", text)
    if len(chunks) == 1:  # no blank lines at all: one paragraph per line (transcripts, chat logs)
        chunks = text.split("\n")
    return [_Block("\n".join(" ".join(line.split()) for line in chunk.split("\n") if line.strip()))
            for chunk in chunks]


def _parse_text(data: bytes) -> DocumentText:
    text, encoding = decode_text(data)
    if _MARKUP.search(text[:4096]):
        return _parse_html_text(text, encoding)
    document = _assemble("text", _text_blocks(text), encoding=encoding)
    if not document.paragraphs:
        raise BadInput("the document contains no text")
    return document


# ---- HTML -------------------------------------------------------------------------------------------


def _hidden(element: Any) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style


def _flatten(root: Any) -> str:
    """Text of an element tree with blank lines at block boundaries and a marker for <br>."""
    out: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if closing:
            if tag in _BLOCK_TAGS:
                out.append("\n\n")
            if element is not root and element.tail:
                out.append(element.tail)
            continue
        if tag is None or tag in _DROPPED_TAGS or _hidden(element):
            if element is not root and element.tail:
                out.append(element.tail)
            continue
        if tag == "br":
            out.append(_LINE_BREAK)
        elif tag in _BLOCK_TAGS:
            out.append("\n\n")
        if element.text:
            out.append(element.text)
        stack.append((element, True))
        for child in reversed(list(element)):
            stack.append((child, False))
    return "".join(out)


def _html_blocks(element: Any) -> list[_Block]:
    return [_Block(_collapse(chunk)) for chunk in re.split(r"\n\s*\n", _flatten(element))]


def _first(root: Any, *paths: str) -> str | None:
    for path in paths:
        for value in root.xpath(path):
            text = " ".join(str(value).split())
            if text:
                return text
    return None


def _json_ld_date(root: Any) -> str | None:
    for script in root.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except (ValueError, TypeError):
            continue
        for record in data if isinstance(data, list) else [data]:
            if isinstance(record, dict) and isinstance(record.get("datePublished"), str):
                return record["datePublished"]
    return None


def _telegram_time(title: str | None) -> str | None:
    if not title:
        return None
    match = re.match(r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+\-]\d{2}):(\d{2}))?", title.strip())
    if not match:
        return None
    day, month, year, hour, minute, second, tz_hour, tz_minute = match.groups()
    value = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    if tz_hour is not None:
        value += f"{tz_hour}:{tz_minute}"
    return iso_utc(value)


def _has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def _telegram_html(root: Any, encoding: str) -> DocumentText | None:
    messages = root.xpath(f"//div[{_has_class('message')}]")
    if not messages or not root.xpath(f"//div[{_has_class('message')}]//div[{_has_class('text')}]"):
        return None
    blocks: list[_Block] = []
    author: str | None = None
    for message in messages:
        if "service" in (message.get("class") or "").split():
            continue
        named = message.xpath(f".//div[{_has_class('from_name')}]")
        if named:
            author = " ".join(named[0].text_content().split()) or author
        texts = message.xpath(f".//div[{_has_class('text')}]")
        if not texts:
            continue
        dates = message.xpath(f".//div[{_has_class('date')}]/@title")
        text = "\n".join(_collapse(chunk) for chunk in re.split(r"\n\s*\n", _flatten(texts[0])) if chunk.strip())
        blocks.append(_Block(text, time=_telegram_time(dates[0] if dates else None), author=author))
    title = _first(root, f"//div[{_has_class('page_header')}]//div[{_has_class('text')}]//text()", "//title/text()")
    document = _assemble("telegram-html", blocks, encoding=encoding, title=title, publisher=title)
    return document if document.paragraphs else None


def _parse_html_text(text: str, encoding: str) -> DocumentText:
    from lxml import etree
    from lxml import html as lxml_html

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise BadInput(f"malformed HTML: {exc}") from None
    telegram = _telegram_html(root, encoding)
    if telegram is not None:
        return telegram
    title = _first(root, '//meta[@property="og:title"]/@content', "//title/text()", "//h1//text()")
    publisher = _first(root, '//meta[@property="og:site_name"]/@content', '//meta[@name="publisher"]/@content')
    published = iso_utc(_first(
        root, '//meta[@property="article:published_time"]/@content', '//meta[@itemprop="datePublished"]/@content',
        '//meta[@name="pubdate"]/@content', '//meta[@name="date"]/@content', "//time/@datetime",
    ) or _json_ld_date(root))
    canonical = _first(root, '//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content')
    bodies = root.xpath("//body")
    blocks = _html_blocks(bodies[0] if bodies else root)
    document = _assemble("html", blocks, encoding=encoding, title=title, publisher=publisher, published=published,
                         canonical_url=canonical)
    if not document.paragraphs:
        raise BadInput("malformed or empty HTML: no text in the page body")
    return document


# ---- Telegram JSON export -----------------------------------------------------------------------------


def _telegram_json(data: bytes) -> DocumentText:
    text, encoding = decode_text(data)
    try:
        export = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise BadInput("invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise BadInput(f"invalid JSON ({str(exc).split(';')[0]})") from None
    if not isinstance(export, dict) or not isinstance(export.get("messages"), list):
        raise BadInput("JSON that is not a Telegram export (no 'messages' list); save posts as text or HTML")
    blocks: list[_Block] = []
    for number, message in enumerate(export["messages"], start=1):
        if not isinstance(message, dict) or message.get("type", "message") != "message":
            continue
        body = message.get("text", "")
        if isinstance(body, list):
            body = "".join(part if isinstance(part, str) else str(part.get("text", "")) if isinstance(part, dict) else ""
                           for part in body)
        if not isinstance(body, str):
            continue
        when: str | None = None
        unix = message.get("date_unixtime")
        if isinstance(unix, (str, int)) and str(unix).isdigit():
            try:
                when = datetime.fromtimestamp(int(unix), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            except (OverflowError, OSError, ValueError):
                raise BadInput(f"Telegram export message {number}: date_unixtime {str(unix)[:20]!r} is out of "
                               "range") from None
        elif isinstance(message.get("date"), str):
            when = iso_utc(message["date"])
        author = message.get("from") if isinstance(message.get("from"), str) else None
        blocks.append(_Block(_collapse(body), time=when, author=author))
    name = export.get("name") if isinstance(export.get("name"), str) else None
    document = _assemble("telegram-json", blocks, encoding=encoding, title=name, publisher=name)
    if not document.paragraphs:
        raise BadInput("the Telegram export contains no message text")
    return document


# ---- PDF --------------------------------------------------------------------------------------------


def _pdf_blocks(page_text: str, page: int) -> list[_Block]:
    lines = [" ".join(line.split()) for line in page_text.splitlines()]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return []
    typical = statistics.median(lengths)
    blocks: list[_Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(_Block(" ".join(current), page=page))
            current.clear()

    for line in lines:
        if not line:
            flush()
            continue
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = current[-1][:-1] + line  # word hyphenated across lines
        else:
            current.append(line)
        if line.endswith(_TERMINAL) and len(line) < 0.8 * typical:
            flush()
    flush()
    return blocks


class _ThreadWarnings(logging.Handler):
    """pypdf's warnings (a repaired cross-reference table, ...) raised in this thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and len(self.messages) < 20:
            self.messages.append(" ".join(record.getMessage().split())[:200])


def _parse_pdf(data: bytes) -> DocumentText:
    logger = logging.getLogger("pypdf")
    captured = _ThreadWarnings()
    logger.addHandler(captured)
    try:
        document = _parse_pdf_quietly(data)
    finally:
        logger.removeHandler(captured)
    repairs = list(dict.fromkeys(captured.messages))
    if repairs:
        note = f"the PDF is damaged and was read after repair (pypdf: {'; '.join(repairs[:3])})"
        return DocumentText(**{**document.__dict__, "warnings": (*document.warnings, note)})
    return document


def _parse_pdf_quietly(data: bytes) -> DocumentText:
    from pypdf import PdfReader

    warnings: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # pypdf raises several types for unsupported encryption
                opened = 0
            if not opened:
                raise BadInput("encrypted PDF: decrypt it first (the original is kept as received)")
        count = len(reader.pages)
        if count == 0:
            raise BadInput("malformed PDF: no pages")
        blocks: list[_Block] = []
        for number, page in enumerate(reader.pages, start=1):
            blocks.extend(_pdf_blocks(page.extract_text() or "", number))
        info = reader.metadata
        title = str(info.title).strip() if info is not None and info.title else None
        published = None
        if info is not None:
            raw = info.get("/CreationDate")
            published = iso_utc(str(raw)) if raw else None
    except BadInput:
        raise
    except Exception as exc:  # pypdf reports damage with many exception types
        raise BadInput(f"malformed PDF: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    document = _assemble("pdf", blocks, title=title or None, published=published, pages=count)
    if not document.paragraphs:
        warnings.append("the PDF has no text layer (scanned?): nothing to search until it is transcribed")
    return DocumentText(**{**document.__dict__, "warnings": tuple(warnings)})


# ---- entry point ------------------------------------------------------------------------------------


def parse_document(data: bytes) -> DocumentText:
    """Paragraphs and metadata of a text, HTML, Telegram export or PDF document."""
    if not data:
        raise BadInput("empty file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BadInput(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _parse_text(data)
    sniffed = sniff_bytes(data[:64])
    if sniffed.format == "pdf":
        return _parse_pdf(data)
    if sniffed.format == "html":
        text, encoding = decode_text(data)
        return _parse_html_text(text, encoding)
    if sniffed.format == "json":
        return _telegram_json(data)
    if sniffed.kind in ("text", "unknown") and sniffed.format in ("text", "unknown"):
        return _parse_text(data)  # "unknown" covers Windows-1251 text; decode_text refuses binary
    raise BadInput(f"not a text, HTML or PDF document: content is {sniffed.description}")
