import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from audita.store.db import current_revision, head_revision, make_engine, migrate
from audita.store.schema import metadata


def test_migrations_from_empty_reach_head_and_match_the_schema(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), metadata)
    # Indexes are declared only in migrations; tables and columns must agree exactly.
    assert [d for d in diffs if d[0] not in ("add_index", "remove_index")] == []
    migrate(engine)  # idempotent
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert sqlite3.connect(tmp_path / "a.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)
