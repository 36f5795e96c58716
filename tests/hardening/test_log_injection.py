"""Log injection outside the web: the encoders in `audita.logsafe`, the server log formatter, the
CLI's display of stored user text (`audita log`, `case list`, `items`, `ingest`, errors), and the
one-entry-per-line custody file of an evidence package."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

from testkit import tone, write_wav

from audita.cases import create_case
from audita.custody.log import entries
from audita.export.package import ExportOptions, export_case
from audita.export.verify_package import verify_package_path
from audita.ingest.service import ingest_paths
from audita.logsafe import (
    SafeFormatter,
    escape_controls,
    for_terminal,
    json_line_safe,
    kv,
    log_value,
    uvicorn_log_config,
)

FORGED = "ok\r\n2026-01-01T00:00:00Z INFO audita: user=admin action=user.created\x1b[31m\x1b]0;t\x07\u202e\x85\u2028\x00"


def test_escape_controls_leaves_no_control_character_and_is_unambiguous():
    out = escape_controls(FORGED)
    assert out == ("ok\\r\\n2026-01-01T00:00:00Z INFO audita: user=admin action=user.created\\x1b[31m\\x1b]0;t\\x07"
                   "\\u202e\\x85\\u2028\\x00")
    assert escape_controls("a\\nb") == "a\\\\nb" != escape_controls("a\nb")  # a typed backslash-n is not a newline
    assert escape_controls("Попасная, приём") == "Попасная, приём"
    assert for_terminal("C:\\x.wav\n") == "C:\\x.wav\\n"  # terminals: backslashes kept, controls escaped


def test_key_value_fields_cannot_be_forged():
    line = kv(event="login_failed", user='admin ok=1 user="root"', agent=FORGED, n=3)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line.startswith('event=login_failed user="admin ok=1 user=\\"root\\"" agent="ok\\r\\n')
    assert line.endswith(" n=3")
    assert log_value("") == '""' and log_value("plain") == "plain" and log_value("a=b") == '"a=b"'


def test_json_line_safe_keeps_the_value_and_one_line():
    raw = json.dumps({"name": FORGED, "ru": "Гранит"}, ensure_ascii=False)
    safe = json_line_safe(raw)
    assert json.loads(safe) == json.loads(raw)
    assert len(safe.splitlines()) == 1 and "Гранит" in safe and "\u202e" not in safe


def test_safe_formatter_one_record_per_line_even_with_hostile_exceptions():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("audita.test.logsafe")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("upload of %s refused", FORGED)
        try:
            raise ValueError("bad\nERROR audita: forged=1\x1b[2J")
        except ValueError:
            logger.exception("failed %s", kv(path="/x\ny"))
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "\x1b" not in text and "\r" not in text and "\u2028" not in text and "\x00" not in text
    lines = text.splitlines()
    records = [line for line in lines if not line.startswith("| ")]
    assert records == [
        "WARNING audita.test.logsafe: upload of ok\\r\\n2026-01-01T00:00:00Z INFO audita: user=admin "
        "action=user.created\\x1b[31m\\x1b]0;t\\x07\\u202e\\x85\\u2028\\x00 refused",
        'ERROR audita.test.logsafe: failed path="/x\\\\ny"'.replace("\\\\\\\\", "\\\\"),
    ]
    assert "| ERROR audita: forged=1\\x1b[2J" in lines


def test_uvicorn_log_config_routes_access_and_error_logs_through_the_formatter():
    config = uvicorn_log_config("warning")
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate, logging.getLogger(name).level)
             for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "audita")}
    try:
        logging.config.dictConfig(config)
        for name in ("uvicorn", "uvicorn.access", "audita"):
            assert any(isinstance(h.formatter, SafeFormatter) for h in logging.getLogger(name).handlers), name
    finally:
        for name, (handlers, propagate, level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate, logger.level = propagate, level


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITA_HOME": str(home), "AUDITA_ACTOR": "cli:x\x1b[31m", "COLUMNS": "400",
           "FORCE_COLOR": "1", "TERM": "xterm-256color"}
    return subprocess.run([sys.executable, "-m", "audita", *args], env=env, capture_output=True, text=True)


def _visible(output: str) -> str:
    """The output without Rich's own styling sequences (ESC [ ... m), to look for the user's."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", output)


def test_cli_shows_stored_user_text_escaped_and_never_as_markup(tmp_path: Path):
    home = tmp_path / "home"
    description = "line1\nline2 \x1b]0;title\x07 [bold red]markup[/] \u202eevil"
    made = _cli(home, "case", "create", "[red]Case[/red] one", "--description", description)
    assert made.returncode == 0, made.stderr
    assert "[red]Case[/red] one" in made.stdout  # markup shown literally
    listed = _cli(home, "case", "list")
    assert "[red]Case[/red] one" in _visible(listed.stdout) and "cli:x\\x1b[31m" in _visible(listed.stdout)
    odd = tmp_path / "in" / "a\x1b[31mb.wav"
    odd.parent.mkdir()
    write_wav(odd, tone(0.5))
    ingested = _cli(home, "ingest", "--case", "[red]Case[/red] one", str(odd))
    assert "\x1b[31mb" not in ingested.stdout + ingested.stderr
    logged = _cli(home, "log", "--limit", "20")
    assert logged.returncode == 0, logged.stderr
    visible = _visible(logged.stdout)
    for raw in ("\x1b]", "\x07", "\u202e", "\x1b[31m"):
        assert raw not in visible, repr(raw)
    assert "cli:x\\x1b[31m" in visible  # the actor, escaped
    missing = _cli(home, "items", "--case", "no such\x1b[2J case")
    assert missing.returncode != 0 and "\x1b[2J" not in missing.stderr and "\\x1b[2J" in _visible(missing.stderr)


def test_package_custody_lines_survive_line_separators_in_entries(workspace, tmp_path: Path):
    case = create_case(workspace, "Sep", actor="cli:tester", description="before\u2028after\u2029end\x85nel")
    folder = tmp_path / "in"
    folder.mkdir()
    write_wav(folder / "call\u2028two.wav", tone(0.5))
    assert ingest_paths(workspace, case.name, [folder], actor="cli:tester").outcomes[0].status == "ingested"
    result = export_case(workspace, case.name, tmp_path / "pkg", actor="cli:tester", options=ExportOptions(report=False))
    text = (result.directory / "custody" / "entries.jsonl").read_text(encoding="utf-8")
    assert "\u2028" not in text and "\x85" not in text
    lines = text.splitlines()
    assert all(json.loads(line)["inclusion_proof"] is not None for line in lines)
    with workspace.reading() as connection:
        recorded = {e.seq for e in entries(connection)}
    assert {json.loads(line)["index"] for line in lines} <= recorded and len(lines) >= 3
    assert verify_package_path(result.directory) == []
    assert verify_package_path(result.zip_path) == []
