"""Encoding of user-controlled text for logs and terminals.

User text (a user name typed at login, an uploaded file's name, a case name, a note, a search
query, a User-Agent) must never be able to start a new log line, forge a `key=value` field, move
the cursor or recolour a terminal, or reorder what an operator reads. Three places need it:

- server logs (`SafeFormatter`, `kv`): every control character is written as a visible escape,
  values of `key=value` fields are quoted when they contain a space, `=`, a quote or an escape,
  and the lines of a traceback after the first are prefixed with `| ` so nothing in an exception
  message can pass for a record of its own;
- terminal output of the CLI (`for_terminal`): the same escapes (Rich markup is escaped by the
  caller with `rich.markup.escape` or by printing `rich.text.Text`);
- JSON meant to be read one entry per line (`json_line_safe`): JSON already escapes C0 controls,
  but with ``ensure_ascii=False`` it leaves U+0085, U+2028 and U+2029, which `str.splitlines`
  and many log viewers treat as line breaks, and bidirectional controls that reorder the text on
  screen; they are written as ``\\uXXXX`` (still the same JSON value).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

# C0 controls, DEL, C1 controls, line/paragraph separators, bidi embedding/override/isolate marks,
# zero-width and BOM characters that can hide or reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_QUOTES = re.compile(r'[\s="\\]')


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """Every unsafe character as a visible escape (``\\n``, ``\\x1b``, ``\\u202e``); backslashes are
    doubled first, so an escape in the output always means an escaped character in the input."""
    return _UNSAFE.sub(_escape, text.replace("\\", "\\\\"))


def for_terminal(text: object) -> str:
    """A value shown in a terminal: unsafe characters escaped (not Rich markup: see module doc).
    Backslashes are left as they are, so paths and messages that already show ``\\xNN`` escapes
    read the same; what matters on a terminal is that nothing acts on it."""
    return _UNSAFE.sub(_escape, str(text))


def json_line_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the characters that break or
    reorder lines written as JSON ``\\uXXXX`` escapes; ``json.loads`` gives the same value."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def log_value(value: object) -> str:
    """One value of a ``key=value`` log line: bare when harmless, else a quoted, escaped string."""
    text = escape_controls(value if isinstance(value, str) else str(value))
    if text == "" or _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def kv(**fields: Any) -> str:
    """``key=value`` pairs for a log line, each value encoded with `log_value`."""
    return " ".join(f"{key}={log_value(value)}" for key, value in fields.items())


def json_details(value: Any) -> str:
    """Compact JSON for display (keeps Cyrillic readable), safe for one line."""
    return json_line_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))


class SafeFormatter(logging.Formatter):
    """A formatter whose records are always one line of escaped text, plus any traceback on
    lines that start with ``| `` (escaped as well, so an exception message cannot fake a record)."""

    def format(self, record: logging.LogRecord) -> str:
        message = escape_controls(record.getMessage())
        saved = record.msg, record.args, record.exc_text
        record.msg, record.args = message, None
        try:
            record.exc_text = None
            head = super().formatMessage(self._prepared(record))
            extra = []
            if record.exc_info:
                extra.append(self.formatException(record.exc_info))
            if record.stack_info:
                extra.append(self.formatStack(record.stack_info))
        finally:
            record.msg, record.args, record.exc_text = saved
        lines = [head]
        for block in extra:
            for line in block.splitlines():
                lines.append("| " + escape_controls(line))
        return "\n".join(lines)

    def _prepared(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        return record


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration with every record through `SafeFormatter` (access lines
    carry the request line the client sent, error lines its exceptions)."""
    formatter = {"()": "audita.logsafe.SafeFormatter", "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "safe", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"safe": formatter},
        "handlers": {"safe": handler},
        "loggers": {
            "uvicorn": {"handlers": ["safe"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["safe"], "level": level.upper(), "propagate": False},
            "audita": {"handlers": ["safe"], "level": level.upper(), "propagate": False},
        },
    }
