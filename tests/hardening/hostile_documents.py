"""Hostile documents for `audita documents add` (`audita.ingest.documents.ingest_document`): damaged,
disguised and resource-hungry text, HTML, Telegram-export and PDF files, built deterministically
at test time. Each must be refused with a clear one-line message matching its pattern and leave
the store as it was (test_hostile_documents.py)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostileDocument:
    name: str  # case id
    category: str
    filename: str
    data: bytes
    message: str  # regular expression the one-line message must match


def _pdf(text: str = "Колонна прошла Попасную в 06:40.", pages: int = 1) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for n in range(pages):
        pdf.drawString(72, 760, f"Page {n + 1}: report from the front line, day {n + 1}.")
        pdf.drawString(72, 740, text.encode("ascii", "replace").decode())
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf())).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret-user", owner_password="secret-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _raw_pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF assembled object by object with a correct xref table (so only what is asked is wrong)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, trailer_extra, xref)
    return bytes(out)


def _zip_as_html() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<html><body><p>inside a zip</p></body></html>")
    return buffer.getvalue()


def build() -> list[HostileDocument]:
    pdf = _pdf(pages=3)
    cases = [
        # --- PDF ---
        HostileDocument("pdf-truncated-40pc", "damaged PDF", "report.pdf", pdf[: len(pdf) * 4 // 10],
                        r"malformed PDF|no text|no pages"),
        HostileDocument("pdf-header-only", "damaged PDF", "header.pdf", b"%PDF-1.7\n", r"malformed PDF"),
        HostileDocument("pdf-xref-table-noise", "damaged PDF", "xref2.pdf",
                        pdf.replace(b"xref\n", b"xref\n\xff\xfe garbage \x00\n", 1)[: len(pdf) // 2] +
                        b"trailer\n<< /Size 2 /Root 99 0 R >>\nstartxref\n5\n%%EOF\n", r"malformed PDF"),
        HostileDocument("pdf-encrypted-password", "damaged PDF", "locked.pdf", _encrypted_pdf(), r"^encrypted PDF"),
        HostileDocument("pdf-bogus-encrypt", "damaged PDF", "bogus-encrypt.pdf", _raw_pdf(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>",
             b"<< /Filter /Standard /V 99 /R 99 /O (x) /U (y) /P -4 >>"], trailer_extra=b"/Encrypt 3 0 R /ID [<00><00>] "),
            r"encrypted PDF|malformed PDF"),
        HostileDocument("pdf-zero-pages", "damaged PDF", "empty.pdf", _raw_pdf(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]), r"malformed PDF: no pages"),
        HostileDocument("pdf-page-tree-loop", "damaged PDF", "loop.pdf", _raw_pdf(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]), r"malformed PDF"),
        HostileDocument("pdf-count-lies", "damaged PDF", "count.pdf", _raw_pdf(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 2147483647 >>"]),
            r"malformed PDF"),
        HostileDocument("pdf-root-not-a-dict", "damaged PDF", "root.pdf", _raw_pdf([b"[1 2 3]"]), r"malformed PDF"),
        # --- HTML ---
        HostileDocument("html-deep-nesting", "HTML bomb", "deep.html",
                        b"<html><body>" + b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000 + b"</body></html>",
                        r"malformed HTML|nested too deeply|no text"),
        HostileDocument("html-unclosed-tags", "HTML bomb", "unclosed.html",
                        b"<html><body>" + b"<span><b><i>" * 20_000 + b"</body></html>", r"malformed HTML|no text"),
        HostileDocument("html-script-only", "HTML bomb", "script.html",
                        b"<html><head><script>" + b"var a=1;" * 50_000 + b"</script></head><body></body></html>",
                        r"no text in the page body"),
        HostileDocument("html-nul-bytes", "binary in text", "nul.html",
                        b"<html><body><p>" + b"text\x00" * 5000 + b"</p></body></html>", r"binary data"),
        HostileDocument("html-invalid-utf8-claims-utf8", "bad encoding", "latin.html",
                        b'<html><head><meta charset="utf-8"></head><body><p>caf\xe9 na\xefve \xff\xfe r\xe9sum\xe9</p>'
                        b"</body></html>", r"not UTF-8 text"),
        HostileDocument("html-is-a-zip", "disguised", "page.html", _zip_as_html(),
                        r"not a text, HTML or PDF document: content is"),
        # --- text ---
        HostileDocument("text-huge-single-line", "resource", "one-line.txt", b"\xd0\xb0" * (6 << 20),
                        r"paragraph of \d+ characters"),
        HostileDocument("text-whitespace-only", "empty", "blank.txt", b" \t\n\r\n" * 1000, r"contains no text"),
        HostileDocument("text-empty", "empty", "empty.txt", b"", r"^empty file"),
        HostileDocument("text-random-bytes", "binary in text", "noise.txt",
                        bytes((n * 7919 + 13) % 256 for n in range(20_000)), r"not UTF-8 text|binary data|not a text"),
        HostileDocument("text-utf16-odd-length", "bad encoding", "utf16.txt",
                        b"\xff\xfe" + "Попасная".encode("utf-16-le") + b"\x00", r"not valid UTF-16"),
        HostileDocument("text-control-characters", "binary in text", "ctrl.txt",
                        b"report\x01\x02\x03\x04\x05\x06\x1b[31m" * 300, r"binary data"),
        # --- JSON (Telegram export) ---
        HostileDocument("json-not-telegram", "not a Telegram export", "result.json",
                        json.dumps({"name": "channel", "posts": [{"text": "x"}]}).encode(),
                        r"not a Telegram export"),
        HostileDocument("json-list", "not a Telegram export", "list.json", b'[{"text": "x"}]',
                        r"not a Telegram export"),
        HostileDocument("json-messages-without-text", "not a Telegram export", "notext.json",
                        json.dumps({"name": "c", "messages": [{"id": 1, "type": "service", "text": "x"},
                                                               {"id": 2, "text": {"bold": True}}]}).encode(),
                        r"contains no message text"),
        HostileDocument("json-truncated", "not a Telegram export", "cut.json",
                        b'{"name": "c", "messages": [{"id": 1, "text": "\xd0\x9a\xd0\xbe', r"invalid JSON"),
        HostileDocument("json-deep-nesting", "JSON bomb", "deep.json",
                        b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", r"invalid JSON|nested too deeply"),
        HostileDocument("json-huge-number", "JSON bomb", "number.json",
                        b'{"messages": [{"id": ' + b"9" * 6000 + b', "text": "x"}]}', r"invalid JSON|number"),
        HostileDocument("json-date-overflow", "JSON bomb", "date.json",
                        json.dumps({"name": "c", "messages": [{"id": 1, "text": "Колонна",
                                                               "date_unixtime": "9" * 30}]}).encode(),
                        r"date|time|out of range"),
        HostileDocument("json-nan", "JSON bomb", "nan.json", b'{"messages": [{"id": NaN, "text": Infinity}]}',
                        r"invalid JSON|no message text"),
    ]
    return cases


def repaired_pdf() -> bytes:
    """A readable PDF whose startxref points nowhere: read after repair, with a warning."""
    pdf = _pdf(pages=3)
    return pdf[:pdf.rindex(b"startxref")] + b"startxref\n999999999\n%%EOF\n"


def entity_bomb() -> bytes:
    """XHTML declaring nested entities (10^8 characters if expanded): the HTML parser never expands them."""
    entities = b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + n]), (b"&%s;" % bytes([97 + n])) * 10) for n in range(8))
    return (b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "aaaaaaaaaa">' + entities +
            b"]><html><body><p>&i;</p><p>" + "Колонна прошла.".encode() + b"</p></body></html>")


def write(case: HostileDocument, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.filename
    path.write_bytes(case.data)
    return path
