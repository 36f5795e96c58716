"""RFC 3161 trusted timestamps for an export manifest, from a configured timestamp authority.

The request and its verification use the openssl command line (present on every Debian machine),
so the procedure a third party follows to check the token is exactly the one Audita used.
"""

from __future__ import annotations

import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from audita.errors import AuditaError

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
MAX_REPLY_BYTES = 1 << 20


@dataclass(frozen=True)
class TimestampAuthority:
    url: str
    ca_file: Path | None = None
    timeout_seconds: float = 30.0


def _openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise AuditaError("RFC 3161 timestamps need the openssl command") from exc


def make_query(data_file: Path) -> bytes:
    result = _openssl("ts", "-query", "-data", str(data_file), "-sha256", "-cert")
    if result.returncode != 0:
        raise AuditaError(f"openssl ts -query failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def request_token(data_file: Path, tsa: TimestampAuthority) -> bytes:
    """Ask the TSA to timestamp `data_file`; returns the DER TimeStampResp after checking it."""
    query = make_query(data_file)
    request = urllib.request.Request(tsa.url, data=query, headers={"Content-Type": CONTENT_TYPE_QUERY}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=tsa.timeout_seconds) as response:  # noqa: S310 - configured TSA URL
            reply = response.read(MAX_REPLY_BYTES + 1)
    except OSError as exc:
        raise AuditaError(f"timestamp authority {tsa.url} did not answer: {exc}") from exc
    if len(reply) > MAX_REPLY_BYTES:
        raise AuditaError("timestamp authority reply is implausibly large")
    if tsa.ca_file is not None:
        problem = verify_token(data_file, reply, tsa.ca_file)
        if problem:
            raise AuditaError(f"timestamp token does not verify: {problem}")
    return reply


def verify_token(data_file: Path, token: bytes, ca_file: Path) -> str | None:
    """None when the token covers `data_file` and chains to `ca_file`; otherwise openssl's reason."""
    with tempfile.NamedTemporaryFile(suffix=".tsr") as handle:
        handle.write(token)
        handle.flush()
        result = _openssl("ts", "-verify", "-data", str(data_file), "-in", handle.name, "-CAfile", str(ca_file))
    if result.returncode == 0 and b"Verification: OK" in result.stdout:
        return None
    output = (result.stderr or result.stdout).decode(errors="replace").strip()
    return output.splitlines()[-1] if output else "openssl ts -verify failed"


def token_time(token: bytes) -> str | None:
    """The genTime in the token, as openssl prints it."""
    with tempfile.NamedTemporaryFile(suffix=".tsr") as handle:
        handle.write(token)
        handle.flush()
        result = _openssl("ts", "-reply", "-in", handle.name, "-text")
    for line in result.stdout.decode(errors="replace").splitlines():
        if line.startswith("Time stamp:"):
            return line.split(":", 1)[1].strip()
    return None
