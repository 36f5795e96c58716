"""Build an evidence package for a case (or some of its items).

Layout (docs/export.md):
  originals/             recordings and archives, bit-identical to what was ingested
                         (left out for redacted items unless originals are asked for explicitly)
  working/               derived working copies: 16 kHz mono WAV (redacted audio for redacted items)
  recordings/ITEM/       current and machine transcripts (JSON, SRT, WebVTT, text), translations
                         labelled unverified machine translation, speakers, analysis with decisions, history
  derived/ITEM/*.json    every derivation with provenance (redacted or withheld where redaction requires)
  custody/entries.jsonl  the custody entries for these items, each with an RFC 9162 inclusion proof
  custody/tree_head.json the signed tree head the proofs lead to
  report/                report.pdf, report.docx and their figures
  items.json, methodology.json, public_key.hex/.pem, verify_package.py, VERIFY.txt, SHA256SUMS
  MANIFEST.json          SHA-256 and size of every other file, items and derived files described;
  MANIFEST.sig           its Ed25519 signature;  MANIFEST.tsr  optional RFC 3161 token over it
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from audita import __version__
from audita.cases import get_case
from audita.custody import log as custody
from audita.custody.merkle import inclusion_proof
from audita.derived import history
from audita.errors import AuditaError, BadInput
from audita.faults import checkpoint
from audita.logsafe import json_line_safe
from audita.export.audio import DecodedAudio, decode_for_export, wav_bytes
from audita.export.fonts import FontSet, report_fonts
from audita.export.contents import analysis_json, history_json, recording_texts, speakers_json
from audita.export.records import TRANSCRIPT_STAGES, ItemEvidence, collect, transmissions
from audita.export.redact import (
    TONE_HZ,
    RedactionSpec,
    Span,
    TermMatcher,
    item_spans,
    placeholder,
    redact_content,
    redact_transcript,
    tone_over,
    validate_span_bounds,
)
from audita.export.timestamp import TimestampAuthority, request_token
from audita.items import item_detail
from audita.provenance import canonical_json, code_version, utc_now
from audita.store.schema import custody_entries, items
from audita.transcripts import versions
from audita.workspace import Workspace

STANDALONE = Path(__file__).with_name("standalone_verify.py")
UNSIGNED = ("MANIFEST.json", "MANIFEST.sig", "MANIFEST.tsr")
REPORT_FILES = ("report/report.pdf", "report/report.docx")
TEXT_SUFFIXES = (".json", ".jsonl", ".txt", ".srt", ".vtt", ".hex", ".pem")
# Stages whose output carries no words from the recording.
WORDLESS_STAGES = ("segment", "speakers")
# Analyst rows: short JSON whose free text (notes, names) is term-redacted.
ANALYST_STAGES = ("flag.review", "speaker.label", "review.signoff")


@dataclass(frozen=True)
class ExportOptions:
    working_copies: bool = False  # a 16 kHz mono WAV working copy per recording
    redaction: RedactionSpec | None = None
    include_originals: bool = False  # include originals of redacted items too (explicit choice)
    report: bool = True  # report/report.pdf and report/report.docx


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    zip_path: Path
    manifest_sha256: str
    file_count: int
    item_ids: tuple[str, ...]
    redacted_items: tuple[str, ...] = ()
    originals_withheld: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "file"
    return cleaned[:120]


def _json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_json_text(value), encoding="utf-8")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


VERIFY_TEXT = """\
How to verify this evidence package without Audita
===================================================

The package was exported by Audita {version} on {created_at} by {actor}.
It is signed with the Ed25519 key whose SHA-256 fingerprint is:

    {key_id}

Confirm that fingerprint with the exporting organisation through a separate channel.

1. Everything at once (Python 3.8 or newer, standard library only):

       python3 verify_package.py .

   It checks the manifest signature, every file's SHA-256, that no file was added or removed,
   that every custody log entry is included in the signed custody log head, and that every
   derivation in derived/ (not marked redacted or withheld) hashes to the output SHA-256 that a
   custody entry recorded. It prints the SHA-256 of MANIFEST.json, which the exporting
   installation's custody log also records (action "case.exported").

2. By hand, with common tools:

       sha256sum -c SHA256SUMS
       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in MANIFEST.json -sigfile MANIFEST.sig

   SHA256SUMS lists every file except itself and the MANIFEST files; MANIFEST.json lists every
   file except MANIFEST.json, MANIFEST.sig and MANIFEST.tsr. A file found in the package but in
   neither list was added after export.

   The key fingerprint is SHA-256 over the 32 raw key bytes in public_key.hex:
       python3 -c "import hashlib;print(hashlib.sha256(bytes.fromhex(open('public_key.hex').read())).hexdigest())"

3. If MANIFEST.tsr is present, it is an RFC 3161 timestamp token over MANIFEST.json:

       openssl ts -verify -data MANIFEST.json -in MANIFEST.tsr -CAfile tsa_ca.pem
       openssl ts -reply -in MANIFEST.tsr -text        # shows the time it certifies

What the folders hold:
  originals/   bit-identical to what Audita ingested (see "items" in MANIFEST.json for any
               original withheld because the item is redacted in this package)
  working/     DERIVED working copies (16 kHz mono WAV); how each was made is in MANIFEST.json
               ("derived_files") and methodology.json ("working_copies")
  recordings/  transcripts (current and machine), translations, speakers, analysis, history
  derived/     every stored derivation with its provenance
  report/      the report (PDF, DOCX) and its figures
English translations are unverified machine translation unless a reviewer's sign-off is
recorded with them. Flags are indicators for an analyst to assess, not findings.
{redaction}"""

REDACTION_TEXT = """
This package is REDACTED (see "redaction" in methodology.json): audio over each redacted span is
replaced by a {tone:g} Hz tone in the working copy, words in those spans and the translations of the
transmissions they touch read "[REDACTED: reason]", and redacted terms are replaced wherever they
occur. Derivations whose recorded output was changed are marked "redaction": "redacted" (their
output_sha256 names the unredacted output held by the exporting organisation) or "withheld".
Custody entries that contained a redacted term are shown by their leaf hash only ("withheld");
their inclusion proofs are checked all the same.
"""


def export_case(
    workspace: Workspace, case: str, out: Path, *, actor: str, item_ids: list[str] | None = None,
    tsa: TimestampAuthority | None = None, options: ExportOptions | None = None,
) -> ExportResult:
    options = options or ExportOptions()
    out = out.resolve()
    if out.exists():
        adopted = _adopt_unrecorded(workspace, case, out, actor=actor, item_ids=item_ids, options=options)
        if adopted is None:
            raise BadInput(f"{out} already exists; an export never overwrites")
        return adopted
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        built = _Builder(workspace, case, staging, actor=actor, item_ids=item_ids, tsa=tsa, options=options).build()
        if tsa is not None:
            # The token covers the signed manifest, so it is added after signing and is not listed in it.
            (staging / "MANIFEST.tsr").write_bytes(request_token(staging / "MANIFEST.json", tsa))
        checkpoint("export.before_rename")
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    zip_path = out.with_suffix(".zip")
    checkpoint("export.before_zip")
    _zip(out, zip_path, built["created_at"])
    checkpoint("export.zipped")
    details = {
        "manifest_sha256": built["manifest_sha256"], "items": built["item_ids"], "files": built["file_count"],
        "directory": str(out), "zip_sha256": _sha256(zip_path),
        "options": {"working_copies": options.working_copies, "include_originals": options.include_originals,
                    "report": options.report, "timestamp_authority": tsa.url if tsa else None},
        "originals_withheld": built["originals_withheld"],
    }
    if built["redaction"] is not None:
        details["redaction"] = built["redaction_custody"]
    with workspace.action() as connection:
        workspace.record(connection, "case.exported", actor, case_id=built["case_id"], details=details)
    return ExportResult(out, zip_path, built["manifest_sha256"], built["file_count"], tuple(built["item_ids"]),
                        tuple(built["redacted_items"]), tuple(built["originals_withheld"]), tuple(built["warnings"]))


def _recorded_manifests(workspace: Workspace) -> set[str]:
    with workspace.reading() as connection:
        rows = connection.execute(
            select(custody_entries.c.entry_json).where(custody_entries.c.action == "case.exported")).all()
    return {json.loads(row.entry_json)["details"].get("manifest_sha256") for row in rows}


def _adopt_unrecorded(workspace: Workspace, case: str, out: Path, *, actor: str, item_ids: list[str] | None,
                      options: ExportOptions) -> ExportResult | None:
    """A complete package of this installation that its custody log does not record (the run that
    wrote it was killed after renaming it into place, before recording it): checked whole with the
    same checks as `verify-package`, zipped if the zip is missing, then recorded as this run's
    export. It must be what this run would have exported: same case, same items when items were
    named, same options. None when `out` is anything else (the caller refuses to overwrite it)."""
    from audita.export.verify_package import verify_package_path

    if not out.is_dir() or not (out / "MANIFEST.json").is_file() or not (out / "methodology.json").is_file():
        return None
    try:
        manifest_bytes = (out / "MANIFEST.json").read_bytes()
        manifest = json.loads(manifest_bytes)
        methodology = json.loads((out / "methodology.json").read_text(encoding="utf-8"))
        exported = methodology["export"]
        packaged_items = [str(i) for i in exported["items"]]
        packaged_options = exported["options"]
        case_id = str(manifest["case"]["id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if manifest.get("key_id") != workspace.key.key_id or manifest.get("public_key") != workspace.key.public_hex:
        return None  # another installation's package
    with workspace.reading() as connection:
        if get_case(connection, case).id != case_id:
            return None
    wanted = {"working_copies": options.working_copies, "include_originals": options.include_originals,
              "report": options.report, "redaction": options.redaction is not None}
    if any(packaged_options.get(k) != v for k, v in wanted.items()):
        return None
    if item_ids and sorted(packaged_items) != sorted(set(item_ids)):
        return None
    spec = options.redaction
    redaction_record = methodology.get("redaction")
    if spec is not None and (not isinstance(redaction_record, dict)
                             or redaction_record.get("spec_sha256") != spec.source_sha256):
        return None
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    if manifest_sha256 in _recorded_manifests(workspace):
        return None  # recorded: the export was complete, and an export never overwrites
    if verify_package_path(out):
        return None  # incomplete or changed since: leave it for a person to look at
    zip_path = out.with_suffix(".zip")
    if zip_path.exists():
        if not zip_path.is_file() or verify_package_path(zip_path):
            return None
    else:
        zip_path.with_suffix(".zip.partial").unlink(missing_ok=True)  # a zip cut short by the kill
        _zip(out, zip_path, str(methodology["exported_at"]))
    redaction = redaction_record
    withheld = [str(i) for i in redaction.get("originals_withheld", [])] if isinstance(redaction, dict) else []
    details: dict[str, Any] = {
        "manifest_sha256": manifest_sha256, "items": packaged_items, "files": len(manifest.get("files", [])) + 2,
        "directory": str(out), "zip_sha256": _sha256(zip_path),
        "options": {"working_copies": packaged_options.get("working_copies"),
                    "include_originals": packaged_options.get("include_originals"),
                    "report": packaged_options.get("report"),
                    "timestamp_authority": packaged_options.get("timestamp_authority")},
        "originals_withheld": withheld,
        "adopted": {"exported_at": methodology.get("exported_at"), "exported_by": methodology.get("exported_by")},
    }
    if isinstance(redaction, dict):
        details["redaction"] = _Builder._redaction_custody(redaction)
    with workspace.action() as connection:
        workspace.record(connection, "case.exported", actor, case_id=case_id, details=details)
    redacted = sorted(redaction["items"]) if isinstance(redaction, dict) else []
    note = (f"{out} was left complete but unrecorded by an interrupted export "
            f"({methodology.get('exported_at')}); it verified and is now recorded")
    return ExportResult(out, zip_path, manifest_sha256, details["files"], tuple(packaged_items), tuple(redacted),
                        tuple(withheld), (note,))


def _zip(directory: Path, zip_path: Path, created_at: str) -> None:
    """Members in path order, each stamped with the export time (not the file system's)."""
    stamp = (int(created_at[0:4]), int(created_at[5:7]), int(created_at[8:10]),
             int(created_at[11:13]), int(created_at[14:16]), int(created_at[17:19]))
    tmp = zip_path.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(f"{directory.name}/{path.relative_to(directory).as_posix()}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with open(path, "rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
    os.replace(tmp, zip_path)


class _Builder:
    """One export run writing into a staging folder (the caller renames it into place or removes it)."""

    def __init__(self, workspace: Workspace, case: str, root: Path, *, actor: str, item_ids: list[str] | None,
                 tsa: TimestampAuthority | None, options: ExportOptions) -> None:
        self.workspace, self.case, self.root, self.actor = workspace, case, root, actor
        self.requested, self.tsa, self.options = item_ids, tsa, options
        self.created_at = utc_now()
        spec = options.redaction
        self.matcher = TermMatcher(spec.terms if spec else ())
        self.audio: dict[str, DecodedAudio] = {}
        self.term_occurrences: Counter[int] = Counter()
        self.warnings: list[str] = []

    # -- reading ---------------------------------------------------------------------------------

    def _read(self) -> None:
        with self.workspace.reading() as connection:
            self.case_row = get_case(connection, self.case)
            rows = connection.execute(select(items.c.id).where(items.c.case_id == self.case_row.id)
                                      .order_by(items.c.created_at)).all()
            all_ids = [r.id for r in rows]
            if self.requested:
                unknown = [i for i in self.requested if i not in all_ids]
                if unknown:
                    raise BadInput(f"item {unknown[0]} is not in case {self.case_row.name!r}")
                self.chosen = [i for i in all_ids if i in self.requested]
            else:
                self.chosen = all_ids
            self.details = {i: item_detail(self.workspace, i) for i in self.chosen}
            self.derivations = {i: history(connection, i) for i in self.chosen}
            self.evidence = {i: collect(i, self.derivations[i], versions(connection, i)) for i in self.chosen}
            self.head = custody.latest_head(connection)
            self.log_rows = connection.execute(select(custody_entries).order_by(custody_entries.c.seq)).all()
        if self.head is None:
            raise AuditaError("the custody log has no signed head")

    def _decoded(self, item_id: str) -> DecodedAudio:
        if item_id not in self.audio:
            detail = self.details[item_id]
            try:
                self.audio[item_id] = decode_for_export(self.workspace.blobs.path_for(detail["sha256"]), detail["name"])
            except AuditaError as exc:
                raise AuditaError(f"item {item_id} ({detail['name']}): cannot decode for export: {exc}") from exc
        return self.audio[item_id]

    # -- redaction -------------------------------------------------------------------------------

    def _plan_redaction(self) -> None:
        """Validate the spec against this export and work out every item's spans; nothing is written yet."""
        spec = self.options.redaction
        self.spans: dict[str, list[Span]] = {i: [] for i in self.chosen}
        if spec is None:
            return
        span_rules = []
        for rule in spec.spans:
            found = [i for i in self.chosen if i == rule.item_id or (len(rule.item_id) >= 6 and i.startswith(rule.item_id))]
            if not found:
                raise BadInput(f"redaction spec names item {rule.item_id}, which is not in this export")
            if len(found) > 1:
                raise BadInput(f"redaction spec: item prefix {rule.item_id} is ambiguous; give the full id")
            if self.details[found[0]]["kind"] != "recording":
                raise BadInput(f"redaction spec names item {rule.item_id}, which is an archive, not a recording")
            span_rules.append(dataclasses.replace(rule, item_id=found[0]))
        self.span_rules = tuple(span_rules)
        for item_id in self.chosen:
            for record in self.evidence[item_id].records:
                if record.stage in TRANSCRIPT_STAGES:
                    for t in transmissions(record):
                        texts = [str(t.get("text") or "")] + [str(tr.get("text") or "") for tr in t.get("translations") or []
                                                             if isinstance(tr, dict)]
                        for text in texts:
                            for _, _, rule in self.matcher.finditer(text):
                                self.term_occurrences[rule] += 1
            if self.details[item_id]["kind"] != "recording":
                continue
            rules = [r for r in self.span_rules if r.item_id == item_id]
            transcripts = [r.output for r in self.evidence[item_id].records if r.stage in TRANSCRIPT_STAGES]
            if not rules and not any(self.matcher.search(json.dumps(t, ensure_ascii=False)) for t in transcripts):
                continue
            duration = self._decoded(item_id).duration
            validate_span_bounds(rules, duration, f"{item_id} ({self.details[item_id]['name']})")
            self.spans[item_id] = item_spans(rules, transcripts, self.matcher, duration)

    def _redact_evidence(self, evidence: ItemEvidence) -> ItemEvidence:
        spans = self.spans.get(evidence.item_id, [])
        flagged: set[str] = set()
        records = []
        for record in evidence.records:
            if record.stage in TRANSCRIPT_STAGES:
                output = redact_transcript(record.output, spans, self.matcher)
            elif record.stage == "analysis":
                output = redact_content(record.output, spans, self.matcher, flagged)
            elif record.stage in WORDLESS_STAGES or record.stage in ANALYST_STAGES:
                output = self.matcher.sub_all(record.output)
            elif spans:
                # Machine stages superseded by the transcript (transcribe, translate) or unknown to
                # this exporter: their words cannot be placed reliably, so the output is withheld.
                records.append(record.with_output(None, "withheld"))
                continue
            else:
                output = redact_content(record.output, [], self.matcher)
            records.append(record.with_output(output, "redacted") if output != record.output else record)
        final = []
        for record in records:
            out = record.output
            if (record.stage == "flag.review" and isinstance(out, dict) and out.get("flag_id") in flagged
                    and out.get("note")):
                record = record.with_output({**out, "note": placeholder("flagged passage redacted")}, "redacted")
            final.append(record)
        return evidence.replace_records(tuple(final))

    # -- writing ---------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        self._read()
        fonts = report_fonts() if self.options.report else None  # fail before writing anything when no font is available
        self._plan_redaction()
        spec = self.options.redaction
        redacting = spec is not None
        self.redacted_details = {i: self.matcher.sub_all(d) for i, d in self.details.items()}
        audio_redacted = [i for i in self.chosen if self.spans[i]]
        withheld_originals = set() if self.options.include_originals else set(audio_redacted)
        if not self.options.include_originals:  # an archive holds its members' audio as acquired
            withheld_originals |= {self.details[i]["parent_item_id"] for i in audio_redacted
                                   if self.details[i]["parent_item_id"] in self.details}
        evidence = {i: self._redact_evidence(e) if redacting else e for i, e in self.evidence.items()}
        self.shown = evidence
        self.text_redacted = [i for i in self.chosen if i in audio_redacted or self.redacted_details[i] != self.details[i]
                              or any(r.redaction for r in evidence[i].records)]

        item_entries, derived_files, working_records = self._write_items(withheld_originals)
        methodology_runs = self._write_derived(evidence)
        per_item_files: dict[str, list[str]] = {}
        for item_id in self.chosen:
            if self.details[item_id]["kind"] == "recording":
                per_item_files[item_id] = self._write_recording(item_id, evidence[item_id])
        custody_withheld = self._write_custody()
        redaction_record = self._redaction_record(audio_redacted, withheld_originals, custody_withheld) if redacting else None
        self._write_methodology(methodology_runs, working_records, redaction_record, fonts)
        self._write_keys_and_instructions(redaction_record is not None)
        figures: dict[str, tuple[str | None, str | None]] = {}
        if fonts is not None:
            figures = self._write_figures(evidence, fonts)
        self._check_no_term_leaks()
        if fonts is not None:
            self._write_report(evidence, figures, per_item_files, item_entries, withheld_originals, redaction_record, fonts)
        result = self._sign(item_entries, derived_files)
        return {**result, "created_at": self.created_at, "item_ids": self.chosen,
                "originals_withheld": sorted(withheld_originals), "redaction": redaction_record,
                "redaction_custody": self._redaction_custody(redaction_record) if redaction_record else None,
                "redacted_items": self.text_redacted, "warnings": self.warnings}

    def _prefix(self, item_id: str) -> str:
        """`ITEMID8-name.ext`: the original's file name in the package."""
        return f"{item_id[:8]}-{_safe_name(self.redacted_details[item_id]['name'])}"

    def _stem(self, item_id: str) -> str:
        """`ITEMID8-name`: the prefix of everything derived from the recording."""
        return f"{item_id[:8]}-{_safe_name(Path(self.redacted_details[item_id]['name']).stem)}"

    def _write_items(self, withheld: set[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        items_out, entries, derived_files, working_records = [], [], [], []
        for item_id in self.chosen:
            detail, shown = self.details[item_id], self.redacted_details[item_id]
            relative = None
            if item_id not in withheld:
                relative = f"originals/{self._prefix(item_id)}"
                target = self.root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.workspace.blobs.path_for(detail["sha256"]), target)
                if _sha256(target) != detail["sha256"]:
                    raise AuditaError(f"stored original of item {item_id} does not match its hash; run 'audita verify'")
            working = None
            spans = self.spans[item_id]
            if detail["kind"] == "recording" and (self.options.working_copies or spans):
                decoded = self._decoded(item_id)
                samples = tone_over(decoded.samples, decoded.sample_rate, spans) if spans else decoded.samples
                suffix = ".redacted.16k-mono.wav" if spans else ".16k-mono.wav"
                working = f"working/{self._stem(item_id)}{suffix}"
                target = self.root / working
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(wav_bytes(samples, decoded.sample_rate))
                record = {
                    "path": working, "kind": "working-copy", "item_id": item_id,
                    "derived_from_sha256": detail["sha256"], "derived_from_name": shown["name"],
                    "format": f"RIFF WAVE, PCM 16-bit, mono, {decoded.sample_rate} Hz",
                    "decoder": self.matcher.sub_all(decoded.decoder), "made_by": self.actor, "made_at": self.created_at,
                    "redacted": bool(spans),
                    "redaction_spans": [s.as_dict() for s in spans],
                    "redaction_method": f"{TONE_HZ:g} Hz sine at -10 dBFS replaces every sample in each span" if spans else None,
                }
                derived_files.append(record)
                working_records.append(record)
            items_out.append({**shown, "package_path": relative, "original_included": relative is not None,
                              "working_copy": working})
            entries.append({"id": item_id, "kind": detail["kind"], "sha256": detail["sha256"], "original": relative,
                            "original_withheld": None if relative else "redacted in this package",
                            "working_copy": working, "redacted": item_id in self.text_redacted,
                            "audio_redacted": bool(spans)})
        _write_json(self.root / "items.json", {"case": {"id": self.case_row.id, "name": self.matcher.sub(self.case_row.name)},
                                               "items": items_out})
        return entries, derived_files, working_records

    def _write_derived(self, evidence: dict[str, ItemEvidence]) -> list[dict[str, Any]]:
        runs = []
        for item_id in self.chosen:
            shown = {r.id: r for r in evidence[item_id].records}
            for d in self.derivations[item_id]:
                record = {
                    "id": d.id, "item_id": item_id, "stage": d.provenance.stage, "parent_id": d.provenance.parent_id,
                    "input_sha256": d.provenance.input_sha256, "engine": d.provenance.engine,
                    "model_name": d.provenance.model_name, "model_sha256": d.provenance.model_sha256,
                    "options": self.matcher.sub_all(d.provenance.options), "code_version": d.code_version,
                    "created_at": d.created_at, "created_by": d.created_by, "output_sha256": d.output_sha256,
                }
                body: dict[str, Any] = {**record, "output": shown[d.id].output}
                if record["options"] != d.provenance.options:
                    body["options_redacted"] = True
                if shown[d.id].redaction:
                    body["redaction"] = shown[d.id].redaction
                _write_json(self.root / "derived" / item_id / f"{d.provenance.stage}-{d.id}.json", body)
                runs.append(record)
        return runs

    def _write_recording(self, item_id: str, evidence: ItemEvidence) -> list[str]:
        folder = f"recordings/{self._stem(item_id)}"
        written = []
        for name, text in recording_texts(evidence).items():
            _write_text(self.root / folder / name, text)
            written.append(f"{folder}/{name}")
        documents = {"speakers.json": speakers_json(evidence), "analysis.json": analysis_json(evidence),
                     "history.json": history_json(evidence)}
        for name, value in documents.items():
            if value is not None and (name != "speakers.json" or evidence.current is not None):
                _write_json(self.root / folder / name, value)
                written.append(f"{folder}/{name}")
        return written

    def _write_custody(self) -> list[dict[str, Any]]:
        chosen = set(self.chosen)
        head = self.head
        assert head is not None
        leaves = [bytes.fromhex(r.leaf_hash) for r in self.log_rows[: head.tree_size]]
        lines, withheld = [], []
        for row in self.log_rows[: head.tree_size]:
            relevant = row.item_id in chosen or (row.case_id == self.case_row.id and row.item_id is None) or row.seq == 0
            if not relevant:
                continue
            proof = [p.hex() for p in inclusion_proof(leaves, int(row.seq))]
            if self.matcher.search(row.entry_json):
                entry = json.loads(row.entry_json)
                note = {"index": int(row.seq), "leaf_hash": row.leaf_hash, "action": entry.get("action"),
                        "withheld": "contains a redacted term"}
                withheld.append(note)
                lines.append(json_line_safe(json.dumps({**note, "inclusion_proof": proof}, ensure_ascii=False)))
                continue
            # U+2028/U+2029/U+0085 in an entry (a file name, a note) would end a line for
            # str.splitlines and many viewers: written as \u escapes, the same JSON value.
            lines.append(json_line_safe(json.dumps({"index": int(row.seq), "leaf_hash": row.leaf_hash,
                                                    "entry": row.entry_json, "inclusion_proof": proof},
                                                   ensure_ascii=False)))
        (self.root / "custody").mkdir(exist_ok=True)
        (self.root / "custody" / "entries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        _write_json(self.root / "custody" / "tree_head.json", {
            "tree_size": head.tree_size, "root_hash": head.root_hash, "timestamp": head.created_at,
            "key_id": head.key_id, "signature": head.signature,
        })
        if withheld:
            self.warnings.append(f"{len(withheld)} custody entries contain a redacted term and are shown by their "
                                 "leaf hash only: " + ", ".join(str(w["index"]) for w in withheld))
        return withheld

    def _redaction_record(self, audio_redacted: list[str], withheld_originals: set[str],
                          custody_withheld: list[dict[str, Any]]) -> dict[str, Any]:
        spec = self.options.redaction
        assert spec is not None
        return {
            "performed_by": self.actor, "performed_at": self.created_at, "spec_sha256": spec.source_sha256,
            "spans_requested": [dataclasses.asdict(r) for r in self.span_rules],
            "terms": [{"rule": n + 1, "reason": t.reason, "match": t.match,
                       "occurrences_in_transcripts": self.term_occurrences.get(n, 0)} for n, t in enumerate(spec.terms)],
            "terms_note": "The redacted terms themselves are not recorded in the package; the spec file "
                          "(identified by spec_sha256) stays with the exporting organisation.",
            "items": {i: {"audio_spans": [s.as_dict() for s in self.spans[i]],
                          "original_included": i not in withheld_originals,
                          "records_redacted": [], "records_withheld": []}
                      for i in self.text_redacted},
            "audio_redacted_items": audio_redacted,
            "originals_withheld": sorted(withheld_originals),
            "custody_entries_withheld": custody_withheld,
            "method": {
                "audio": f"every sample inside a span replaced by a {TONE_HZ:g} Hz sine at -10 dBFS (working copy only; "
                         "the original is never modified)",
                "spans": "a requested span is widened to every word (in any transcript version) that overlaps it; "
                         "a term located in a transcript's words adds a span over those words padded by 0.15 s; a term "
                         "found in a transmission's text or translation but not in its words adds a span over the "
                         "whole transmission",
                "transcripts": "words overlapping a span become one [REDACTED: reason]; text that no longer matches "
                               "its words (an analyst's edit) is replaced whole when a span touches the transmission",
                "translations": "every translation of a transmission touched by a span is replaced whole",
                "terms": "replaced by [REDACTED: reason] in every text of the package (case-insensitive, whole "
                         "words, е/ё alike; prefix rules cover inflected forms)",
                "analysis": "entities and flags whose time span overlaps a span have their words replaced and lose "
                            "their place; decisions on such flags have their notes replaced",
                "other": "outputs of other machine stages (transcribe, translate) of audio-redacted items are "
                         "withheld; custody entries containing a term are shown by leaf hash only",
            },
        }

    @staticmethod
    def _redaction_custody(record: dict[str, Any]) -> dict[str, Any]:
        return {k: record[k] for k in ("performed_by", "spec_sha256", "spans_requested", "terms",
                                       "audio_redacted_items", "originals_withheld")} | {
            "custody_entries_withheld": [w["index"] for w in record["custody_entries_withheld"]],
            "effective_spans": {i: v["audio_spans"] for i, v in record["items"].items() if v["audio_spans"]},
        }

    def _write_methodology(self, runs: list[dict[str, Any]], working: list[dict[str, Any]],
                           redaction: dict[str, Any] | None, fonts: FontSet | None) -> None:
        if redaction is not None:
            for item_id, entry in redaction["items"].items():
                shown = {r.id: r for r in self.shown[item_id].records}
                entry["records_redacted"] = sorted(i for i, r in shown.items() if r.redaction == "redacted")
                entry["records_withheld"] = sorted(i for i, r in shown.items() if r.redaction == "withheld")
        media_tools = sorted({f["tool"] for d in self.details.values() for f in d["media_facts"]})
        tools = {name: _version(name) for name in ("av", "numpy", "pillow", "reportlab", "python-docx", "cryptography")}
        report = None
        if fonts is not None:
            report = {"files": list(REPORT_FILES), "pdf": f"reportlab {_version('reportlab')}",
                      "docx": f"python-docx {_version('python-docx')}", "figures": f"numpy + Pillow {_version('pillow')}",
                      "fonts": fonts.describe()}
        _write_json(self.root / "methodology.json", self.matcher.sub_all({
            "audita_version": __version__, "code_version": code_version(), "exported_at": self.created_at,
            "exported_by": self.actor, "hash_algorithm": "SHA-256", "signature_algorithm": "Ed25519",
            "custody_log": "RFC 9162 Merkle tree; leaf = SHA-256(0x00 || entry JSON), node = SHA-256(0x01 || left || right)",
            "media_tools": media_tools, "tools": tools, "derivations": runs,
            "export": {"by": self.actor, "at": self.created_at, "items": self.chosen,
                       "options": {"working_copies": self.options.working_copies,
                                   "include_originals": self.options.include_originals,
                                   "report": self.options.report, "redaction": self.options.redaction is not None,
                                   "timestamp_authority": self.tsa.url if self.tsa else None}},
            "working_copies": working, "redaction": redaction, "report": report,
        }))

    def _write_keys_and_instructions(self, redacted: bool) -> None:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.workspace.key.public_hex))
        (self.root / "public_key.hex").write_text(self.workspace.key.public_hex, encoding="ascii")
        (self.root / "public_key.pem").write_bytes(
            public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        shutil.copyfile(STANDALONE, self.root / "verify_package.py")
        if self.tsa is not None and self.tsa.ca_file is not None:
            shutil.copyfile(self.tsa.ca_file, self.root / "tsa_ca.pem")
        (self.root / "VERIFY.txt").write_text(VERIFY_TEXT.format(
            version=__version__, created_at=self.created_at, actor=self.actor, key_id=self.workspace.key.key_id,
            redaction=REDACTION_TEXT.format(tone=TONE_HZ) if redacted else ""), encoding="utf-8")

    def _write_figures(self, evidence: dict[str, ItemEvidence], fonts: FontSet) -> dict[str, tuple[str | None, str | None]]:
        from audita.export.figures import Band, map_figure, signal_figure
        from audita.export.report import recording_section

        out: dict[str, tuple[str | None, str | None]] = {}
        folder = self.root / "report" / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        for item_id in self.chosen:
            if self.details[item_id]["kind"] != "recording":
                continue
            ev = evidence[item_id]
            decoded = self._decoded(item_id)
            spans = self.spans[item_id]
            samples = tone_over(decoded.samples, decoded.sample_rate, spans) if spans else decoded.samples
            bands = [Band(float(t.get("start", 0)), float(t.get("end", 0)), "transmission") for t in transmissions(ev.current)]
            draft = recording_section(self.redacted_details[item_id], ev, signal_png=None, map_png=None, files=(), notes=())
            bands += [Band(f.start, f.end, "flag", str(f.number)) for f in draft.flags if f.start is not None and f.end is not None]
            bands += [Band(s.start, s.end, "redacted") for s in spans]
            signal = f"report/figures/{self._stem(item_id)}-signal.png"
            title = f"{self.redacted_details[item_id]['name']} — {decoded.duration:.1f} s, decoded at {decoded.sample_rate} Hz"
            (self.root / signal).write_bytes(signal_figure(samples, decoded.sample_rate, bands, title, fonts.regular))
            map_path = None
            if draft.places:
                map_path = f"report/figures/{self._stem(item_id)}-map.png"
                (self.root / map_path).write_bytes(map_figure(list(draft.places), f"Places: {self.redacted_details[item_id]['name']}",
                                                              fonts.regular))
            out[item_id] = (signal, map_path)
        return out

    def _check_no_term_leaks(self) -> None:
        """A last guard: no text file of the package may still contain a redacted term."""
        if self.matcher.pattern is None:
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in ("SHA256SUMS",)):
                if path.relative_to(self.root).as_posix() == "verify_package.py":
                    continue
                if self.matcher.search(path.read_text(encoding="utf-8", errors="replace")):
                    raise AuditaError(f"redaction incomplete: {path.relative_to(self.root).as_posix()} still contains "
                                      "a redacted term; nothing was exported")
            if self.matcher.search(path.relative_to(self.root).as_posix()):
                raise AuditaError("redaction incomplete: a file name still contains a redacted term; nothing was exported")

    def _file_rows(self, paths: list[str]) -> tuple[Any, ...]:
        from audita.export.report import FileRow

        return tuple(FileRow(p, _sha256(self.root / p), (self.root / p).stat().st_size) for p in paths)

    def _write_report(self, evidence: dict[str, ItemEvidence], figures: dict[str, tuple[str | None, str | None]],
                      per_item: dict[str, list[str]], entries: list[dict[str, Any]], withheld: set[str],
                      redaction: dict[str, Any] | None, fonts: FontSet | None) -> None:
        from audita.export.report import ReportModel, recording_section
        from audita.export.report_docx import write_docx
        from audita.export.report_pdf import write_pdf

        all_files = sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        by_item = {e["id"]: e for e in entries}
        sections = []
        for item_id in self.chosen:
            if self.details[item_id]["kind"] != "recording":
                continue
            entry = by_item[item_id]
            paths = [p for p in (entry["original"], entry["working_copy"]) if p]
            paths += per_item.get(item_id, [])
            paths += [p for p in figures.get(item_id, ()) if p]
            paths += [p for p in all_files if p.startswith(f"derived/{item_id}/")]
            notes: list[str] = []
            if item_id in withheld:
                notes.append("The original recording is withheld from this package because the item is redacted; "
                             f"its SHA-256 is {self.details[item_id]['sha256']}.")
            if self.spans[item_id]:
                notes.append("Audio redacted (1 kHz tone in the working copy) over: " + "; ".join(
                    f"{s.start:.2f}–{s.end:.2f} s ({s.reason})" for s in self.spans[item_id]))
            if entry["working_copy"]:
                notes.append(f"Working copy (derived, 16 kHz mono WAV): {entry['working_copy']}")
            signal, map_png = figures.get(item_id, (None, None))
            sections.append(recording_section(self.redacted_details[item_id], evidence[item_id], signal_png=signal,
                                              map_png=map_png, files=self._file_rows(paths), notes=tuple(notes)))
        others = tuple((self.details[i]["kind"], self.redacted_details[i]["name"], self.details[i]["sha256"])
                       for i in self.chosen if self.details[i]["kind"] != "recording")
        redaction_lines: tuple[str, ...] = ()
        if redaction is not None:
            redaction_lines = (
                f"Redacted by {self.actor} at {self.created_at} following a redaction spec "
                f"(SHA-256 {redaction['spec_sha256']}).",
                "Audio spans carry a 1 kHz tone in the working copies; words in those spans and the translations of "
                "transmissions they touch read [REDACTED: reason]; redacted terms are replaced throughout.",
                f"Originals withheld: {', '.join(redaction['originals_withheld']) or 'none'}.",
                f"Custody entries shown by leaf hash only: "
                f"{', '.join(str(w['index']) for w in redaction['custody_entries_withheld']) or 'none'}.",
            )
        model = ReportModel(
            case_name=self.matcher.sub(self.case_row.name), case_id=self.case_row.id, exported_at=self.created_at,
            exported_by=self.actor, audita_version=code_version(), key_id=self.workspace.key.key_id,
            recordings=tuple(sections), other_items=others, redaction=redaction_lines, files=self._file_rows(all_files),
        )
        if self.matcher.pattern is not None and self.matcher.search(json.dumps(dataclasses.asdict(model), ensure_ascii=False)):
            raise AuditaError("redaction incomplete: the report would still contain a redacted term; nothing was exported")
        (self.root / "report").mkdir(exist_ok=True)
        write_pdf(model, self.root, self.root / REPORT_FILES[0], fonts)
        write_docx(model, self.root, self.root / REPORT_FILES[1])

    def _sign(self, entries: list[dict[str, Any]], derived_files: list[dict[str, Any]]) -> dict[str, Any]:
        root = self.root
        files = sorted(p for p in root.rglob("*") if p.is_file())
        sums = [f"{_sha256(p)}  {p.relative_to(root).as_posix()}" for p in files]
        (root / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.name not in UNSIGNED)
        manifest = {
            "format": "audita-evidence-package-v1",
            "case": {"id": self.case_row.id, "name": self.matcher.sub(self.case_row.name)},
            "created_at": self.created_at, "created_by": self.actor, "audita_version": code_version(),
            "public_key": self.workspace.key.public_hex, "key_id": self.workspace.key.key_id,
            "redacted": self.options.redaction is not None,
            "items": entries,
            "derived_files": derived_files,
            "files": [{"path": p.relative_to(root).as_posix(), "sha256": _sha256(p), "size": p.stat().st_size}
                      for p in files],
        }
        manifest_bytes = canonical_json(manifest)
        (root / "MANIFEST.json").write_bytes(manifest_bytes)
        (root / "MANIFEST.sig").write_bytes(bytes.fromhex(self.workspace.key.sign(manifest_bytes)))
        return {"case_id": self.case_row.id, "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
                "file_count": len(files) + 2}
