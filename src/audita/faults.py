"""Named kill points for crash testing; free when no test asks for them.

Library code calls ``checkpoint("blob.commit.renamed")`` at places where a crash would leave
interesting state (before and after writes, fsyncs, renames and commits). Normally that is one
environment lookup and a return. Two environment variables make it do something:

* ``AUDITA_FAULT_KILL_AT=NAME`` or ``NAME:N`` kills the process with SIGKILL the first (or N-th)
  time the checkpoint NAME is reached, exactly as a power cut or OOM kill would stop it: no
  ``finally`` blocks, no rollback, no flushing of Python buffers.
* ``AUDITA_FAULT_TRACE=FILE`` appends every checkpoint name reached to FILE, one per line, so a
  test can list the points an uninterrupted run passes through and then kill at each of them.
"""

from __future__ import annotations

import os
import signal

KILL_VARIABLE = "AUDITA_FAULT_KILL_AT"
TRACE_VARIABLE = "AUDITA_FAULT_TRACE"

_seen: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """A named point where a crash test may stop the process (no-op unless asked)."""
    environ = os.environ
    if KILL_VARIABLE not in environ and TRACE_VARIABLE not in environ:
        return
    count = _seen.get(name, 0) + 1
    _seen[name] = count
    trace = environ.get(TRACE_VARIABLE)
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")
    target, nth = parse_kill_spec(environ.get(KILL_VARIABLE, ""))
    if target == name and count == nth:
        os.kill(os.getpid(), signal.SIGKILL)


def parse_kill_spec(spec: str) -> tuple[str, int]:
    """``"NAME"`` -> (NAME, 1); ``"NAME:3"`` -> (NAME, 3); empty -> ("", 0)."""
    if not spec:
        return "", 0
    name, sep, nth = spec.rpartition(":")
    if sep and nth.isdigit():
        return name, int(nth)
    return spec, 1


def reset() -> None:
    """Forget how often each checkpoint was reached (for a process reused between runs)."""
    _seen.clear()
