"""How fast the scorers label replies, and what the hybrid scorer costs in time and memory.

    python scripts/bench_scorer.py [--rounds 5] [--replies 1000] [--threads N]

Replies come from the scorer's training corpus (every language, typed and transcribed style).
Figures, each the median over rounds:
- lexicon: replies a second on one core (and, for scale, every lexicon pattern searched on its
  own, which is how a first version would do it);
- hybrid, bulk: replies a second through ``score_many`` (the encoder batches clauses), its
  cache emptied before every round;
- hybrid, live: milliseconds one reply takes (``score``), and how many more than the lexicons;
- memory: resident set size before and after loading the hybrid scorer and scoring.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
import tomllib

from voicesim.core.lexicon import LEXICON_DIR, SUPPORTED_LANGUAGES, _compile
from voicesim.scoring import scorer_named
from voicesim.scoring.corpus import read_corpus


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def naive_patterns(lang: str) -> list[re.Pattern[str]]:
    """Every pattern of the language's lexicon compiled on its own (no per-label alternation)."""
    data = tomllib.loads((LEXICON_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    macros = data.get("macros", {})
    numbers = "(?:\\d+|" + "|".join(re.escape(w) for w in data.get("numbers", ["one"])) + ")"
    patterns = []
    for label, table in data["labels"].items():
        for index, source in enumerate(table["patterns"] + table.get("specific", [])):
            patterns.append(_compile([source], macros, numbers, f"{lang}:{label}[{index}]"))
    return patterns


def naive_score(text: str, patterns: list[re.Pattern[str]]) -> int:
    normal = " ".join(re.findall(r"\w+", re.sub(r"['’]", "", text.lower())))
    return sum(1 for pattern in patterns if pattern.search(normal))


def by_language(replies: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for text, lang in replies:
        grouped.setdefault(lang, []).append(text)
    return grouped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--live", type=int, default=60, help="single replies timed for live use")
    args = parser.parse_args()
    rows = read_corpus()
    step = max(1, len(rows) // args.replies)
    replies = [(row.text, row.lang) for row in rows[::step]][: args.replies]
    lexicon = scorer_named("lexicon")
    for lang in SUPPORTED_LANGUAGES:  # compile outside the timing
        lexicon.score("warm up", lang)
    naive = {lang: naive_patterns(lang) for lang in SUPPORTED_LANGUAGES}

    lexicon_rates, naive_rates = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for text, lang in replies:
            lexicon.score(text, lang)
        lexicon_rates.append(len(replies) / (time.perf_counter() - start))
        start = time.perf_counter()
        for text, lang in replies:
            naive_score(text, naive[lang])
        naive_rates.append(len(replies) / (time.perf_counter() - start))

    before_mb = rss_mb()
    hybrid = scorer_named("hybrid")
    encoder = getattr(hybrid, "encoder", None)
    hybrid.score("warm up", "en")
    loaded_mb = rss_mb()
    bulk_rates = []
    for _ in range(args.rounds):
        if encoder is not None and hasattr(encoder, "forget"):
            encoder.forget()
        start = time.perf_counter()
        for lang, texts in by_language(replies).items():
            for first in range(0, len(texts), 64):
                hybrid.score_many(texts[first : first + 64], lang)
        bulk_rates.append(len(replies) / (time.perf_counter() - start))
    live = replies[:: max(1, len(replies) // args.live)][: args.live]
    hybrid_ms, lexicon_ms = [], []
    for text, lang in live:
        if encoder is not None and hasattr(encoder, "forget"):
            encoder.forget()
        start = time.perf_counter()
        hybrid.score(text, lang)
        hybrid_ms.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        lexicon.score(text, lang)
        lexicon_ms.append(1000 * (time.perf_counter() - start))
    after_mb = rss_mb()

    words = statistics.mean(len(text.split()) for text, _ in replies)
    figures = {
        "lexicon_replies_per_s": round(statistics.median(lexicon_rates)),
        "naive_replies_per_s": round(statistics.median(naive_rates)),
        "hybrid_replies_per_s": round(statistics.median(bulk_rates), 1),
        "hybrid_live_ms_median": round(statistics.median(hybrid_ms), 1),
        "hybrid_live_added_ms_median": round(
            statistics.median(hybrid_ms) - statistics.median(lexicon_ms), 1
        ),
        "hybrid_live_ms_p90": round(sorted(hybrid_ms)[int(0.9 * (len(hybrid_ms) - 1))], 1),
        "rss_before_hybrid_mb": round(before_mb),
        "rss_hybrid_loaded_mb": round(loaded_mb),
        "rss_after_mb": round(after_mb),
        "hybrid_added_mb": round(after_mb - before_mb),
        "rounds": args.rounds,
        "replies": len(replies),
        "mean_words": round(words, 1),
        "threads": os.environ.get("OMP_NUM_THREADS", "all"),
    }
    print(f"{len(replies)} replies (mean {words:.1f} words), {args.rounds} rounds, "
          f"encoder threads: {figures['threads']}")  # fmt: skip
    print(f"lexicon:           {figures['lexicon_replies_per_s']:>8} replies/s "
          f"(min {min(lexicon_rates):.0f}, max {max(lexicon_rates):.0f})")  # fmt: skip
    print(f"naive per-pattern: {figures['naive_replies_per_s']:>8} replies/s (labels only)")
    print(f"hybrid, bulk:      {figures['hybrid_replies_per_s']:>8} replies/s "
          f"(min {min(bulk_rates):.1f}, max {max(bulk_rates):.1f})")  # fmt: skip
    print(f"hybrid, live:      {figures['hybrid_live_ms_median']:>8} ms a reply "
          f"(+{figures['hybrid_live_added_ms_median']} ms over the lexicons; p90 "
          f"{figures['hybrid_live_ms_p90']} ms)")  # fmt: skip
    print(f"memory:            {figures['rss_before_hybrid_mb']} MB -> {figures['rss_after_mb']} MB "
          f"(+{figures['hybrid_added_mb']} MB for the hybrid scorer)")  # fmt: skip
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
