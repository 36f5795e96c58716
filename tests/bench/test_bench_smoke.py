"""One real Whisper run on one short clip, when a CTranslate2 whisper model directory is available."""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from audita.bench import runner
from audita.bench.cli import bench_command
from audita.bench.systems import SystemUnavailable

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "dev"


def _model_dir() -> Path | None:
    for candidate in (os.environ.get("AUDITA_TEST_WHISPER_DIR"), "/tmp/whisper-base-ct2"):
        if candidate and (Path(candidate) / "model.bin").is_file():
            return Path(candidate)
    return None


@pytest.mark.slow
@pytest.mark.skipif(_model_dir() is None,
                    reason="no whisper model: set AUDITA_TEST_WHISPER_DIR to a CTranslate2 whisper-base folder")
@pytest.mark.skipif(not (CORPUS / "index.json").exists(), reason="corpus/dev not generated")
def test_bench_runs_whisper_on_one_clip(tmp_path, monkeypatch):
    pytest.importorskip("faster_whisper")

    def unavailable(*_args, **_kwargs):
        raise SystemUnavailable("kept out of the smoke test")

    monkeypatch.setattr(runner, "AuditaSpeech", unavailable)
    out = tmp_path / "bench.md"
    result = CliRunner().invoke(bench_command, [
        "--corpus", str(CORPUS), "--model-dir", str(_model_dir()), "--limit", "1", "--threads", "2", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    wer_row = next(line for line in text.splitlines() if line.startswith("| speech | WER | clean | faster-whisper"))
    wer = float(wer_row.split("|")[5])
    assert wer < 0.6  # festival speech on the clean channel is mostly recognised
    assert "sha256" in text
