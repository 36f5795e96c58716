"""Fixtures for the workbench tests: a seeded store, the app, logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webseed import FakeProcessor, Seed, login, seed

from audita.config import Settings
from audita.web.app import create_app
from audita.web.jobs import JobRunner
from audita.web.options import WebOptions
from audita.workspace import Workspace


class Clock:
    """A settable clock for the session timeout tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session", autouse=True)
def cheap_argon2() -> Iterator[None]:
    """Still argon2id, with the smallest cost: the tests hash dozens of passwords on two cores.
    (The production parameters are the library defaults; test_web_security checks the type.)"""
    from argon2 import PasswordHasher

    import audita.web.accounts as accounts

    saved = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    accounts._hasher = saved


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web_options(clock: Clock) -> WebOptions:
    return WebOptions(inactivity_timeout_s=600, absolute_timeout_s=3600, max_upload_bytes=512 * 1024,
                      max_form_bytes=64 * 1024, clock=clock)


@pytest.fixture
def seeded(workspace: Workspace, tmp_path: Path) -> Seed:
    return seed(workspace, tmp_path / "incoming")


@pytest.fixture
def processor() -> FakeProcessor:
    return FakeProcessor()


@pytest.fixture
def app(workspace: Workspace, seeded: Seed, web_options: WebOptions, processor: FakeProcessor):  # type: ignore[no-untyped-def]
    jobs = JobRunner()
    application = create_app(workspace, web_options, processor=processor, jobs=jobs)
    yield application
    jobs.shutdown()


@pytest.fixture
def client_for(app) -> Iterator[Callable[[str | None], TestClient]]:  # type: ignore[no-untyped-def]
    """Makes a client over https://testserver, logged in as the given user (None: anonymous)."""
    made: list[TestClient] = []

    def make(username: str | None) -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        client.__enter__()
        made.append(client)
        if username is not None:
            client.headers["X-CSRF-Token"] = login(client, username)
        return client

    yield make
    for client in made:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Seed]]:
    """One seeded store for the many read-mostly requests of the access matrix."""
    home = tmp_path_factory.mktemp("matrix")
    workspace = Workspace.open(Settings(home=home / "home"))
    yield workspace, seed(workspace, home / "incoming")
    workspace.close()
