"""Derived rows: provenance recorded, nothing overwritten, identical work reused, tampering caught."""

import pytest

from audita import derived
from audita.derived import Provenance
from audita.ingest.service import ingest_paths
from audita.verify import verify_store
from testkit import ACTOR, raw_db


@pytest.fixture
def item(workspace, case, wav_file):
    report = ingest_paths(workspace, case.name, [wav_file], actor=ACTOR)
    return report.outcomes[0]


def prov(options):
    return Provenance(stage="transcribe", input_sha256="a" * 64, engine="fake-asr 1.0", options=options,
                      model_name="fake", model_sha256="b" * 64)


def test_recorded_with_provenance_and_logged(workspace, case, item):
    with workspace.action() as connection:
        d = derived.record(workspace, connection, item_id=item.item_id, case_id=case.id,
                           provenance=prov({"beam_size": 5}), output={"text": "Гранит, я Сокол"}, actor=ACTOR)
    with workspace.reading() as connection:
        [stored] = derived.history(connection, item.item_id, "transcribe")
    assert stored.output == {"text": "Гранит, я Сокол"}
    assert stored.provenance.model_sha256 == "b" * 64 and stored.provenance.options == {"beam_size": 5}
    assert stored.code_version and stored.created_at.endswith("Z") and stored.created_by == ACTOR
    assert stored.output_sha256 == d.output_sha256
    assert verify_store(workspace).ok


def test_other_options_add_a_row_and_identical_ones_are_reusable(workspace, case, item):
    with workspace.action() as connection:
        first = derived.record(workspace, connection, item_id=item.item_id, case_id=case.id,
                               provenance=prov({"beam_size": 5}), output={"text": "one"}, actor=ACTOR)
        derived.record(workspace, connection, item_id=item.item_id, case_id=case.id,
                       provenance=prov({"beam_size": 1}), output={"text": "two"}, actor=ACTOR)
    with workspace.reading() as connection:
        assert [d.output["text"] for d in derived.history(connection, item.item_id)] == ["one", "two"]
        assert derived.find_reusable(connection, item.item_id, prov({"beam_size": 5})).id == first.id
        assert derived.find_reusable(connection, item.item_id, prov({"beam_size": 3})) is None


def test_altered_output_is_named_by_verify(workspace, case, item):
    with workspace.action() as connection:
        d = derived.record(workspace, connection, item_id=item.item_id, case_id=case.id,
                           provenance=prov({}), output={"text": "пленных не брать"}, actor=ACTOR)
    with raw_db(workspace) as conn:
        conn.execute("UPDATE derivations SET output_json = replace(output_json, 'не брать', 'брать') WHERE id = ?", (d.id,))
    report = verify_store(workspace)
    assert any(d.id in p.subject and "altered" in p.message for p in report.errors)
