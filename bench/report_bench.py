"""Benchmark `toolkit report` (and `toolkit items`) on a generated case: N items x W waves.

The case is written through the current schema (`init_case`, rows inserted with SQL) and sealed
in the custody log, like a case the commands built: items under pages, captures from three sources
(one dated at import time), hits, contact points shared in clusters, scores, reviews (some
changed), notices on four channels (a few voided, some given twice), waves of live, browser,
export and manual checks with login walls, rate limits, errors and retries, not_seen in an export
wave, Wayback lookups, canary rounds every 100 checks (a few failing: blind stretches),
screenshots, merged aliases and identity conflicts.

Each measured run copies the case, then runs, in a fresh process with the given interpreter and
from a neutral folder (so the interpreter's own installed `toolkit` is the one imported):

- `toolkit report` through `write_report` (what the command does) with the progress callback
  timing each stage: wall and CPU seconds and the peak memory (VmHWM, reset at every stage; the
  process's peak is the highest of them);
- `toolkit items --format json` (the listing reads the same status rule).

With `--before` (another interpreter, e.g. main's virtualenv, or a source tree of `toolkit` such as
a worktree of the commit before a change, run by this interpreter with that tree first on its path)
both run in alternating order, round after round, and the report files and item listings of the two
are compared (the stamp's toolkit and library versions apart): the "before" and "after" figures come
from the same run of the machine.

    python bench/report_bench.py [--items 100000] [--waves 5] [--rounds 2] [--before PYTHON_OR_TREE]
                                 [--after PYTHON_OR_TREE] [--keep DIR] [--profile OUT.prof]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from toolkit.case import init_case, load_config
from toolkit.store import events

START = datetime(2021, 3, 1, tzinfo=UTC)
AS_OF = "2021-12-31"
KINDS = ("page", "page", "page", "group", "post", "post", "listing", "video", "channel", "profile")
PLATFORM = {"page": "facebook", "group": "facebook", "post": "facebook", "listing": "facebook", "profile": "facebook",
            "video": "tiktok", "channel": "telegram"}
CANARIES = {"facebook": ["https://www.facebook.com/canary.a", "https://www.facebook.com/canary.b"],
            "tiktok": ["https://www.tiktok.com/@canary"]}
CANARY_EVERY = 100
# What a live look shows of an item that is still up: mostly the page, sometimes a wall or a failure.
LIVE_LOOK = (("available", None),) * 88 + (("login_required", "login-wall"),) * 6 + (("error", "http-503"),) * 3 \
    + (("rate_limited", "http-429"),) * 2 + (("restricted", "checkpoint"),)
DATE_SOURCE = {"live": "clock", "browser": "clock", "export": "export_field", "manual": "given", "wayback": "archive"}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def wave_plan(waves: int) -> list[tuple[str, ...]]:
    """The methods of each wave: live first, then live with browser, an export wave, manual, live."""
    plan = [("live",), ("live", "browser"), ("export",), ("live", "manual"), ("live",)]
    out = [plan[w % len(plan)] for w in range(waves)]
    out[-1] = (*out[-1], "wayback")
    return out


def generate(root: Path, items: int, waves: int, seed: int = 1, screenshots: bool = True) -> dict[str, int]:
    """Write the case into `root` (a fresh folder); return the row counts. With `screenshots`, browser
    checks carry screenshot attachments whose evidence files are not written (`verify` then names
    them missing): leave them out for a case that must verify intact."""
    rng = random.Random(seed)
    case = init_case(root)
    # The template ends with its [canary] table: the canaries go under it.
    (root / "case.toml").write_text((root / "case.toml").read_text(encoding="utf-8") + "".join(
        f'{platform} = {json.dumps(urls)}\n' for platform, urls in CANARIES.items()), encoding="utf-8")
    assert load_config(root)["canary"]["facebook"] == CANARIES["facebook"]
    db = case.db
    db.execute("BEGIN")
    sources = [("zeeschuimer", "zeeschuimer@1", "exports/busqueda.ndjson", START + timedelta(days=41)),
               ("crowdtangle", "crowdtangle@1", "exports/crowdtangle-2021-04-10.csv", START + timedelta(days=41)),
               ("urls", "urls@1", "exports/tracked-urls.txt", START + timedelta(days=42))]
    for n, (fmt, importer, path, at) in enumerate(sources, start=1):
        db.execute("INSERT INTO source(id, sha256, size, format, importer, path, imported_at, collected_at, records_read,"
                   " records_mapped, records_failed, items_new, items_seen, captures) VALUES (?,?,?,?,?,?,?,?,?,?,0,?,0,?)",
                   (n, sha(path), items * 300, fmt, importer, path, iso(at), iso(at), items, items, items, items))
    item_rows, capture_rows, hit_rows, indicator_rows, score_rows, review_rows, notice_rows = [], [], [], [], [], [], []
    first_seen, kind_of, pages, merged = {}, {}, [], {}
    capture_id = 0
    for i in range(1, items + 1):
        kind = rng.choice(KINDS)
        platform = PLATFORM[kind]
        kind_of[i] = kind
        source = 3 if rng.random() < 0.03 else rng.choice((1, 2))
        seen = START + timedelta(minutes=rng.randrange(0, 40 * 24 * 60))
        if source == 3:  # a URL list says nothing of when: dated at its import
            seen = sources[2][3]
        first_seen[i] = seen
        parent = rng.choice(pages) if kind == "post" and pages else None
        if kind == "page":
            pages.append(i)
        if i > 100 and rng.random() < 0.005:  # a page also known by its numeric id, merged into the first
            target = rng.randrange(1, i)
            if target not in merged and kind_of[target] == kind:
                merged[i] = target
        key = f"bench.{kind}.{i}"
        url = f"https://t.me/bench_{i}" if platform == "telegram" else f"https://www.{platform}.com/{key}"
        item_rows.append((i, platform, kind, key, url, f"Cruce seguro {i}", parent, iso(seen), iso(seen), iso(seen),
                          merged.get(i)))
        audience = rng.randrange(10, 50_000)
        text = f"Cruce seguro a EEUU, pregunta por WhatsApp {i}" if rng.random() < 0.8 else None
        for n in range(1 if rng.random() < 0.6 else 2):
            capture_id += 1
            at = seen + timedelta(days=20 * n)
            figure = audience + n * rng.randrange(0, 2000)
            capture_rows.append((capture_id, i, source if n == 0 else rng.choice((1, 2)), iso(at), "available",
                                 f"Cruce seguro {i}", text, figure if kind != "group" else None,
                                 figure if kind == "group" else None,
                                 "import_time" if source == 3 and n == 0 else "export_field"))
            if n == 0:
                language = "es" if rng.random() < 0.85 else rng.choice(("en", "pt"))
                for term in ("cruzar", "coyote")[:rng.choice((1, 2))]:
                    hit_rows.append((capture_id, i, f"smuggling-{language}@1", term, "smuggling_offer", language))
                if rng.random() < 0.3:  # shared numbers: clusters of a few items
                    number = f"+5255{rng.randrange(0, max(items // 4, 1)):08d}"
                    indicator_rows.append((capture_id, i, rng.choice(("phone", "whatsapp")), number, number[3:],
                                           "indicators@1"))
                if rng.random() < 0.05:
                    handle = f"@cruces_{rng.randrange(0, max(items // 10, 1))}"
                    indicator_rows.append((capture_id, i, "telegram", handle, handle, "indicators@1"))
                if rng.random() < 0.2:
                    indicator_rows.append((capture_id, i, "price", "8000 USD", "$8,000", "indicators@1"))
                score_rows.append((i, capture_id, '["smuggling-es@1"]', rng.uniform(20, 100), "smuggling_offer",
                                   '{"summary": "cruzar"}', iso(START + timedelta(days=42))))
        roll = rng.random()
        reviewed = iso(seen + timedelta(days=1))
        if roll < 0.2:
            review_rows.append((i, "unsure", None, "bench", iso(seen + timedelta(hours=12))))
        if roll < 0.02:
            continue  # never reviewed
        verdict = "violating" if roll < 0.94 else rng.choice(("not_violating", "unsure"))
        category = rng.choice(("smuggling_offer", "drug_sale", "smuggling_information", "smuggling_solicitation"))
        review_rows.append((i, verdict, category if verdict == "violating" else None, "bench", reviewed))
        if verdict == "violating" and rng.random() < 0.6:
            channel = rng.choice(("platform_request", "platform_request", "in_app", "dsa_notice", "trusted_flagger"))
            when = START + timedelta(days=rng.choice((42, 45, 60)), hours=rng.randrange(0, 8))
            notice_rows.append((i, iso(when), channel, f"REF-{i}" if channel != "in_app" else None, iso(when)))
            if rng.random() < 0.05:
                notice_rows.append((i, iso(when + timedelta(days=10)), "dsa_notice", f"DSA-{i}", iso(when)))
    db.executemany("INSERT INTO item(id, platform, kind, key, url, name, parent_id, first_seen, last_seen, added_at,"
                   " merged_into) VALUES (?,?,?,?,?,?,?,?,?,?,?)", item_rows)
    db.executemany("INSERT INTO item_alias(platform, kind, key, item_id, source_id, added_at) VALUES (?,?,?,?,2,?)",
                   [(PLATFORM[kind_of[m]], kind_of[m], f"id:{m}", m, iso(START)) for m in merged])
    db.executemany("INSERT INTO capture(id, item_id, source_id, observed_at, status, name, text, followers, members,"
                   " date_source) VALUES (?,?,?,?,?,?,?,?,?,?)", capture_rows)
    db.executemany("INSERT INTO hit(capture_id, item_id, lexicon, term, category, language) VALUES (?,?,?,?,?,?)", hit_rows)
    db.executemany("INSERT INTO indicator(capture_id, item_id, type, value, matched, extractor) VALUES (?,?,?,?,?,?)",
                   indicator_rows)
    db.executemany("INSERT INTO score(item_id, capture_id, lexicons, score, category, explanation, scored_at)"
                   " VALUES (?,?,?,?,?,?,?)", score_rows)
    db.executemany("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at) VALUES (?,?,?,?,?)",
                   sorted(review_rows, key=lambda r: r[4]))
    db.executemany("INSERT INTO notice(item_id, noticed_at, channel, reference, recorded_at) VALUES (?,?,?,?,?)",
                   sorted(notice_rows, key=lambda r: r[1]))
    notices = db.execute("SELECT count(*) FROM notice").fetchone()[0]
    db.executemany("INSERT INTO notice_void(notice_id, why, voided_by, voided_at) VALUES (?,?,?,?)",
                   [(n, "wrong item", "bench", iso(START + timedelta(days=50))) for n in range(7, notices, 331)])
    db.executemany("INSERT INTO identity_conflict(platform, kind, key, item_id, other_id, source_id, reason, added_at)"
                   " VALUES (?,?,?,?,?,2,?,?)",
                   [("facebook", "page", f"id:9{i}", i, i - 1, "ids differ", iso(START)) for i in pages[1::997]])
    _checks(db, rng, items, waves, first_seen, kind_of, screenshots)
    db.execute("COMMIT")
    _seal(db)
    counts = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in ("item", "capture", "review", "notice", "check", "canary_check", "event")}
    db.close()
    return counts


def _checks(db, rng: random.Random, items: int, waves: int, first_seen: dict, kind_of: dict,
            screenshots: bool) -> None:
    """Every tracked item looked at in every wave, by each of the wave's methods, with canary rounds."""
    gone_after = {i: rng.expovariate(1 / 30) for i in range(1, items + 1)}
    tracked = list(range(1, items + 1))
    check_id = 0
    check_rows, canary_rows, attachment_rows = [], [], []
    for w, methods in enumerate(wave_plan(waves)):
        started = START + timedelta(days=49 + 7 * w)
        wave_id = db.execute("INSERT INTO wave(name, started_at, methods) VALUES (?,?,?)",
                             (f"w{w + 1}", iso(started), json.dumps(list(methods)))).lastrowid
        for method in methods:
            looked = tracked if method in ("live", "export") else rng.sample(tracked, len(tracked) // (5 if method != "wayback" else 20))
            looked = sorted(looked, key=lambda i: rng.random())  # the order the run took them in
            run, rounds, since = f"{iso(started)}/{w}{method}", 0, CANARY_EVERY
            for n, i in enumerate(looked):
                if method in ("live", "browser") and since >= CANARY_EVERY:
                    rounds, since = rounds + 1, 0
                    _canary_round(canary_rows, rng, wave_id, method, run, rounds, check_id,
                                  started + timedelta(seconds=n * 3))
                since += 1
                at = started + timedelta(seconds=n * 3 + rng.randrange(0, 3))
                days = (at - first_seen[i]).total_seconds() / 86400
                if method == "wayback":  # an archived copy from weeks before
                    at = first_seen[i] + timedelta(days=rng.uniform(1, 20))
                    status, reason = ("available", None)
                elif days > gone_after[i]:
                    status, reason = ("unavailable", None) if i % 7 else ("account_gone", "page-gone")
                    status = "removed" if i % 11 == 0 else status
                    if kind_of[i] == "listing" and i % 3 == 0:
                        status = "sold"
                elif method == "export":
                    status, reason = ("available", None) if rng.random() < 0.95 else ("not_seen", "missing-from-export")
                else:
                    status, reason = rng.choice(LIVE_LOOK)
                date_source = DATE_SOURCE[method] if rng.random() > 0.01 or method != "export" else "import_time"
                check_id += 1
                check_rows.append((check_id, i, wave_id, iso(at), method, status, reason, f"facebook-page@{1 + w // 3}",
                                   date_source))
                if method == "browser" and screenshots:
                    attachment_rows.append((check_id, "screenshot", sha(f"shot{check_id}"), "image/png", 80_000, 1280, 4000))
                if status in ("login_required", "error", "rate_limited") and rng.random() < 0.5:
                    check_id += 1  # looked at again later in the run
                    check_rows.append((check_id, i, wave_id, iso(at + timedelta(minutes=30)), method,
                                       "unavailable" if days > gone_after[i] else "available", None,
                                       f"facebook-page@{1 + w // 3}", date_source))
            if method in ("live", "browser"):
                _canary_round(canary_rows, rng, wave_id, method, run, rounds + 1, check_id,
                              started + timedelta(seconds=len(looked) * 3))
    db.executemany('INSERT INTO "check"(id, item_id, wave_id, observed_at, method, status, reason, detector, date_source)'
                   " VALUES (?,?,?,?,?,?,?,?,?)", check_rows)
    db.executemany("INSERT INTO canary_check(wave_id, method, run, round, after_check, platform, url, observed_at,"
                   " status, reason, detector) VALUES (?,?,?,?,?,?,?,?,?,?,?)", canary_rows)
    db.executemany("INSERT INTO attachment(check_id, role, sha256, media_type, size, width, height) VALUES (?,?,?,?,?,?,?)",
                   attachment_rows)


def _canary_round(rows: list, rng: random.Random, wave_id: int, method: str, run: str, number: int, after: int,
                  at: datetime) -> None:
    for platform, urls in CANARIES.items():
        for url in urls:
            walled = rng.random() < 0.01  # now and then a canary reads a login wall: a blind stretch
            rows.append((wave_id, method, run, number, after, platform, url, iso(at),
                         "login_required" if walled else "available", "login-wall" if walled else None,
                         f"{platform}-page@1"))


def _seal(db) -> None:
    """Chain every row into the custody log, as the commands that wrote them would have: the fact
    rows with the log's own content and event hashes (`events.seal` works row by row, too slow for
    a bench case), then the derived rows' leaves by `events.seal` itself."""
    # The chain goes on from what the case already holds (init_case records the schema and context).
    prev, sealed_at, rows = events.head(db)[1], iso(datetime.now(UTC)), []
    db.execute("BEGIN")
    for kind in events.CHAINED:
        for (ref_id,) in db.execute(f'SELECT id FROM "{kind}" ORDER BY id').fetchall():
            content = events.content_hash(db, kind, ref_id)
            digest = events.event_hash(prev, kind, ref_id, content, sealed_at, None)
            rows.append((sealed_at, kind, ref_id, content, prev, digest))
            prev = digest
    db.executemany("INSERT INTO event(sealed_at, kind, ref_id, content, prev, hash) VALUES (?,?,?,?,?,?)", rows)
    db.execute("COMMIT")
    # Derived rows (state tables) are digested by leaf, as every command's seal does: done here once,
    # so the first measured command does not pay for the whole case's leaves.
    events.seal(db)
    assert events.unsealed(db) == 0


# Run by the measured interpreter, from a neutral folder: what `toolkit report` does, stage by stage.
CHILD = r"""
import json, os, sys, time
t0, c0 = time.perf_counter(), time.process_time()
stages = []
def hwm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
def reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
mark = [None, t0, c0]
def stage(name):
    now, cpu = time.perf_counter(), time.process_time()
    if mark[0] is not None:
        stages.append((mark[0], now - mark[1], cpu - mark[2], hwm()))
    reset()
    mark[:] = [name, now, cpu]
stage("start-up (imports)")
import toolkit
from toolkit.case import open_case
from toolkit.report import parse_formats, write_report
from toolkit.store.report_queries import latest_event
from pathlib import Path
case, out, profile = sys.argv[1], sys.argv[2], sys.argv[3]
if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
stage("open case")
with open_case(case) as opened:
    written = write_report(opened.db, opened.config, sys.argv[4], Path(out), parse_formats("md,html,csv,json"),
                           case_name=opened.name, progress=stage)
stage(None)
if profile:
    profiler.disable()
    profiler.dump_stats(profile)
print(json.dumps({"toolkit": toolkit.__file__, "stages": stages, "headline": written.report.headline,
                  "cohort": written.report.cohort}))
"""


# The peak memory of a measured process is its own VmHWM, read by `/usr/bin/time` (a small process
# that forks it): the ru_maxrss that wait4 reports to this process would start from this process's
# own size at the fork (the generated case's rows), not from the child's.
PEAK = ("/usr/bin/time", "-f", "%M")


def run_measured(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a command; return wall seconds, CPU seconds (user + system) and peak memory (MiB) of that process."""
    with tempfile.NamedTemporaryFile(prefix="peak-", suffix=".txt") as peak_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen([*PEAK, "-o", peak_file.name, *args], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stdout_chunks = []
        while chunk := proc.stdout.read(1 << 20):
            stdout_chunks.append(chunk)
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if status:
            sys.exit(f"{' '.join(args)} failed:\n{err.decode(errors='replace')}")
        peak_kib = int(Path(peak_file.name).read_text().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024, b"".join(stdout_chunks).decode()


def fresh_copy(template: Path, where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for name in ("case.toml", "case.db"):
        shutil.copy2(template / name, where / name)
    (where / "evidence").mkdir()
    return where


def interpreter(spec: str) -> tuple[str, dict[str, str]]:
    """The interpreter to run and its environment: `spec` is an interpreter, or a source tree that
    this interpreter runs with that tree first on its path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if Path(spec).is_dir():
        return sys.executable, {**env, "PYTHONPATH": str(Path(spec).resolve())}
    return spec, env


def measure(label: str, spec: str, template: Path, work: Path, profile: str) -> dict:
    python, env = interpreter(spec)
    case = fresh_copy(template, work / f"case-{label}")
    out = work / f"report-{label}"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    wall, cpu, peak, stdout = run_measured([python, "-c", CHILD, str(case), str(out), profile, AS_OF + "T23:59:59Z"],
                                           work, env)
    found = json.loads(stdout.strip().splitlines()[-1])
    # The child resets its VmHWM at every stage (to give each stage its own peak), which lowers what
    # the kernel reports at its exit: the process's peak is the highest of its stages' peaks.
    peak = max([peak, *(stage_peak for *_, stage_peak in found["stages"])])
    print(f"\n[{label}] toolkit report ({found['toolkit']}), load average {load:.1f}: {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU, peak memory {peak:.0f} MiB")
    for name, seconds, cpu_seconds, stage_peak in found["stages"]:
        print(f"    {name:<42} {seconds:6.2f} s wall {cpu_seconds:6.2f} s CPU  peak {stage_peak:5.0f} MiB")
    items_wall, items_cpu, items_peak, listing = run_measured(
        [python, "-m", "toolkit", "items", str(case), "--format", "json"], work, env)
    print(f"    toolkit items --format json: {len(json.loads(listing)):,} items, {items_wall:.1f} s wall, "
          f"{items_cpu:.1f} s CPU, peak memory {items_peak:.0f} MiB")
    return {"wall": wall, "cpu": cpu, "peak": peak, "out": out, "headline": found["headline"],
            "items_wall": items_wall, "items_cpu": items_cpu, "listing": listing}


def compare(before: Path, after: Path) -> list[str]:
    """Report files that differ between the two runs (the stamp's versions apart)."""
    import re

    differ = []
    for path in sorted(after.iterdir()):
        a, b = path.read_text(encoding="utf-8"), (before / path.name).read_text(encoding="utf-8")
        if path.name in ("stamp.json", "report.json", "report.md", "report.html"):
            pattern = r'"(toolkit|numpy|pandas|scipy|networkx)": "[^"]*"|toolkit [0-9][^ <|,]*'
            a, b = re.sub(pattern, "", a), re.sub(pattern, "", b)
        if a != b:
            line = next((n for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), 1) if x != y), None)
            differ.append(f"{path.name} (first difference at line {line})")
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="Measured runs per interpreter (alternating).")
    parser.add_argument("--before", help="Another interpreter (e.g. main's virtualenv), or a source tree of toolkit "
                                         "(e.g. a worktree of the commit before a change), to measure against.")
    parser.add_argument("--after", default=sys.executable,
                        help="The interpreter or source tree measured as 'after' (default: this interpreter).")
    parser.add_argument("--keep", type=Path, help="Work here and keep the case (default: a temporary folder).")
    parser.add_argument("--profile", help="Write a cProfile of the (first) measured report to this file.")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    template = base / f"bench-{args.items}x{args.waves}"
    if not (template / "case.db").exists():
        shutil.rmtree(template, ignore_errors=True)
        t0 = time.perf_counter()
        counts = generate(template, args.items, args.waves)
        print(f"generated in {time.perf_counter() - t0:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
              + f"; case.db {(template / 'case.db').stat().st_size / 1e6:.0f} MB")
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    runs: dict[str, list[dict]] = {"after": [], "before": []}
    pythons = {"after": args.after, "before": args.before}
    for n in range(args.rounds):
        order = ["after", "before"] if n % 2 == 0 else ["before", "after"]
        for label in order:
            if pythons[label]:
                profile = str(Path(args.profile).resolve()) if args.profile and label == "after" and n == 0 else ""
                runs[label].append(measure(label, pythons[label], template, base, profile))
    for label, found in runs.items():
        if found:
            print(f"\n{label}: report " + ", ".join(f"{r['wall']:.1f} s wall / {r['cpu']:.1f} s CPU / {r['peak']:.0f} MiB"
                                                   for r in found)
                  + "; items " + ", ".join(f"{r['items_wall']:.1f} s wall / {r['items_cpu']:.1f} s CPU" for r in found))
    print("headline:", runs["after"][0]["headline"][0] if runs["after"][0]["headline"] else "")
    if runs["before"]:
        differ = compare(runs["before"][-1]["out"], runs["after"][-1]["out"])
        print("report files identical to before's" if not differ else "DIFFER from before's: " + "; ".join(differ))
        same = runs["before"][-1]["listing"] == runs["after"][-1]["listing"]
        print("items listing identical to before's" if same else "items listing DIFFERS from before's")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
