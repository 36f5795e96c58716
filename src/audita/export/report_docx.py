"""The report as DOCX (python-docx), for those who need to annotate or excerpt it.

python-docx stamps zip members with the current time; the file is rewritten with the export time
on every member so that the same content gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table

from audita.export.report import INDICATOR_NOTE, MT_COLUMN, MT_NOTE, FileRow, RecordingSection, ReportModel, clock, span_text

BODY_W_MM = 180


def _table(document: Document, header: list[str] | None, rows: list[list[str]], widths_mm: list[float],
           mono_columns: tuple[int, ...] = ()) -> Table:
    table = document.add_table(rows=0, cols=len(widths_mm))
    table.style = "Table Grid"
    table.autofit = False
    for n, values in enumerate(([header] if header else []) + rows):
        cells = table.add_row().cells
        for col, (cell, value) in enumerate(zip(cells, values)):
            cell.width = Mm(widths_mm[col])
            paragraph = cell.paragraphs[0]
            lines = str(value).split("\n")
            for k, line in enumerate(lines):
                run = paragraph.add_run(line)
                run.font.size = Pt(7.5 if col in mono_columns else 8)
                run.bold = header is not None and n == 0
                if col in mono_columns:
                    run.font.name = "DejaVu Sans Mono"
                if k < len(lines) - 1:
                    run.add_break()
    return table


def _pairs(document: Document, rows: tuple[tuple[str, str], ...]) -> None:
    _table(document, None, [[k, v] for k, v in rows], [45, BODY_W_MM - 45])


def _hashes(document: Document, files: tuple[FileRow, ...]) -> None:
    _table(document, ["File", "SHA-256", "Bytes"], [[f.path, f.sha256, str(f.size)] for f in files],
           [58, 104, 18], mono_columns=(1,))


def _recording(document: Document, number: int, rec: RecordingSection, root: Path) -> None:
    document.add_page_break()
    document.add_heading(f"{number}. {rec.name}", level=1)
    document.add_paragraph(f"Item {rec.item_id}")
    document.add_heading("Facts", level=2)
    _pairs(document, rec.facts)
    for note in rec.notes:
        document.add_paragraph(note)
    document.add_heading("Summary", level=2)
    _pairs(document, rec.summary)
    if rec.signal_png:
        document.add_heading("Signal: waveform and spectrogram", level=2)
        document.add_picture(str(root / rec.signal_png), width=Mm(BODY_W_MM))
    document.add_heading("Transcript with time codes", level=2)
    document.add_paragraph(rec.transcript_label)
    if rec.rows:
        rows = []
        for r in rec.rows:
            text = r.text + (f"\n[{r.language}]" if r.language else "") + (f"\n({r.note})" if r.note else "")
            rows.append([f"{clock(r.start)}\n{clock(r.end)}", r.speaker, text, r.translation])
        _table(document, ["Time", "Speaker", "Transcript (source language)", MT_COLUMN], rows, [20, 22, 69, 69])
    document.add_heading("Flagged passages", level=2)
    document.add_paragraph(INDICATOR_NOTE)
    if not rec.flags:
        document.add_paragraph("No passages flagged.")
    for f in rec.flags:
        _pairs(document, (
            (f"Flag {f.number}", f"{f.category} — {f.title}" if f.title else f.category),
            ("Art. 8 reference", f.article),
            ("Quote", f"«{f.quote}»"),
            ("Time span", span_text(f.start, f.end) + (f" (transmission {f.transmission})" if f.transmission else "")),
            ("Reason", f.reason + (f" (rule {f.rule})" if f.rule else "")),
            ("Confidence", f.confidence),
            ("Analyst decision", f.decision),
        ))
        document.add_paragraph()
    if rec.entities:
        document.add_heading("Entities", level=2)
        _table(document, ["Type", "Words", "Normalised", "Time", "Place"],
               [[e.type, e.text, e.normalized, e.time, e.place] for e in rec.entities], [22, 38, 38, 30, 52])
    if rec.map_png:
        document.add_heading("Places", level=2)
        document.add_picture(str(root / rec.map_png), width=Mm(BODY_W_MM))
    if rec.history:
        document.add_heading("Versions, labels, decisions and sign-offs", level=2)
        _table(document, ["What", "Who", "When (UTC)", "Note"], [list(h) for h in rec.history], [60, 34, 38, 48])
    document.add_heading("Files for this recording", level=2)
    _hashes(document, rec.files)


def _fixed_zip(data: bytes, when: tuple[int, int, int, int, int, int]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def _export_time(model: ReportModel) -> datetime:
    try:
        return datetime.strptime(model.exported_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime(1980, 1, 1, tzinfo=timezone.utc)


def write_docx(model: ReportModel, root: Path, target: Path) -> None:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    normal = document.styles["Normal"]
    normal.font.name = "DejaVu Sans"
    normal.font.size = Pt(9)
    normal.element.rPr.rFonts.set(qn("w:cs"), "DejaVu Sans")
    when = _export_time(model)
    props = document.core_properties
    props.title = f"Evidence package report: {model.case_name}"
    props.author = model.exported_by
    props.last_modified_by = model.exported_by
    props.created = props.modified = when.replace(tzinfo=None)
    props.revision = 1
    props.comments = f"Audita {model.audita_version}; signing key {model.key_id}"

    document.add_heading("Evidence package report", level=0)
    _pairs(document, (
        ("Case", f"{model.case_name} ({model.case_id})"),
        ("Exported", model.exported_at),
        ("Exported by", model.exported_by),
        ("Software", f"Audita {model.audita_version}"),
        ("Installation signing key (Ed25519, SHA-256 fingerprint)", model.key_id),
    ))
    document.add_heading("Integrity", level=2)
    document.add_paragraph(
        "Every file of this package, this report included, is listed with its SHA-256 and size in MANIFEST.json, "
        "which is signed with the installation key above (MANIFEST.sig). The SHA-256 of MANIFEST.json itself is "
        "printed by verify_package.py and recorded in the custody log entry 'case.exported' for this export. "
        "Follow VERIFY.txt to check the package without Audita.")
    document.add_paragraph("Originals in originals/ are bit-identical to what was acquired. Files in working/ are "
                           "derived working copies (16 kHz mono), labelled as such in MANIFEST.json and methodology.json.")
    document.add_paragraph(MT_NOTE)
    document.add_paragraph(INDICATOR_NOTE)
    if model.redaction:
        document.add_heading("Redaction", level=2)
        for line in model.redaction:
            document.add_paragraph(line)
    document.add_heading("Recordings in this package", level=2)
    _table(document, ["#", "Recording", "Item id", "Flags"],
           [[str(n), r.name, r.item_id, str(len(r.flags))] for n, r in enumerate(model.recordings, start=1)],
           [10, 88, 70, 12], mono_columns=(2,))
    if model.other_items:
        document.add_heading("Other items", level=2)
        _table(document, ["Kind", "Name", "SHA-256"], [list(o) for o in model.other_items], [18, 58, 104], mono_columns=(2,))
    for n, rec in enumerate(model.recordings, start=1):
        _recording(document, n, rec, root)
    document.add_page_break()
    document.add_heading("All files in this package", level=1)
    document.add_paragraph("Except this report, SHA256SUMS and the signed manifest itself.")
    _hashes(document, model.files)
    buffer = io.BytesIO()
    document.save(buffer)
    target.write_bytes(_fixed_zip(buffer.getvalue(), (when.year, when.month, when.day, when.hour, when.minute,
                                                      when.second)))
