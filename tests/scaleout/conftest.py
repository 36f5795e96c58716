"""A local Ray instance shared by the scale-out tests (2 CPUs, no dashboard), whose workers can
import the test fakes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def local_ray():  # type: ignore[no-untyped-def]
    ray = pytest.importorskip("ray", reason="Ray is not installed (the `ray` extra; scripts/setup.sh installs it)")
    paths = [str(TESTS / "scaleout"), str(TESTS / "speech"), str(TESTS)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}})
    yield ray
    ray.shutdown()
