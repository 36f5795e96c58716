"""RFC 3161 timestamps against a local openssl TSA served on loopback."""

import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from audita.errors import AuditaError
from audita.export.package import export_case
from audita.export.timestamp import TimestampAuthority, token_time, verify_token
from audita.export.verify_package import verify_package_path
from audita.ingest.service import ingest_paths
from testkit import ACTOR


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tsa_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tsa")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test TSA CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", cwd=d)
    openssl("req", "-new", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=Test TSA", cwd=d)
    (d / "ext.cnf").write_text("extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n")
    openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "tsa.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    (d / "serial").write_text("01\n")
    (d / "tsa.cnf").write_text(
        "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
        f"serial = {d}/serial\nsigner_cert = {d}/tsa.pem\nsigner_key = {d}/tsa.key\ncerts = {d}/tsa.pem\n"
        "default_policy = 1.2.3.4.1\nsigner_digest = sha256\ndigests = sha256\naccuracy = secs:1\n"
        "ordering = yes\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n"
    )
    return d


@pytest.fixture
def tsa_server(tsa_dir):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "q.tsq").write_bytes(query)
                subprocess.run(["openssl", "ts", "-reply", "-config", str(tsa_dir / "tsa.cnf"), "-queryfile",
                                f"{tmp}/q.tsq", "-out", f"{tmp}/r.tsr"], check=True, capture_output=True)
                reply = (Path(tmp) / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()


def test_export_with_rfc3161_token_verifies_and_detects_tampering(workspace, case, samples_dir, tmp_path, tsa_dir, tsa_server):
    ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    tsa = TimestampAuthority(url=tsa_server, ca_file=tsa_dir / "ca.pem")
    result = export_case(workspace, case.name, tmp_path / "pkg", actor=ACTOR, tsa=tsa)
    token = (result.directory / "MANIFEST.tsr").read_bytes()
    assert verify_token(result.directory / "MANIFEST.json", token, result.directory / "tsa_ca.pem") is None
    assert token_time(token)
    manual = subprocess.run(["openssl", "ts", "-verify", "-data", "MANIFEST.json", "-in", "MANIFEST.tsr",
                             "-CAfile", "tsa_ca.pem"], cwd=result.directory, capture_output=True, text=True)
    assert "Verification: OK" in manual.stdout
    assert verify_package_path(result.directory) == []
    other = tmp_path / "other.json"
    other.write_bytes(b"{}")
    assert verify_token(other, token, tsa_dir / "ca.pem") is not None


def test_unreachable_tsa_fails_the_export_and_leaves_nothing(workspace, case, samples_dir, tmp_path):
    ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    with pytest.raises(AuditaError, match="did not answer"):
        export_case(workspace, case.name, tmp_path / "pkg", actor=ACTOR,
                    tsa=TimestampAuthority(url="http://127.0.0.1:9/tsa", timeout_seconds=2))
    assert not (tmp_path / "pkg").exists() and not (tmp_path / "pkg.partial").exists()
