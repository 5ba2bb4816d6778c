#!/usr/bin/env python3
"""Score a deckforge binary against a folder of documents with hand-written expected lists.

For every NAME.md beside a NAME.expected.json (format of tests/fixtures/wild, see its README),
runs `deckforge build NAME.md -o OUT.csv --preset plain --no-lock --json` once and
`deckforge build NAME.md -o OUT.csv --no-lock` once (Anki CSV, HTML, to look for clutter in
the markup), and judges the cards as tests/testsuite/wild.rs does:

- a card belongs to the first unused expected entry whose question equals it (whitespace
  squashed); with `q_has`, the card's question must start with `q` and hold every `q_has` bit.
  The question compared is the Markdown question of the build report (`--json`), the same text
  wild.rs compares;
- it is right when its answer starts with `a` and holds every `a_has` bit, and no `clutter` is
  on it. Answers come from the plain-text preset, so both sides are compared on their words:
  HTML tags, `#`, `*`, backticks, `_` emphasis marks, list bullets and link targets are dropped
  on both sides. Answers are read from the Anki CSV (HTML) and compared on their words: wild.rs
  compares the Markdown answer the same way, except that link targets and backticks are also
  dropped here, because the rendered HTML has none;
- cards matching no expected question are stray; a `warned` question must appear in a warning;
- a document is rejected when deckforge exits non-zero or reads no card.

Usage: score.py DECKFORGE SET_DIR [--verbose] [--only NAME]
"""

import csv
import html
import json
import os
import re
import subprocess
import sys
import tempfile

csv.field_size_limit(1 << 30)


def squash(text):
    return " ".join(text.split())


TAG = re.compile(r"<[^>]*>")
BLOCK = re.compile(r"</?(?:p|li|br|div|pre|h[1-6]|tr|td|th|ul|ol|dl|dt|dd|blockquote|details|summary|table|thead|tbody|hr)\b[^>]*>", re.I)
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


def words(text):
    """An answer's words without markup, so Markdown and rendered HTML compare by content."""
    text = BLOCK.sub(" ", text)
    text = TAG.sub("", text)
    text = html.unescape(text)
    text = LINK.sub(r"\1", text)
    lines = [BULLET.sub("", line) for line in text.splitlines()]
    text = "\n".join(lines)
    # `>>>` prompts render as nested quotes; `>` is dropped on both sides.
    text = re.sub(r"[#*`•>]", "", text)
    text = re.sub(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])", "", text)
    # `$x$` math is written for Anki as `\\(x\\)`: both compare without delimiters.
    text = re.sub(r"\\[()\[\]]|\$", "", text)
    text = text.replace("\\", "")
    return squash(text)


def run_deckforge(binary, doc, workdir):
    plain = os.path.join(workdir, "plain.csv")
    anki = os.path.join(workdir, "anki.csv")
    for path in (plain, anki):
        if os.path.exists(path):
            os.remove(path)
    env = dict(os.environ, NO_COLOR="1", SOURCE_DATE_EPOCH="0")
    proc = subprocess.run(
        [binary, "build", doc, "-o", plain, "--preset", "plain", "--no-lock", "--json",
         "--color", "never"],
        capture_output=True, text=True, env=env, cwd=workdir)
    result = {"code": proc.returncode, "stderr": proc.stderr, "cards": [], "warnings": []}
    if proc.returncode != 0 or not os.path.exists(plain):
        return result
    report = json.loads(proc.stdout)
    questions = {c["guid"]: c["question"] for c in report.get("changes", [])}
    result["warnings"] = [d["message"] for d in report.get("diagnostics", [])]
    subprocess.run([binary, "build", doc, "-o", anki, "--no-lock", "-q", "--color", "never"],
                   capture_output=True, text=True, env=env, cwd=workdir)
    markup = {}
    if os.path.exists(anki):
        with open(anki, encoding="utf-8") as f:
            rows = [line for line in f if not line.startswith("#")]
        for row in csv.reader(rows):
            if len(row) >= 7:
                markup[row[6]] = (row[0], row[1])
    with open(plain, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            guid = row["id"]
            result["cards"].append({
                "question": questions.get(guid, row["question"]),
                "plain_question": row["question"],
                # The Anki CSV's HTML keeps `>>>` and a leading `=` that the plain preset
                # rewrites for spreadsheets; its tags are dropped when compared.
                "answer": markup[guid][1] if guid in markup else row["answer"],
                "plain_answer": re.sub(r"^'(?=[=+@-])", "", row["answer"]),
                "markup": "\n".join(markup.get(guid, ("", ""))),
            })
    return result


def question_matches(card, exp):
    """Exact, whitespace aside, as wild.rs; or equal once inline markup is dropped, so a
    `<code>x</code>` written in a `<summary>` matches the same question read as `` `x` ``."""
    question = squash(card["question"])
    wanted = squash(exp["q"])
    if not exp.get("q_has"):
        return question == wanted or (words(question) == words(wanted) and words(wanted) != "")
    return question.startswith(wanted) or words(question).startswith(words(wanted))


def fault(card, exp, clutter):
    question = squash(card["question"])
    for bit in exp.get("q_has", []):
        if squash(bit) not in question and words(bit) not in words(card["plain_question"]):
            return "question lacks %r" % bit
    # Right when the rendered HTML or the plain text starts as expected: the plain preset keeps
    # what CommonMark turns into markup (an answer `443.` becomes an empty numbered list).
    got = words(card["answer"])
    if not got.startswith(words(exp["a"])):
        got = words(card["plain_answer"])
    # An answer made only of markup characters (`#`, `*`) is compared as it is written.
    raw = squash(html.unescape(TAG.sub(" ", card["answer"])))
    plain = squash(card["plain_answer"])
    literal = squash(exp["a"]) and (raw.startswith(squash(exp["a"]))
                                     or plain.startswith(squash(exp["a"])))
    if not got.startswith(words(exp["a"])) and not literal:
        return "answer starts %r" % words(card["answer"])[:70]
    if not got and not literal and not exp.get("a_has"):
        return "answer is empty"
    for bit in exp.get("a_has", []):
        # An image answer is checked by its alt text or address in the card's HTML.
        if (words(bit) not in got and words(bit) not in words(card["plain_answer"])
                and bit not in card["markup"]):
            return "answer lacks %r" % bit
    for bit in clutter:
        for text in (card["question"], card["answer"], card["markup"]):
            if bit in text:
                return "card holds clutter %r" % bit
    return None


def score_doc(binary, doc, expected_path, workdir):
    with open(expected_path, encoding="utf-8") as f:
        wanted = json.load(f)
    run = run_deckforge(binary, doc, workdir)
    cards = run["cards"]
    s = {"expected": len(wanted["cards"]), "read": len(cards), "right": 0, "wrong": 0,
         "missing": 0, "stray": 0, "rejected": run["code"] != 0 or not cards,
         "faults": []}
    if run["code"] != 0:
        first = run["stderr"].strip().splitlines()[:1]
        s["faults"].append("rejected (exit %d): %s" % (run["code"], first[0] if first else ""))
    used = [False] * len(cards)
    for exp in wanted["cards"]:
        found = None
        for i, card in enumerate(cards):
            if not used[i] and question_matches(card, exp):
                found = i
                break
        if found is None:
            s["missing"] += 1
            s["faults"].append("missing %r" % exp["q"])
            continue
        used[found] = True
        why = fault(cards[found], exp, wanted.get("clutter", []))
        if why is None:
            s["right"] += 1
        else:
            s["wrong"] += 1
            s["faults"].append("wrong %r: %s" % (exp["q"], why))
    for card, u in zip(cards, used):
        if not u:
            s["stray"] += 1
            s["faults"].append("stray %r" % squash(card["question"])[:100])
    for q in wanted.get("warned", []):
        if not any(q in w or words(q) in words(w) for w in run["warnings"]):
            s["faults"].append("no warning names %r" % q)
    return s


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    verbose = "--verbose" in argv
    only = None
    if "--only" in argv:
        only = argv[argv.index("--only") + 1]
        args.remove(only)
    if len(args) != 2:
        print(__doc__)
        return 2
    binary, folder = os.path.abspath(args[0]), args[1]
    names = sorted(n[:-3] for n in os.listdir(folder)
                   if n.endswith(".md") and n != "README.md"
                   and os.path.exists(os.path.join(folder, n[:-3] + ".expected.json")))
    if only:
        names = [n for n in names if only in n]
    header = "%-34s %8s %5s %5s %5s %5s %5s %6s %6s" % (
        "document", "expected", "read", "right", "wrong", "miss", "stray", "prec", "recall")
    print(header)
    tot = dict(expected=0, read=0, right=0, wrong=0, missing=0, stray=0, rejected=0, perfect=0)
    all_faults = []
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            doc = os.path.abspath(os.path.join(folder, name + ".md"))
            s = score_doc(binary, doc, os.path.join(folder, name + ".expected.json"), work)
            prec = s["right"] / s["read"] if s["read"] else 0.0
            rec = s["right"] / s["expected"] if s["expected"] else 1.0
            print("%-34s %8d %5d %5d %5d %5d %5d %6.2f %6.2f%s" % (
                name[:34], s["expected"], s["read"], s["right"], s["wrong"], s["missing"],
                s["stray"], prec, rec, "  REJECTED" if s["rejected"] else ""))
            for k in ("expected", "read", "right", "wrong", "missing", "stray"):
                tot[k] += s[k]
            tot["rejected"] += s["rejected"]
            tot["perfect"] += not s["faults"]
            all_faults.extend("%s: %s" % (name, f) for f in s["faults"])
    prec = tot["right"] / tot["read"] if tot["read"] else 0.0
    rec = tot["right"] / tot["expected"] if tot["expected"] else 0.0
    print("%-34s %8d %5d %5d %5d %5d %5d %6.2f %6.2f" % (
        "TOTAL (%d docs)" % len(names), tot["expected"], tot["read"], tot["right"], tot["wrong"],
        tot["missing"], tot["stray"], prec, rec))
    print("documents entirely right: %d of %d; rejected: %d; stray per 100 cards read: %.1f"
          % (tot["perfect"], len(names), tot["rejected"],
             100.0 * tot["stray"] / tot["read"] if tot["read"] else 0.0))
    if verbose:
        for f in all_faults:
            print("  " + f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
