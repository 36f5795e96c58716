"""Two writers at once keep one consistent log; a killed ingest leaves a store that verifies and resumes."""

import os
import signal
import subprocess
import sys
import time

from testkit import tone, write_wav

from audita.config import Settings
from audita.items import list_items
from audita.verify import verify_store
from audita.workspace import Workspace


def audita(home, *args, **kwargs):
    env = {**os.environ, "AUDITA_HOME": str(home), "AUDITA_ACTOR": "test"}
    return subprocess.Popen([sys.executable, "-m", "audita", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def make_folder(path, count, seed):
    path.mkdir()
    for i in range(count):
        write_wav(path / f"r{i:03d}.wav", tone(0.5, freq=200 + 10 * i, seed=seed + i))
    return path


def test_two_concurrent_ingests_share_one_consistent_log(tmp_path):
    home = tmp_path / "home"
    assert audita(home, "case", "create", "C").wait() == 0
    first = make_folder(tmp_path / "one", 12, 100)
    second = make_folder(tmp_path / "two", 12, 500)
    procs = [audita(home, "ingest", "--case", "C", str(folder)) for folder in (first, second)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out.decode() + err.decode()
    workspace = Workspace.open(Settings(home=home))
    try:
        report = verify_store(workspace)
        assert report.ok, report.problems
        assert report.entries_checked == 2 + 24
        assert len(list_items(workspace, "C")) == 24
    finally:
        workspace.close()


def test_killed_ingest_leaves_a_consistent_store_and_resumes(tmp_path):
    home = tmp_path / "home"
    assert audita(home, "case", "create", "C").wait() == 0
    folder = make_folder(tmp_path / "batch", 40, 900)
    proc = audita(home, "ingest", "--case", "C", str(folder), start_new_session=True)
    blob_root = home / "blobs" / "sha256"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(blob_root.glob("*/*/*"))) < 5:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    workspace = Workspace.open(Settings(home=home))
    try:
        partial = verify_store(workspace)
        assert partial.ok, partial.errors  # at most a warning for a blob whose row never committed
        done_before = len(list_items(workspace, "C"))
        assert 0 < done_before < 40
        rerun = audita(home, "ingest", "--case", "C", str(folder))
        out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, out.decode() + err.decode()
        final = verify_store(workspace)
        assert final.ok and not final.problems, final.problems
        assert len(list_items(workspace, "C")) == 40
    finally:
        workspace.close()
