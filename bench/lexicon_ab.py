"""Two sets of lexicon files timed against each other in one process, batch by batch.

`tag_bench.py` run in two checkouts one after the other measures code and lexicons together, and on
a shared machine the load changes between the runs. When only the lexicon files differ (a tuning
change), this benchmark keeps everything else equal: one process, one corpus (tag_bench's generated
posts, from set A's term spellings), the same code, and the two taggers take turns batch by batch,
so a burst of load from other processes falls on both. Each set is completed to the same number of
terms with tag_bench's generated words, as tag_bench does. It prints CPU seconds and posts/s per
set, the hit counts, and the ratio B/A.

Usage: python bench/lexicon_ab.py DIR_A DIR_B [--posts N] [--rounds R] [--engine hyperscan]
  DIR_A, DIR_B: folders of lexicon .toml files (e.g. another checkout's toolkit/lexicon/data).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tag_bench import make_posts, make_terms, write_lexicon

from toolkit.lexicon import Tagger, load_lexicon
from toolkit.lexicon.loader import check_set


def lexicon_set(folder: Path, seed: int, terms: int, tmp: Path, tag: str):
    """The folder's lexicons completed with generated terms to `terms` in all, and their spellings."""
    shipped = [load_lexicon(path) for path in sorted(folder.glob("*.toml"))]
    spellings = [t.term for lex in shipped for t in lex.terms if t.regex is None]
    rng = random.Random(seed)
    generated = make_terms(rng, max(0, terms - len(spellings)), {t.lower() for t in spellings})
    path = tmp / f"generated_{tag}.toml"
    write_lexicon(path, generated)
    return check_set([*shipped, load_lexicon(path)]), spellings + [t for t, _ in generated]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--terms", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the corpus, each tagger once per batch")
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--engine", default=None)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        set_a, spellings = lexicon_set(args.a, args.seed, args.terms, Path(tmp), "a")
        set_b, _ = lexicon_set(args.b, args.seed, args.terms, Path(tmp), "b")
    rng = random.Random(args.seed + 1)
    posts = make_posts(rng, args.posts, spellings + [t.upper() for t in spellings[:200]])
    batches = [[{"text": p} for p in posts[i : i + args.batch]] for i in range(0, len(posts), args.batch)]
    gc.collect()
    gc.freeze()

    cpu = {"a": 0.0, "b": 0.0}
    hits = {"a": 0, "b": 0}
    scored = {"a": 0, "b": 0}
    for round_number in range(args.rounds):
        # A new tagger per round, so that none answers from the memoised scores of the round before.
        taggers = {"a": Tagger(set_a, engine=args.engine), "b": Tagger(set_b, engine=args.engine)}
        for number, batch in enumerate(batches):
            order = ("a", "b") if (number + round_number) % 2 == 0 else ("b", "a")
            for name in order:
                started = time.process_time()
                tags = taggers[name].tag_batch(batch, indicators=False)
                cpu[name] += time.process_time() - started
                if round_number == 0:
                    hits[name] += len(tags.found.tid)
                    scored[name] += len(tags.category) - tags.category.count(None)
    total = len(posts) * args.rounds
    for name, folder in (("a", args.a), ("b", args.b)):
        print(f"{name}: {folder}  {cpu[name]:7.2f} CPU-s  {total / cpu[name]:>10,.0f} posts/s/core  "
              f"({hits[name]:,} hits, {scored[name]:,} posts with a category per pass)")
    print(f"B/A throughput: {cpu['a'] / cpu['b']:.3f} ({len(posts):,} posts x {args.rounds} rounds, "
          f"batches of {args.batch:,}, alternating within each batch)")


if __name__ == "__main__":
    main()
