"""Load test of the workbench over loopback: the real app under uvicorn on 127.0.0.1, concurrent
readers (login, case page, recording page, audio ranges, search) and uploaders (small generated
WAVs through the upload endpoint with the session's CSRF token), bounded by count and by time.

Library: `serve_in_thread` / `serve_in_process` start the server on a free port, `run_load` drives
it and returns a `LoadReport` (every request with its class, status and latency; whatever did not
get its expected answer is an error). `seed_load_store` prepares a store to load.

Measuring command (prints a table per endpoint class; docs/reliability.md has one run's figures):

    python -m audita.web.loadtest --readers 8 --uploaders 2 --rounds 20 --uploads 10
"""

from __future__ import annotations

import math
import multiprocessing
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from audita.web.media import wav_bytes

ENDPOINT_CLASSES = ("login", "case", "recording", "audio", "search", "upload")
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
CSRF = re.compile(r'data-csrf="([^"]+)"')
SEARCH_WORDS = ("Гранит", "приём", "Попасная", "колонна", "Сокол", "техника")


@dataclass(frozen=True)
class LoadOptions:
    readers: int = 8
    uploaders: int = 2
    rounds_per_reader: int = 10  # each round: case page, recording page, two audio ranges, search
    uploads_per_uploader: int = 5
    time_limit_s: float = 45.0  # no new request starts after this; the run is then reported as cut short
    upload_seconds: float = 1.0  # length of each generated 8 kHz WAV
    request_timeout_s: float = 30.0
    seed: int = 1


@dataclass(frozen=True)
class Account:
    username: str
    password: str


@dataclass(frozen=True)
class LoadTarget:
    """What the clients need to know about the seeded store."""

    case_id: str
    item_id: str
    readers: tuple[Account, ...]
    uploaders: tuple[Account, ...]


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int  # 0: no answer (connection error, timeout)
    ok: bool
    latency_s: float
    problem: str = ""


@dataclass(frozen=True)
class ClassFigures:
    kind: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class LoadReport:
    options: LoadOptions
    wall_s: float
    samples: list[Sample]
    uploaded: list[tuple[str, str]] = field(default_factory=list)  # (item id, sha256) per stored upload
    cut_short: bool = False  # the time limit stopped a client before its count was done

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    def by_class(self) -> list[ClassFigures]:
        rows = []
        for kind in (*ENDPOINT_CLASSES, "all"):
            chosen = [s for s in self.samples if kind == "all" or s.kind == kind]
            if not chosen:
                continue
            latencies = sorted(s.latency_s * 1000 for s in chosen)
            rows.append(ClassFigures(kind, len(chosen), sum(1 for s in chosen if not s.ok),
                                     percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
                                     latencies[-1]))
        return rows


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def generated_wav(seconds: float, seed: int, rate: int = 8000) -> bytes:
    """A short 16-bit mono WAV of tone and noise, different for every seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.2 * np.sin(2 * np.pi * (300 + seed % 500) * t) + rng.normal(0, 0.02, t.size)
    return wav_bytes(signal, rate)


# --- clients --------------------------------------------------------------------------------------


class _Client:
    """One browser-like client. Cookies are kept by hand: the session cookie is `Secure`, which
    http.cookiejar would not send over http://127.0.0.1 (browsers do: loopback is a secure context)."""

    def __init__(self, base_url: str, options: LoadOptions, samples: list[Sample], lock: threading.Lock) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=options.request_timeout_s, follow_redirects=False)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.samples, self.lock = samples, lock

    def close(self) -> None:
        self.http.close()

    def request(self, kind: str, method: str, path: str, expect: tuple[int, ...], *,
                headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response | None:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            reply = self.http.request(method, path, headers=sent, **kwargs)
        except httpx.HTTPError as exc:
            self._add(Sample(kind, 0, False, time.perf_counter() - started, f"{method} {path}: {exc.__class__.__name__}"))
            return None
        elapsed = time.perf_counter() - started
        for raw in reply.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in raw.lower() or 'expires=thu, 01 jan 1970' in raw.lower() or value in ("", '""'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        ok = reply.status_code in expect
        self._add(Sample(kind, reply.status_code, ok, elapsed, "" if ok else f"{method} {path}: {reply.status_code}"))
        return reply

    def fail(self, kind: str, problem: str) -> None:
        self._add(Sample(kind, 0, False, 0.0, problem))

    def _add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def login(self, account: Account) -> bool:
        page = self.request("login", "GET", "/login", (200,))
        token = LOGIN_TOKEN.search(page.text) if page is not None else None
        if token is None:
            return False
        reply = self.request("login", "POST", "/login", (303,), data={
            "username": account.username, "password": account.password, "login_token": token.group(1),
            "next": "/cases"})
        if reply is None or reply.status_code != 303:
            return False
        cases = self.request("case", "GET", "/cases", (200,))
        found = CSRF.search(cases.text) if cases is not None else None
        if found is None:
            self.fail("case", "no CSRF token on /cases after login")
            return False
        self.csrf = found.group(1)
        return True


def _reader(base_url: str, account: Account, target: LoadTarget, options: LoadOptions, deadline: float,
            rng: random.Random, samples: list[Sample], lock: threading.Lock, cut: threading.Event) -> None:
    client = _Client(base_url, options, samples, lock)
    try:
        if not client.login(account):
            return
        size = 0
        for _ in range(options.rounds_per_reader):
            if time.monotonic() > deadline:
                cut.set()
                return
            case = client.request("case", "GET", f"/cases/{target.case_id}", (200,))
            if case is not None and case.status_code == 200 and target.item_id not in case.text:
                client.fail("case", "case page does not list the seeded recording")
            client.request("recording", "GET", f"/items/{target.item_id}", (200,))
            first = client.request("audio", "GET", f"/api/items/{target.item_id}/audio", (206,),
                                   headers={"Range": "bytes=0-65535"})
            if first is not None and first.status_code == 206:
                size = int(first.headers.get("content-range", "/0").rsplit("/", 1)[-1] or 0)
            if size > 1:
                start = rng.randrange(0, size - 1)
                end = min(size - 1, start + rng.randrange(1024, 262144))
                client.request("audio", "GET", f"/api/items/{target.item_id}/audio", (206,),
                               headers={"Range": f"bytes={start}-{end}"})
            client.request("search", "GET", "/search", (200,), params={"q": rng.choice(SEARCH_WORDS)})
    finally:
        client.close()


def _uploader(base_url: str, account: Account, target: LoadTarget, options: LoadOptions, deadline: float,
              number: int, samples: list[Sample], lock: threading.Lock, cut: threading.Event,
              uploaded: list[tuple[str, str]]) -> None:
    client = _Client(base_url, options, samples, lock)
    try:
        if not client.login(account):
            return
        for n in range(options.uploads_per_uploader):
            if time.monotonic() > deadline:
                cut.set()
                return
            body = generated_wav(options.upload_seconds, seed=options.seed * 1_000_003 + number * 10_007 + n)
            reply = client.request("upload", "POST", f"/cases/{target.case_id}/upload", (200,), content=body, headers={
                "X-Filename": f"load-{number}-{n}.wav", "X-Process": "0", "X-CSRF-Token": client.csrf,
                "Accept": "application/json", "Content-Type": "application/octet-stream"})
            if reply is None or reply.status_code != 200:
                continue
            outcomes = reply.json().get("outcomes", [])
            if len(outcomes) != 1 or outcomes[0].get("status") != "ingested":
                client.fail("upload", f"upload load-{number}-{n}.wav not stored: {outcomes}")
                continue
            with lock:
                uploaded.append((outcomes[0]["item_id"], outcomes[0]["sha256"]))
    finally:
        client.close()


def run_load(base_url: str, target: LoadTarget, options: LoadOptions | None = None) -> LoadReport:
    """Drive the server at ``base_url`` with the readers and uploaders of ``options`` at once."""
    options = options or LoadOptions()
    samples: list[Sample] = []
    uploaded: list[tuple[str, str]] = []
    lock = threading.Lock()
    cut = threading.Event()
    started = time.monotonic()
    deadline = started + options.time_limit_s
    threads = []
    for n in range(options.readers):
        account = target.readers[n % len(target.readers)]
        threads.append(threading.Thread(target=_reader, args=(
            base_url, account, target, options, deadline, random.Random(options.seed * 7919 + n), samples, lock, cut)))
    for n in range(options.uploaders):
        account = target.uploaders[n % len(target.uploaders)]
        threads.append(threading.Thread(target=_uploader, args=(
            base_url, account, target, options, deadline, n, samples, lock, cut, uploaded)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(options.time_limit_s + 2 * options.request_timeout_s + 10)
    return LoadReport(options, time.monotonic() - started, samples, uploaded, cut.is_set())


# --- servers --------------------------------------------------------------------------------------


def _bound_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)
    return sock


def _wait_ready(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workbench at {base_url} did not answer within {timeout:.0f} s")
        time.sleep(0.05)


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread of this process on a free loopback port."""
    import uvicorn

    sock = _bound_socket(host)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                           server_header=False, proxy_headers=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"
    try:
        _wait_ready(base_url)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def _serve_child(home: str, database_url: str | None, sock: socket.socket) -> None:
    import uvicorn

    from audita.config import Settings
    from audita.web.app import create_app
    from audita.workspace import Workspace

    settings = Settings(home=Path(home), database_url=database_url)
    workspace = Workspace.open(settings)
    app = create_app(workspace, processor=None)
    host, port = sock.getsockname()[:2]
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                  server_header=False, proxy_headers=False)).run(sockets=[sock])


@contextmanager
def serve_in_process(home: Path, host: str = "127.0.0.1", database_url: str | None = None) -> Iterator[str]:
    """Run the workbench over the store at ``home`` in a child process (as `audita serve` would,
    without processing) on a free loopback port, so that clients and server do not share a GIL."""
    sock = _bound_socket(host)
    port = sock.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=_serve_child, args=(str(home), database_url, sock))
    process.start()
    base_url = f"http://{host}:{port}"
    try:
        _wait_ready(base_url)
        yield base_url
    finally:
        process.terminate()
        process.join(15)
        if process.is_alive():
            process.kill()
            process.join()
        sock.close()


# --- a store to load ------------------------------------------------------------------------------


def _speech_doc(duration: float, transmissions: int) -> dict[str, Any]:
    words = ("Гранит", "я", "Сокол", "приём", "колонна", "прошла", "Попасная", "техника", "на", "месте")
    span = duration / transmissions
    out = []
    for n in range(transmissions):
        start = n * span + 0.2
        chosen = [words[(n * 3 + k) % len(words)] for k in range(6)]
        timed = [{"start": round(start + 0.4 * k, 3), "end": round(start + 0.4 * k + 0.35, 3), "word": f" {w}",
                  "probability": 0.8} for k, w in enumerate(chosen)]
        out.append({"index": n, "start": round(start, 3), "end": round(start + 2.6, 3), "text": " ".join(chosen),
                    "language": "ru", "language_probability": 0.9, "words": timed, "snr_db": 15.0, "channel": "radio",
                    "quality_ok": True, "quality_reason": "", "unintelligible": False, "unintelligible_reason": "",
                    "avg_logprob": -0.3, "no_speech_prob": 0.02, "speaker": f"S{n % 2 + 1}",
                    "translations": [{"method": "whisper-translate", "text": "(load test)",
                                      "label": "unverified machine translation", "verified": False}]})
    return {"schema": "audita.speech/1", "channel": "radio", "duration": duration,
            "speakers": {"S1": list(range(0, transmissions, 2)), "S2": list(range(1, transmissions, 2))},
            "transmissions": out, "provenance": {"input_sha256": "0" * 64, "model": "load-test", "pipeline_version": "1"}}


def seed_load_store(workspace: Any, folder: Path, *, readers: int, uploaders: int, password: str,
                    seconds: float = 30.0, actor: str = "setup:loadtest") -> LoadTarget:
    """A case with one recording of ``seconds`` (16 kHz WAV) and a machine transcript, ``readers``
    viewers and ``uploaders`` analysts, all members of the case."""
    from audita import derived
    from audita.cases import create_case
    from audita.derived import Provenance
    from audita.ingest.service import ingest_paths
    from audita.web.accounts import add_member, create_user

    case = create_case(workspace, "Load test", actor=actor, description="loopback load test")
    made: dict[str, list[Account]] = {"viewer": [], "analyst": []}
    for role, count, prefix in (("viewer", readers, "reader"), ("analyst", uploaders, "uploader")):
        for n in range(max(1, count)):
            name = f"{prefix}-{n + 1}"
            create_user(workspace, name, password, role=role, actor=actor)
            add_member(workspace, case.name, name, actor=actor)
            made[role].append(Account(name, password))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "load-recording.wav"
    path.write_bytes(generated_wav(seconds, seed=424242, rate=16000))
    outcome = ingest_paths(workspace, case.name, [path], actor=actor).outcomes[0]
    if outcome.item_id is None:
        raise RuntimeError(f"seeding the load-test store failed: {outcome.message}")
    with workspace.action() as connection:
        derived.record(workspace, connection, item_id=outcome.item_id, case_id=case.id, actor=actor,
                       provenance=Provenance("transcript", outcome.sha256 or "0" * 64, "load-test/1", {}),
                       output=_speech_doc(seconds, max(1, int(seconds // 3))))
    return LoadTarget(case.id, outcome.item_id, tuple(made["viewer"]), tuple(made["analyst"]))


# --- the measuring command ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import os
    import platform
    import tempfile

    import click
    from rich.console import Console
    from rich.table import Table

    @click.command()
    @click.option("--readers", default=8, show_default=True)
    @click.option("--uploaders", default=2, show_default=True)
    @click.option("--rounds", default=20, show_default=True, help="Rounds per reader (5 requests each).")
    @click.option("--uploads", default=10, show_default=True, help="Uploads per uploader.")
    @click.option("--time-limit", default=120.0, show_default=True)
    @click.option("--upload-seconds", default=2.0, show_default=True)
    def command(readers: int, uploaders: int, rounds: int, uploads: int, time_limit: float,
                upload_seconds: float) -> None:
        from audita.config import Settings
        from audita.verify import verify_store
        from audita.workspace import Workspace

        console = Console()
        options = LoadOptions(readers=readers, uploaders=uploaders, rounds_per_reader=rounds,
                              uploads_per_uploader=uploads, time_limit_s=time_limit, upload_seconds=upload_seconds)
        with tempfile.TemporaryDirectory(prefix="audita-load-") as tmp:
            home = Path(tmp) / "home"
            workspace = Workspace.open(Settings(home=home))
            target = seed_load_store(workspace, Path(tmp) / "incoming", readers=readers, uploaders=uploaders,
                                     password="load-test password 1")
            workspace.close()
            with serve_in_process(home) as base_url:
                report = run_load(base_url, target, options)
            workspace = Workspace.open(Settings(home=home))
            verified = verify_store(workspace)
            workspace.close()
        table = Table("class", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")
        for row in report.by_class():
            table.add_row(row.kind, str(row.requests), str(row.errors), f"{row.p50_ms:.1f}", f"{row.p95_ms:.1f}",
                          f"{row.p99_ms:.1f}", f"{row.max_ms:.1f}")
        console.print(table)
        console.print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.platform()}; "
                      f"{os.cpu_count()} CPUs; {readers} readers x {rounds} rounds, {uploaders} uploaders x {uploads} "
                      f"uploads of {upload_seconds:g} s; {report.requests} requests in {report.wall_s:.1f} s = "
                      f"{report.requests_per_s:.1f} req/s; {len(report.errors)} errors; "
                      f"{len(report.uploaded)} uploads stored; cut short by the time limit: {report.cut_short}; "
                      f"verify: {'OK' if verified.ok else 'FAILED'} ({verified.entries_checked} log entries)",
                      highlight=False)
        for sample in report.errors[:10]:
            console.print(f"error: {sample.kind}: {sample.problem}", highlight=False, markup=False)
        if report.errors or not verified.ok:
            raise SystemExit(1)

    try:
        command.main(args=argv, standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
