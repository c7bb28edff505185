"""Measure the scorer against labelled replies: per-label precision, recall and F1.

    python scripts/eval_scorer.py                 # the held-out sets, every language
    python scripts/eval_scorer.py --set dev --lang en --errors

Data: tests/data/scorer/<set>/<lang>.jsonl, one {"text", "labels", "apology"} per line.
The held-out set was written without looking at the lexicons; never tune on it.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from voicesim.core.labels import LABEL_ORDER
from voicesim.core.lexicon import SUPPORTED_LANGUAGES
from voicesim.core.scorer import score_reply

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "scorer"


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def evaluate(path: Path, show_errors: bool) -> dict[str, object]:
    lang = path.stem
    counts: dict[str, Counter[str]] = {str(label): Counter() for label in LABEL_ORDER}
    apology_right = apology_total = 0
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for row in rows:
        result = score_reply(row["text"], lang)
        got = {str(label) for label in result.labels}
        want = set(row["labels"])
        for label, counter in counts.items():
            counter["tp"] += label in got and label in want
            counter["fp"] += label in got and label not in want
            counter["fn"] += label not in got and label in want
        if "apology" in want and "apology" in got:
            apology_total += 1
            apology_right += str(result.apology) == row.get("apology")
        if show_errors and got != want:
            print(
                f"  [{lang}] {row['text']!r}\n      missing {sorted(want - got)} extra {sorted(got - want)}"
                f" evidence {[(e.label.value, e.phrase) for e in result.evidence]}"
            )
    per_label = {}
    for label, c in counts.items():
        p, r, f = f1(c["tp"], c["fp"], c["fn"])
        per_label[label] = {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(f, 3),
            "support": c["tp"] + c["fn"],
        }
    total = sum((c for c in counts.values()), Counter())
    micro = f1(total["tp"], total["fp"], total["fn"])
    return {
        "lang": lang,
        "replies": len(rows),
        "micro_precision": round(micro[0], 3),
        "micro_recall": round(micro[1], 3),
        "micro_f1": round(micro[2], 3),
        "apology_kind_accuracy": round(apology_right / apology_total, 3) if apology_total else None,
        "labels": per_label,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set", default="heldout", help="data set folder: heldout (default) or dev"
    )
    parser.add_argument("--lang", action="append", help="language(s) to evaluate; default all")
    parser.add_argument("--errors", action="store_true", help="print every reply scored wrongly")
    args = parser.parse_args()
    results = []
    for lang in args.lang or SUPPORTED_LANGUAGES:
        path = DATA / args.set / f"{lang}.jsonl"
        if not path.exists():
            print(f"{path}: missing, skipped", file=sys.stderr)
            continue
        result = evaluate(path, args.errors)
        results.append(result)
        print(
            f"\n{lang}: {result['replies']} replies, micro-F1 {result['micro_f1']:.3f} "
            f"(P {result['micro_precision']:.3f} R {result['micro_recall']:.3f}), "
            f"apology kind accuracy {result['apology_kind_accuracy']}"
        )
        print(f"  {'label':<14}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}")
        labels = result["labels"]
        assert isinstance(labels, dict)
        for label, m in labels.items():
            print(
                f"  {label:<14}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>5}"
            )
    print(json.dumps({"set": args.set, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
