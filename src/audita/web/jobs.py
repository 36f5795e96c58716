"""Background work (speech processing, exports) on a worker thread, with progress to poll.

Jobs live in memory: a restart forgets queued and running jobs (what they had committed stays,
and a re-run of processing resumes from the last finished stage)."""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from audita.errors import AuditaError

log = logging.getLogger("audita.web.jobs")

Report = Callable[[float, str], None]
Work = Callable[[Report], dict[str, Any] | None]


@dataclass
class Job:
    id: str
    kind: str  # "process" | "export"
    case_id: str
    item_id: str | None
    actor: str
    title: str
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    label: str = ""
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "item_id": self.item_id, "title": self.title, "state": self.state,
                "progress": round(self.progress, 4), "label": self.label, "error": self.error,
                "result": dict(self.result)}


class JobRunner:
    """One worker thread by default: speech models are CPU-bound and the machine is small."""

    def __init__(self, workers: int = 1, keep: int = 500) -> None:
        self._queue: queue.Queue[tuple[Job, Work] | None] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._workers = workers
        self._keep = keep
        self._busy = 0

    def _start(self) -> None:
        if self._threads:
            return
        for n in range(self._workers):
            thread = threading.Thread(target=self._run, name=f"audita-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, *, kind: str, case_id: str, item_id: str | None, actor: str, title: str, work: Work) -> Job:
        job = Job(secrets.token_hex(16), kind, case_id, item_id, actor, title)
        with self._lock:
            self._start()
            self._jobs[job.id] = job
            self._busy += 1
            if len(self._jobs) > self._keep:
                for old in sorted(self._jobs.values(), key=lambda j: j.created)[: len(self._jobs) - self._keep]:
                    if old.state in ("done", "failed"):
                        del self._jobs[old.id]
        self._queue.put((job, work))
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def for_case(self, case_id: str) -> list[Job]:
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.case_id == case_id), key=lambda j: j.created)

    def _update(self, job: Job, **values: Any) -> None:
        with self._lock:
            for key, value in values.items():
                setattr(job, key, value)

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            job, work = entry
            self._update(job, state="running", label="started")

            def report(fraction: float, label: str, job: Job = job) -> None:
                self._update(job, progress=min(1.0, max(0.0, float(fraction))), label=label[:200])

            try:
                result = work(report) or {}
                self._update(job, state="done", progress=1.0, label="done", result=result)
            except AuditaError as exc:
                self._update(job, state="failed", error=str(exc)[:500], label="failed")
            except Exception:  # a bug or a model failure: keep the worker alive, details in the server log
                log.exception("job %s (%s) failed", job.id, job.kind)
                self._update(job, state="failed", error="failed unexpectedly; see the server log", label="failed")
            finally:
                with self._lock:
                    self._busy -= 1

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._busy == 0:
                    return True
            time.sleep(0.02)
        return False

    def shutdown(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
