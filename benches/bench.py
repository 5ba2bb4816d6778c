#!/usr/bin/env python3
"""Times deckforge, ankdown, genanki and the SQLite floor side by side; run through `benches/run.sh`.

For each size it generates a document (gen.py), builds it once with deckforge to get the exact
rows and fields every contender writes, then runs the contenders in turn, A B C D E A B C D E ...,
so background load hits them alike, and reports medians of wall time, peak memory (max RSS from
`/usr/bin/time -v`) and file size:

- deckforge --no-lock   Markdown in, .apkg out, the release binary;
- deckforge lock new    the same, creating the lock file (the lock is deleted before each run);
- deckforge lock again  a rebuild with that lock file present (nothing changed);
- ankdown 0.7.1         Markdown in, .apkg out, what a Markdown user would pick instead: the
                        same questions and answers in its `front / % / back / ---` syntax
                        (gen.py --ankdown), the whole process timed;
- genanki 0.13.1        the same notes, already parsed and rendered (JSON loading not timed);
- floor                 SQLite bulk insert of the same rows with Anki's indexes, then deflate
                        level 1 (benches/floor.rs; reading the rows not timed).

Usage: bench.py --deckforge BIN --floor BIN --python VENV_PYTHON [--sizes 1000,100000] [--reps 5]
                [--ankdown-max N]   (ankdown only up to N cards; default: every size)
"""

import argparse
import datetime
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = "1700000000"


def measured(command, env=None):
    """Runs `command` under /usr/bin/time -v; returns (wall seconds, max RSS bytes, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v", "-o", report.name, *command],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(command)}\n{done.stderr}")
        rss = next(int(line.split(":")[1]) * 1024 for line in report.read().splitlines()
                   if "Maximum resident set size" in line)
    return wall, rss, done.stdout


def rows_for_peers(apkg, workdir):
    """Unpacks deckforge's package: its collection (for the floor) and a JSON of notes (genanki)."""
    collection = os.path.join(workdir, "reference.anki2")
    with zipfile.ZipFile(apkg) as z, open(collection, "wb") as out:
        out.write(z.read("collection.anki2"))
    db = sqlite3.connect(collection)
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    model = next(iter(models.values()))
    deck = next(d for d in decks.values() if d["id"] != 1)
    notes = [{"guid": guid, "fields": flds.split("\x1f"), "tags": tags.split()}
             for guid, flds, tags in db.execute("SELECT guid, flds, tags FROM notes ORDER BY id")]
    db.close()
    cards = os.path.join(workdir, "cards.json")
    with open(cards, "w", encoding="utf-8") as f:
        json.dump({
            "deck_id": deck["id"], "deck_name": deck["name"],
            "model": {"id": model["id"], "name": model["name"],
                      "fields": [f["name"] for f in model["flds"]],
                      "templates": [{"name": t["name"], "qfmt": t["qfmt"], "afmt": t["afmt"]}
                                    for t in model["tmpls"]],
                      "css": model["css"]},
            "notes": notes,
        }, f)
    return collection, cards


def bench_size(n, args, workdir):
    source = os.path.join(workdir, f"deck-{n}.md")
    # ankdown reads every .md file of a folder, so its copy of the deck has a folder of its own.
    ankdown_source = os.path.join(workdir, f"ankdown-{n}", "deck.md")
    if not (os.path.exists(source) and os.path.exists(ankdown_source)):
        os.makedirs(os.path.dirname(ankdown_source), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), str(n), source,
                        "--ankdown", ankdown_source], check=True)
    # A million cards are a 235 MB document, over the default 64 MiB input cap.
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, DECKFORGE_MAX_INPUT_BYTES=str(1 << 30))
    out = {name: os.path.join(workdir, f"{name}-{n}.apkg")
           for name in ("nolock", "lock", "ankdown", "genanki", "floor")}
    lock = os.path.join(workdir, f"deck-{n}.lock")
    build = [args.deckforge, "build", source, "-q", "-o"]
    measured([*build, out["nolock"], "--no-lock"], env)
    collection, cards = rows_for_peers(out["nolock"], workdir)

    def lock_new():
        if os.path.exists(lock):
            os.remove(lock)
        return measured([*build, out["lock"], "--lock", lock], env)

    contenders = {
        "deckforge --no-lock": lambda: measured([*build, out["nolock"], "--no-lock"], env),
        "deckforge lock new": lock_new,
        "deckforge lock again": lambda: measured([*build, out["lock"], "--lock", lock], env),
        "ankdown": lambda: measured([os.path.join(os.path.dirname(args.python), "ankdown"),
                                     "-r", os.path.dirname(ankdown_source), "-p", out["ankdown"]]),
        "genanki": lambda: measured([args.python, os.path.join(HERE, "genanki_build.py"),
                                     cards, out["genanki"]]),
        "floor": lambda: measured([args.floor, collection, out["floor"]]),
    }
    if args.ankdown_max is not None and n > args.ankdown_max:
        del contenders["ankdown"]
    inner_timed = {"genanki", "floor"}
    samples = {name: [] for name in contenders}
    for rep in range(args.reps):
        for name, run in contenders.items():
            wall, rss, stdout = run()
            seconds = float(stdout.strip()) if name in inner_timed else wall
            samples[name].append((seconds, rss))
        print(f"  {n}: rep {rep + 1}/{args.reps} done, load {os.getloadavg()[0]:.2f}",
              file=sys.stderr)
    sizes = {
        "deckforge --no-lock": os.path.getsize(out["nolock"]),
        "deckforge lock new": os.path.getsize(out["lock"]),
        "deckforge lock again": os.path.getsize(out["lock"]),
        "genanki": os.path.getsize(out["genanki"]),
        "floor": os.path.getsize(out["floor"]),
    }
    if "ankdown" in contenders:
        sizes["ankdown"] = os.path.getsize(out["ankdown"])
    result = {}
    for name, values in samples.items():
        result[name] = {
            "seconds": statistics.median(s for s, _ in values),
            "seconds_all": [round(s, 4) for s, _ in values],
            "max_rss": statistics.median(r for _, r in values),
            "bytes": sizes[name],
        }
    for path in (collection, cards, out["genanki"], out["floor"], out["ankdown"]):
        if os.path.exists(path):
            os.remove(path)
    return result


def table(results):
    lines = ["| cards | contender | median s | ankdown's time / this | genanki's time / this "
             "| time vs floor | file MB | file vs floor | peak RSS MiB | RSS vs genanki |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, result in results.items():
        genanki, floor = result["genanki"], result["floor"]
        ankdown = result.get("ankdown")
        for name, r in result.items():
            versus_ankdown = f"{ankdown['seconds'] / r['seconds']:.2f}" if ankdown else "-"
            lines.append(
                f"| {int(n):,} | {name} | {r['seconds']:.3f} | {versus_ankdown} "
                f"| {genanki['seconds'] / r['seconds']:.2f} "
                f"| {r['seconds'] / floor['seconds']:.2f} | {r['bytes'] / 1e6:.1f} "
                f"| {r['bytes'] / floor['bytes']:.2f} | {r['max_rss'] / 2**20:.0f} "
                f"| {r['max_rss'] / genanki['max_rss']:.2f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deckforge", required=True)
    parser.add_argument("--floor", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--ankdown-max", type=int, default=None)
    parser.add_argument("--workdir", default=os.path.join(HERE, "..", "target", "bench"))
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    started = datetime.datetime.now()
    load_before = os.getloadavg()
    results = {}
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"{n} cards ...", file=sys.stderr)
        results[n] = bench_size(n, args, args.workdir)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "reps": args.reps,
        "results": results,
    }
    path = os.path.join(args.workdir, f"results-{started:%Y%m%d-%H%M%S}.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"\n{report['date']}, {report['machine']}, {args.reps} repetitions (medians)")
    print(f"load average before {load_before[0]:.2f}, after {report['load_after'][0]:.2f}\n")
    print(table(results))
    print(f"\nraw figures: {path}")


if __name__ == "__main__":
    main()
