"""The PostgreSQL store: the same migrations reach the same schema, and concurrent writers in
separate processes keep one consistent custody log (the advisory lock)."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from audita.config import Settings
from audita.items import list_items
from audita.store.db import current_revision, head_revision, make_engine, migrate
from audita.store.schema import metadata
from audita.verify import verify_store
from audita.workspace import Workspace
from testkit import tone, write_wav


def test_migrations_on_postgresql_reach_head_and_match_the_schema(pg_database):
    engine = make_engine(pg_database)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision() == "0004"
        tables = set(inspect(engine).get_table_names())
        assert tables >= {t.name for t in metadata.sorted_tables} | {"search_documents"}
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), metadata)
        # search_documents is PostgreSQL-only and described in audita.store.pg_search, not in the
        # shared metadata; indexes are declared only in migrations.
        unexpected = [d for d in diffs if d[0] not in ("add_index", "remove_index")
                      and not (d[0] == "remove_table" and d[1].name == "search_documents")]
        assert unexpected == []
        migrate(engine)  # idempotent
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _audita(home, url, *args):  # type: ignore[no-untyped-def]
    env = {**os.environ, "AUDITA_HOME": str(home), "AUDITA_ACTOR": "test", "AUDITA_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "audita", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_concurrent_ingests_on_postgresql_share_one_consistent_log(tmp_path, pg_database):
    home = tmp_path / "home"
    assert _audita(home, pg_database, "case", "create", "C").wait() == 0
    folders = []
    for name, seed in (("one", 100), ("two", 500)):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(8):
            write_wav(folder / f"r{i:03d}.wav", tone(0.5, freq=200 + 10 * i, seed=seed + i))
        folders.append(folder)
    procs = [_audita(home, pg_database, "ingest", "--case", "C", str(folder)) for folder in folders]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out.decode() + err.decode()
    workspace = Workspace.open(Settings(home=home, database_url=pg_database))
    try:
        report = verify_store(workspace)
        assert report.ok, report.problems
        assert report.entries_checked == 2 + 16
        assert len(list_items(workspace, "C")) == 16
    finally:
        workspace.close()
