"""Tampering with a blob, a log entry, a signature or an item row is detected and named."""

import json
import os

import pytest
from sqlalchemy import select

from audita.custody import log as custody
from audita.custody.keys import verify_signature
from audita.custody.log import tree_head_message
from audita.ingest.service import ingest_paths
from audita.store.schema import custody_entries, items
from audita.verify import verify_store
from testkit import ACTOR, raw_db


@pytest.fixture
def populated(workspace, case, samples_dir):
    report = ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    assert report.count("ingested") == 2
    return workspace


def db(workspace):
    return raw_db(workspace)


def test_clean_store_verifies(populated):
    report = verify_store(populated)
    assert report.ok, report.problems
    assert report.blobs_checked == 2
    assert report.entries_checked == 4  # installation, case, two items
    assert report.heads_checked >= 3


def test_every_action_is_covered_by_a_valid_signed_head(populated):
    with populated.reading() as connection:
        head = custody.latest_head(connection)
        rows = custody.entries(connection)
    assert head.tree_size == len(rows)
    message = tree_head_message(head.tree_size, head.root_hash, head.created_at, head.key_id)
    assert verify_signature(populated.key.public_hex, message, head.signature)
    assert [e.action for e in rows] == ["installation.created", "case.created", "item.ingested", "item.ingested"]
    assert all(e.details["sha256"] for e in rows[2:])
    entry = json.loads(populated.engine.connect().execute(select(custody_entries.c.entry_json)).first()[0])
    assert {"seq", "time", "actor", "action", "tool", "details", "prev"} <= set(entry)


def test_single_byte_change_in_blob_is_named(populated):
    with populated.reading() as connection:
        item = connection.execute(select(items).order_by(items.c.display_name)).first()
    path = populated.blobs.path_for(item.blob_sha256)
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_store(populated)
    assert not report.ok
    assert len(report.errors) == 1
    assert item.id in report.errors[0].subject and "a.wav" in report.errors[0].subject
    assert "altered" in report.errors[0].message


def test_missing_blob_is_named(populated):
    with populated.reading() as connection:
        item = connection.execute(select(items)).first()
    path = populated.blobs.path_for(item.blob_sha256)
    os.chmod(path, 0o600)
    path.unlink()
    report = verify_store(populated)
    assert [p for p in report.errors if item.id in p.subject and "missing" in p.message]


def test_single_byte_change_in_log_entry_is_named(populated):
    with db(populated) as conn:
        (entry_json,) = conn.execute("SELECT entry_json FROM custody_entries WHERE seq = 2").fetchone()
        conn.execute("UPDATE custody_entries SET entry_json = ? WHERE seq = 2", (entry_json.replace("a.wav", "x.wav", 1),))
    report = verify_store(populated)
    assert not report.ok
    first = report.errors[0]
    assert first.subject == "log entry 2 (item.ingested)"
    assert "leaf hash" in first.message
    # The Merkle roots signed after that entry no longer match either.
    assert any(p.subject.startswith("tree head at size") for p in report.errors)


def test_rewritten_entry_with_recomputed_leaf_is_still_caught(populated):
    from audita.custody.merkle import leaf_hash

    with db(populated) as conn:
        (entry_json,) = conn.execute("SELECT entry_json FROM custody_entries WHERE seq = 2").fetchone()
        forged = entry_json.replace("a.wav", "x.wav", 1)
        conn.execute(
            "UPDATE custody_entries SET entry_json = ?, leaf_hash = ? WHERE seq = 2",
            (forged, leaf_hash(forged.encode()).hex()),
        )
    report = verify_store(populated)
    messages = {(p.subject, p.message.split(" (")[0]) for p in report.errors}
    assert ("log entry 3 (item.ingested)", "previous-entry hash does not match entry 2") in messages
    assert any(p.subject.startswith("tree head") and "root does not match" in p.message for p in report.errors)


def test_deleted_last_entry_is_detected(populated):
    with db(populated) as conn:
        conn.execute("DELETE FROM custody_entries WHERE seq = (SELECT MAX(seq) FROM custody_entries)")
    report = verify_store(populated)
    assert any("entries deleted" in p.message for p in report.errors)


def test_forged_signature_is_detected(populated):
    with db(populated) as conn:
        (sig,) = conn.execute("SELECT signature FROM tree_heads ORDER BY tree_size DESC LIMIT 1").fetchone()
        flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
        conn.execute("UPDATE tree_heads SET signature = ? WHERE signature = ?", (flipped, sig))
    report = verify_store(populated)
    assert any("signature does not verify" in p.message for p in report.errors)


def test_column_edited_outside_the_signed_entry_is_detected(populated):
    with db(populated) as conn:
        conn.execute("UPDATE custody_entries SET actor = 'someone-else' WHERE seq = 1")
    report = verify_store(populated)
    assert [p for p in report.errors if p.subject == "log entry 1 (case.created)" and "actor" in p.message]


def test_item_pointed_at_substituted_content_is_detected(populated):
    import io

    # An attacker stores a substitute file correctly under its own hash and repoints an item at it.
    staged = populated.blobs.stage(io.BytesIO(b"substituted audio"), max_bytes=100)
    populated.blobs.commit(staged)
    with db(populated) as conn:
        (item_id,) = conn.execute("SELECT id FROM items ORDER BY display_name LIMIT 1").fetchone()
        conn.execute("INSERT INTO blobs VALUES (?, ?, '2026-01-01T00:00:00Z')", (staged.sha256, staged.size))
        conn.execute("UPDATE items SET blob_sha256 = ? WHERE id = ?", (staged.sha256, item_id))
    report = verify_store(populated)
    assert [p for p in report.errors if item_id in p.subject and "ingest entry" in p.message]


def test_case_scoped_verify_rehashes_only_that_case(populated, samples_dir):
    from audita.cases import create_case

    create_case(populated, "Other", actor=ACTOR)
    ingest_paths(populated, "Other", [samples_dir / "a.wav"], actor=ACTOR)
    assert verify_store(populated, case="Other").blobs_checked == 1
    assert verify_store(populated, case="Test case").blobs_checked == 2


def test_unrecorded_blob_file_is_a_warning(populated, tmp_path):
    import io

    staged = populated.blobs.stage(io.BytesIO(b"left by a crash"), max_bytes=100)
    populated.blobs.commit(staged)
    report = verify_store(populated)
    assert report.ok
    assert [p for p in report.problems if p.severity == "warning" and staged.sha256 in p.subject]


def test_verify_never_writes(populated):
    with populated.reading() as connection:
        before = custody.entry_count(connection)
    verify_store(populated)
    with populated.reading() as connection:
        assert custody.entry_count(connection) == before
