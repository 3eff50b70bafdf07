"""Review screen responsiveness on a large case: time to the first screen, and per answer.

Builds a case with N candidates (default 100,000: items with a capture, two lexicon hits and a
score each, plus earlier verdicts on a tenth of them), then measures
  1. in process: open the case, select the unreviewed candidates in score order, draw screen 1;
  2. the real command, `toolkit review CASE` in a fresh Python (startup and imports included),
     until its first screen is on stderr;
  3. the time per answer while walking (verdict committed, next screen drawn);
  4. `toolkit review CASE --export` of every candidate.

    PYTHONPATH=. python bench/review_bench.py [--items 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from toolkit.case import init_case, open_case
from toolkit.cli.cmd_review import start_session
from toolkit.cli.keys import StreamKeys
from toolkit.cli.review_screen import run_screen
from toolkit.cohort.session import ReviewSession
from toolkit.store.reviews import CandidateFilter, candidate_ids

WORDS = ("cruce seguro a USA", "pago al llegar", "sin papeles", "salida esta semana", "Reynosa McAllen", "WhatsApp",
         "viaje", "familia", "noticias", "asilo", "Tijuana", "frontera")


def build(root: Path, items: int, seed: int = 7) -> None:
    """A case with `items` scored candidates written in bulk (the way scan + tagger would leave them)."""
    rng = random.Random(seed)
    init_case(root).close()
    with open_case(root) as case:
        db = case.db
        db.execute("BEGIN")
        item_rows, capture_rows, hit_rows, score_rows, review_rows = [], [], [], [], []
        hit_id = 0
        for n in range(1, items + 1):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))) + f" +52 55 5555 {n % 10000:04d}"
            item_rows.append((n, "facebook", "page", f"pagina{n}.ejemplo", f"https://www.facebook.com/pagina{n}.ejemplo",
                              f"Página {n}", "2021-04-10T12:00:00Z", "2021-04-10T12:00:00Z", "2021-04-10T12:00:00Z"))
            capture_rows.append((n, n, "2021-04-10T12:00:00Z", "available", f"Página {n}", text, rng.randint(0, 50000)))
            for term in ("pago al llegar", "sin papeles"):
                start = text.find(term)
                if start >= 0:
                    hit_id += 1
                    hit_rows.append((hit_id, n, n, "smuggling-es@1", term, "smuggling_offer", "text", start, start + len(term)))
            score_rows.append((n, n, '["smuggling-es@1"]', round(rng.random() * 10, 2), "smuggling_offer",
                               '{"terms": ["pago al llegar"], "signals": ["price", "contact"]}', "2021-04-10T12:00:00Z"))
            if n % 10 == 0:
                review_rows.append((n, "violating", "smuggling_offer", "bench", "2021-04-11T00:00:00Z", "screen"))
        db.executemany("INSERT INTO item(id, platform, kind, key, url, name, first_seen, last_seen, added_at) VALUES (?,?,?,?,?,?,?,?,?)", item_rows)
        db.executemany("INSERT INTO capture(id, item_id, observed_at, status, name, text, followers) VALUES (?,?,?,?,?,?,?)", capture_rows)
        db.executemany("INSERT INTO hit(id, capture_id, item_id, lexicon, term, category, field, start, end) VALUES (?,?,?,?,?,?,?,?,?)", hit_rows)
        db.executemany("INSERT INTO score(item_id, capture_id, lexicons, score, category, explanation, scored_at) VALUES (?,?,?,?,?,?,?)", score_rows)
        db.executemany("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at, origin) VALUES (?,?,?,?,?,?)", review_rows)
        db.execute("COMMIT")
        db.execute("ANALYZE")


def first_screen_in_process(root: Path) -> tuple[float, float, int]:
    """Seconds to the first screen (the command's own path: head of the list first), seconds to
    read the whole ordered list, and its length."""
    started = time.perf_counter()
    stamps: list[float] = []
    with open_case(root) as case:
        session = start_session(case.db, CandidateFilter(unreviewed_by="bench"), "bench")
        assert session is not None
        run_screen(session, StreamKeys(io.StringIO("q")), Console(file=io.StringIO(), width=120),
                   on_render=lambda: stamps.append(time.perf_counter()))
        listed = time.perf_counter()
        candidate_ids(case.db, CandidateFilter(unreviewed_by="bench"))
        full = time.perf_counter() - listed
    return stamps[0] - started, full, len(session.ids)


def first_screen_command(root: Path) -> float:
    """Wall time from starting `python -m toolkit review` until its first screen has been written."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "review", str(root), "--reviewer", "bench2"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert proc.stderr is not None and proc.stdin is not None
    seen = b""
    while b"Candidate 1 of" not in seen or b"q quit" not in seen:
        chunk = proc.stderr.read1(65536)
        if not chunk:
            break
        seen += chunk
    elapsed = time.perf_counter() - started
    proc.stdin.write(b"q")
    proc.stdin.close()
    proc.wait()
    if b"Candidate 1 of" not in seen:
        raise SystemExit("the command did not draw a screen:\n" + seen.decode(errors="replace"))
    return elapsed


def per_answer(root: Path, answers: int) -> float:
    stamps: list[float] = []
    with open_case(root) as case:
        ids = candidate_ids(case.db, CandidateFilter(unreviewed_by="bench3"))
        session = ReviewSession(case.db, ids, "bench3", lambda: "2021-04-12T00:00:00Z")
        run_screen(session, StreamKeys(io.StringIO("vn" * (answers // 2) + "q")), Console(file=io.StringIO(), width=120),
                   on_render=lambda: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def export_time(root: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "toolkit", "review", str(root), "--all", "--export", str(out)],
                   check=True, env=env, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="Build the case here and keep it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "bench-case"
        started = time.perf_counter()
        build(root, args.items)
        print(f"built a case with {args.items:,} candidates in {time.perf_counter() - started:.1f} s")
        seconds, full, count = first_screen_in_process(root)
        print(f"first screen, in process: {seconds * 1000:.0f} ms "
              f"(the whole ordered list of {count:,} unreviewed candidates, read after it: {full * 1000:.0f} ms)")
        print(f"first screen, `toolkit review` command (Python startup included): {first_screen_command(root) * 1000:.0f} ms")
        print(f"per answer (verdict committed + next screen): {per_answer(root, args.answers) * 1000:.1f} ms over {args.answers} answers")
        print(f"export of all {args.items:,} candidates to CSV: {export_time(root, Path(tmp) / 'sheet.csv'):.2f} s")


if __name__ == "__main__":
    main()
