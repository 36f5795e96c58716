"""The report as PDF (reportlab), with a Cyrillic TrueType font embedded.

``invariant=True`` keeps the bytes a function of the content (no creation date or random id), so
the same export content gives the same PDF.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from audita.export.fonts import FontSet
from audita.export.report import INDICATOR_NOTE, MT_COLUMN, MT_NOTE, FileRow, RecordingSection, ReportModel, clock, span_text

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
BODY_W = PAGE_W - 2 * MARGIN


def _register(fonts: FontSet) -> None:
    for name, path in (("AuditaSans", fonts.regular), ("AuditaSans-Bold", fonts.bold), ("AuditaMono", fonts.mono)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily("AuditaSans", normal="AuditaSans", bold="AuditaSans-Bold",
                                  italic="AuditaSans", boldItalic="AuditaSans-Bold")


class _Styles:
    def __init__(self) -> None:
        self.title = ParagraphStyle("title", fontName="AuditaSans-Bold", fontSize=20, leading=25, spaceAfter=10)
        self.h1 = ParagraphStyle("h1", fontName="AuditaSans-Bold", fontSize=15, leading=19, spaceBefore=6, spaceAfter=6)
        self.h2 = ParagraphStyle("h2", fontName="AuditaSans-Bold", fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4)
        self.body = ParagraphStyle("body", fontName="AuditaSans", fontSize=9, leading=12, spaceAfter=4)
        self.cell = ParagraphStyle("cell", fontName="AuditaSans", fontSize=7.6, leading=9.4)
        self.cell_bold = ParagraphStyle("cellb", fontName="AuditaSans-Bold", fontSize=7.6, leading=9.4)
        self.mono = ParagraphStyle("mono", fontName="AuditaMono", fontSize=6.2, leading=8)
        self.note = ParagraphStyle("note", fontName="AuditaSans", fontSize=8, leading=10, textColor=colors.HexColor("#444444"))


MAX_CELL_CHARS = 2400  # a table cell cannot break across pages; longer text is cut with a pointer


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS] + " … (cut here; the full text is in the package's JSON files)"
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid(rows: list[list[object]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e9ef")))
    table.setStyle(TableStyle(commands))
    return table


def _pairs(rows: tuple[tuple[str, str], ...], s: _Styles) -> Table:
    return _grid([[_p(k, s.cell_bold), _p(v, s.cell)] for k, v in rows], [42 * mm, BODY_W - 42 * mm], header=False)


def _image(root: Path, relative: str, width: float) -> Image:
    path = root / relative
    image = Image(str(path))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = width, width * ratio
    return image


def _hash_table(files: tuple[FileRow, ...], s: _Styles) -> Table:
    rows: list[list[object]] = [[_p("File", s.cell_bold), _p("SHA-256", s.cell_bold), _p("Bytes", s.cell_bold)]]
    rows += [[_p(f.path, s.cell), _p(f.sha256, s.mono), _p(str(f.size), s.cell)] for f in files]
    return _grid(rows, [BODY_W - 106 * mm, 90 * mm, 16 * mm])


def _cover(model: ReportModel, s: _Styles) -> list[object]:
    out: list[object] = [
        _p("Evidence package report", s.title),
        _pairs((
            ("Case", f"{model.case_name} ({model.case_id})"),
            ("Exported", model.exported_at),
            ("Exported by", model.exported_by),
            ("Software", f"Audita {model.audita_version}"),
            ("Installation signing key (Ed25519, SHA-256 fingerprint)", model.key_id),
        ), s),
        Spacer(1, 6),
        _p("Integrity", s.h2),
        _p("Every file of this package, this report included, is listed with its SHA-256 and size in MANIFEST.json, "
           "which is signed with the installation key above (MANIFEST.sig). The manifest cannot list its own hash, so "
           "the SHA-256 of MANIFEST.json is not printed here: verify_package.py prints it, and Audita records it in "
           "the custody log entry 'case.exported' for this export. Follow VERIFY.txt to check the package with the "
           "standard library of Python, sha256sum and openssl; confirm the key fingerprint with the exporting "
           "organisation through a separate channel.", s.body),
        _p("Originals in originals/ are bit-identical to what was acquired. Files in working/ are derived working "
           "copies (decoded to 16 kHz mono) and are labelled as such in MANIFEST.json and methodology.json.", s.body),
        _p(MT_NOTE, s.body),
        _p(INDICATOR_NOTE, s.body),
    ]
    if model.redaction:
        out.append(_p("Redaction", s.h2))
        out.extend(_p(line, s.body) for line in model.redaction)
    out.append(_p("Recordings in this package", s.h2))
    rows: list[list[object]] = [[_p("#", s.cell_bold), _p("Recording", s.cell_bold), _p("Item id", s.cell_bold),
                                 _p("Flags", s.cell_bold)]]
    for n, rec in enumerate(model.recordings, start=1):
        rows.append([_p(str(n), s.cell), _p(rec.name, s.cell), _p(rec.item_id, s.mono), _p(str(len(rec.flags)), s.cell)])
    out.append(_grid(rows, [8 * mm, BODY_W - 90 * mm, 68 * mm, 14 * mm]))
    if model.other_items:
        out.append(_p("Other items (archives as acquired; their members are listed as recordings)", s.h2))
        out.append(_grid([[_p("Kind", s.cell_bold), _p("Name", s.cell_bold), _p("SHA-256", s.cell_bold)]]
                         + [[_p(k, s.cell), _p(n, s.cell), _p(h, s.mono)] for k, n, h in model.other_items],
                         [16 * mm, BODY_W - 104 * mm, 88 * mm]))
    return out


def _recording(number: int, rec: RecordingSection, root: Path, s: _Styles) -> list[object]:
    out: list[object] = [PageBreak(), _p(f"{number}. {rec.name}", s.h1), _p(f"Item {rec.item_id}", s.note)]
    out += [_p("Facts", s.h2), _pairs(rec.facts, s)]
    for note in rec.notes:
        out.append(_p(note, s.note))
    out += [_p("Summary", s.h2), _pairs(rec.summary, s)]
    if rec.signal_png:
        out += [_p("Signal: waveform and spectrogram", s.h2), _image(root, rec.signal_png, BODY_W)]
    out += [_p("Transcript with time codes", s.h2), _p(rec.transcript_label, s.note)]
    if rec.rows:
        rows: list[list[object]] = [[_p("Time", s.cell_bold), _p("Speaker", s.cell_bold),
                                     _p("Transcript (source language)", s.cell_bold), _p(MT_COLUMN, s.cell_bold)]]
        for r in rec.rows:
            text = r.text + (f"\n[{r.language}]" if r.language else "") + (f"\n({r.note})" if r.note else "")
            rows.append([_p(f"{clock(r.start)}\n{clock(r.end)}", s.cell), _p(r.speaker, s.cell), _p(text, s.cell),
                         _p(r.translation, s.cell)])
        out.append(_grid(rows, [17 * mm, 20 * mm, (BODY_W - 37 * mm) / 2, (BODY_W - 37 * mm) / 2]))
    out += [_p("Flagged passages", s.h2), _p(INDICATOR_NOTE, s.note)]
    if rec.flags:
        for f in rec.flags:
            out.append(KeepTogether([_pairs((
                (f"Flag {f.number}", f"{f.category} — {f.title}" if f.title else f.category),
                ("Art. 8 reference", f.article),
                ("Quote", f"«{f.quote}»"),
                ("Time span", span_text(f.start, f.end) + (f" (transmission {f.transmission})" if f.transmission else "")),
                ("Reason", f.reason + (f" (rule {f.rule})" if f.rule else "")),
                ("Confidence", f.confidence),
                ("Analyst decision", f.decision),
            ), s), Spacer(1, 4)]))
    else:
        out.append(_p("No passages flagged.", s.body))
    if rec.entities:
        out.append(_p("Entities", s.h2))
        rows = [[_p(h, s.cell_bold) for h in ("Type", "Words", "Normalised", "Time", "Place")]]
        rows += [[_p(e.type, s.cell), _p(e.text, s.cell), _p(e.normalized, s.cell), _p(e.time, s.cell), _p(e.place, s.cell)]
                 for e in rec.entities]
        out.append(_grid(rows, [20 * mm, 38 * mm, 38 * mm, 26 * mm, BODY_W - 122 * mm]))
    if rec.map_png:
        out += [_p("Places", s.h2), _image(root, rec.map_png, BODY_W)]
    if rec.history:
        out.append(_p("Versions, labels, decisions and sign-offs", s.h2))
        rows = [[_p(h, s.cell_bold) for h in ("What", "Who", "When (UTC)", "Note")]]
        rows += [[_p(a, s.cell), _p(b, s.cell), _p(c, s.cell), _p(d, s.cell)] for a, b, c, d in rec.history]
        out.append(_grid(rows, [62 * mm, 32 * mm, 36 * mm, BODY_W - 130 * mm]))
    out += [_p("Files for this recording", s.h2), _hash_table(rec.files, s)]
    return out


def write_pdf(model: ReportModel, root: Path, target: Path, fonts: FontSet) -> None:
    _register(fonts)
    s = _Styles()
    story: list[object] = _cover(model, s)
    for n, rec in enumerate(model.recordings, start=1):
        story += _recording(n, rec, root, s)
    story += [PageBreak(), _p("All files in this package", s.h1),
              _p("Except this report, SHA256SUMS and the signed manifest itself, which are listed in MANIFEST.json "
                 "(the report) or cover the others (SHA256SUMS, MANIFEST.json).", s.note),
              _hash_table(model.files, s)]

    def footer(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont("AuditaSans", 7)  # type: ignore[attr-defined]
        canvas.drawString(MARGIN, 9 * mm, f"{model.case_name} — exported {model.exported_at} — "  # type: ignore[attr-defined]
                          f"key {model.key_id[:16]}…")
        canvas.drawRightString(PAGE_W - MARGIN, 9 * mm, f"page {doc.page}")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    doc = SimpleDocTemplate(str(target), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=16 * mm, title=f"Evidence package report: {model.case_name}",
                            author=model.exported_by, creator=f"Audita {model.audita_version}", invariant=True)
    previous = rl_config.useA85
    rl_config.useA85 = 0  # binary streams: smaller, and the pure-Python ASCII85 encoder is slow
    try:
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    finally:
        rl_config.useA85 = previous
