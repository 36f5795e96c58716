import hashlib
import io
import os
import stat

import pytest

from audita.errors import BadInput, IntegrityError
from audita.store.blobs import BlobStore


@pytest.fixture
def store(tmp_path):
    s = BlobStore(tmp_path / "blobs", tmp_path / "tmp")
    s.ensure()
    return s


def test_stage_hashes_while_streaming(store):
    data = os.urandom(3 * (1 << 20) + 17)
    staged = store.stage(io.BytesIO(data), max_bytes=len(data))
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.size == len(data)
    assert staged.path.read_bytes() == data


def test_commit_is_write_once_and_read_only(store):
    staged = store.stage(io.BytesIO(b"original recording"), max_bytes=100)
    assert store.commit(staged) is True
    target = store.path_for(staged.sha256)
    assert target.read_bytes() == b"original recording"
    assert not os.stat(target).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    again = store.stage(io.BytesIO(b"original recording"), max_bytes=100)
    assert store.commit(again) is False
    assert not again.path.exists()
    assert target.read_bytes() == b"original recording"
    assert list(store.iter_stored()) == [staged.sha256]


def test_damaged_stored_blob_is_not_silently_accepted(store):
    staged = store.stage(io.BytesIO(b"evidence"), max_bytes=100)
    store.commit(staged)
    target = store.path_for(staged.sha256)
    os.chmod(target, 0o600)
    target.write_bytes(b"evidencE")
    with pytest.raises(IntegrityError, match="damaged"):
        store.commit(store.stage(io.BytesIO(b"evidence"), max_bytes=100))


def test_size_limit_leaves_no_temporary_file(store):
    with pytest.raises(BadInput, match="limit"):
        store.stage(io.BytesIO(b"x" * 1000), max_bytes=999)
    assert list(store.tmp_dir.iterdir()) == []


def test_path_for_rejects_non_digests(store):
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")
