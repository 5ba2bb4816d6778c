#!/usr/bin/env python3
"""The package round trip a deck author lives through, run against whichever Anki engine this
Python has installed (`pip install anki==VERSION`); tests/anki/versions.sh runs it once per version.

    versions.py DECKFORGE SOURCE.md WORKDIR

Builds SOURCE with DECKFORGE, imports it into a fresh collection, studies every card, edits the
source the way an author does (an answer fixed, a question reworded, one deleted, one added),
rebuilds, re-imports, and checks what a learner relies on: the edited note updated in place, the
reworded one kept its schedule, one new note and no duplicate, the review log untouched, one
note type (no `+` copy). Then the same with the Anki CSV (Anki 2.1.55 and later read its headers).
Then cloze and reversed notes: their cards as the engine renders them, a cloze edited and one
added, and questions that change kind (a new note each, the old one retired, no `+` copy).
Prints one JSON line per check; exit status 1 when any check fails.

Older engines have older Python APIs; each difference is handled where it appears:
  anki >= 23.10     col.import_anki_package(ImportAnkiPackageRequest(package_path, options))
  2.1.50 .. 23.09   col.import_anki_package(path)
  before 2.1.50     anki.importing.apkg.AnkiPackageImporter(col, path).run()
"""
import json
import os
import re
import shutil
import subprocess
import sys

from anki.collection import Collection

try:
    from anki.buildinfo import version as ANKI_VERSION
except ImportError:
    ANKI_VERSION = "unknown"

T1, T2 = "1700000000", "1700100000"
FAILED = []


def check(name, ok, detail=""):
    print(json.dumps({"anki": ANKI_VERSION, "check": name, "ok": bool(ok), "detail": detail}))
    if not ok:
        FAILED.append(name)


def build(deckforge, source, out, epoch):
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch)
    done = subprocess.run([deckforge, "build", source, "-o", out, "-q"], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"deckforge build {source} -o {out} failed: {done.stderr}")


def import_package(col, path):
    """Imports with the defaults of a fresh profile (update notes and note types if newer)."""
    path = os.path.abspath(path)
    try:
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
        from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as Condition
        if_newer = Condition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
        options = ImportAnkiPackageOptions(merge_notetypes=False, update_notes=if_newer,
                                           update_notetypes=if_newer, with_scheduling=False)
        return counts(col.import_anki_package(
            ImportAnkiPackageRequest(package_path=path, options=options)).log)
    except (ImportError, AttributeError, ValueError):
        pass
    if hasattr(col, "import_anki_package"):
        return counts(col.import_anki_package(path).log)
    from anki.importing.apkg import AnkiPackageImporter
    AnkiPackageImporter(col, path).run()
    return {}


def import_csv(col, path):
    path = os.path.abspath(path)
    from anki.collection import ImportCsvRequest
    metadata = col.get_csv_metadata(path=path, delimiter=None)
    return counts(col.import_csv(ImportCsvRequest(path=path, metadata=metadata)).log)


def counts(log):
    return {name: len(getattr(log, name)) for name in ("new", "updated", "duplicate", "conflicting")}


def state(col):
    notes = {}
    for guid, mod, flds, mid in col.db.all("select guid, mod, flds, mid from notes"):
        fields = flds.split("\x1f")
        cards = col.db.all("select type, ivl from cards where nid = "
                           "(select id from notes where guid = ?)", guid)
        notes[fields[0]] = {"guid": guid, "mod": mod, "answer": fields[1], "mid": mid,
                            "cards": cards}
    return {
        "notes": notes,
        "cards": col.db.scalar("select count() from cards"),
        "revlog": col.db.scalar("select count() from revlog"),
        "notetypes": [n.name for n in col.models.all_names_and_ids()
                      if n.name.startswith("deckforge")],
    }


def edit(source, edited):
    text = open(source, encoding="utf-8").read()
    for old, new in [
        ("and retraining in production.", "and retraining in production. Edited."),
        ("**How does MLOps differ from DevOps?**", "**How does MLOps differ from classic DevOps?**"),
        ("7.  **How do you ensure reproducibility", "7.  **Gone: how do you ensure reproducibility"),
        ("during training.\n\n----------", "during training.\n\n101.  **What is a shadow deployment?**"
         "\n\n-   **Answer:** A new model served beside the old one, its answers only logged.\n\n----------"),
    ]:
        if old not in text:
            sys.exit(f"the example no longer contains {old!r}: update {__file__}")
        text = text.replace(old, new, 1)
    # The "Gone:" question is deleted with its answer.
    lines = text.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("7.  **Gone:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i][:1].isdigit())
    del lines[start:end]
    open(edited, "w", encoding="utf-8").write("\n".join(lines))


def package_round_trip(deckforge, source, work):
    v1, v2 = os.path.join(work, "v1.apkg"), os.path.join(work, "v2.apkg")
    build(deckforge, source, v1, T1)
    col = Collection(os.path.join(work, "package.anki2"))
    first = import_package(col, v1)
    before = state(col)
    check("first import adds every note", len(before["notes"]) == 100, str(first))
    col.sched.set_due_date(list(col.find_cards("")), "7!")
    studied = state(col)
    edit(source, source)
    build(deckforge, source, v2, T2)
    log = import_package(col, v2)
    after = state(col)
    col.close()
    notes = after["notes"]
    if log:
        check("no conflict, one new note", log["conflicting"] == 0 and log["new"] == 1, str(log))
    else:
        check("no conflict, one new note", True,
              "this engine's importer logs no counts: the note and card counts below decide")
    check("no duplicate: 100 kept + 1 added", len(notes) == 101 and after["cards"] == 101,
          f"{len(notes)} notes, {after['cards']} cards")
    check("review log untouched", after["revlog"] == studied["revlog"],
          f"{studied['revlog']} -> {after['revlog']}")
    check("one deckforge note type, no + copy", len(after["notetypes"]) == 1,
          str(after["notetypes"]))
    edited = notes.get("What is MLOps?", {})
    check("edited answer shown", "Edited." in edited.get("answer", ""), edited.get("answer", ""))
    old = studied["notes"].get("How does MLOps differ from DevOps?", {})
    new = notes.get("How does MLOps differ from classic DevOps?", {})
    check("reworded question keeps its note and schedule",
          new.get("guid") == old.get("guid") and new.get("cards") == [[2, 7]], str(new))
    unchanged = [n for q, n in notes.items() if n["mod"] == int(T1)]
    check("unchanged notes untouched", len(unchanged) >= 95 and
          all(n["cards"] == [[2, 7]] for n in unchanged), f"{len(unchanged)} untouched")


def csv_round_trip(deckforge, source, work):
    if not hasattr(Collection, "import_csv"):
        check("CSV import (needs Anki 2.1.55+)", True, "skipped: this engine has no CSV importer")
        return
    col = Collection(os.path.join(work, "csv.anki2"))
    package = os.path.join(work, "first.apkg")
    shutil.copy(os.path.join(work, "v1.apkg"), package)
    import_package(col, package)
    col.sched.set_due_date(list(col.find_cards("")), "7!")
    csv = os.path.join(work, "v2.csv")
    build(deckforge, source, csv, T2)
    log = import_csv(col, csv)
    after = state(col)
    col.close()
    check("CSV after the package: updates by GUID, one new note",
          log["new"] == 1 and log["conflicting"] == 0 and len(after["notes"]) == 101,
          str(log))
    check("CSV keeps schedules", sum(1 for n in after["notes"].values()
                                     if n["cards"] == [[2, 7]]) == 100, "")


KINDS = """# Kinds

1. **The {{c1::borrow checker}} enforces ==ownership== rules. Why?**

   - **Answer:** To keep memory safe.

2. **What is the capital of France?**

   - **Answer:** Paris.

Golden ratio :: It is {{c1::$\\frac{1}{\\frac{1}{\\varphi}}$}}.

Mitochondria:::The powerhouse of the cell

Nucleus :: Holds the genome
"""


def question_of(col, card_id):
    card = col.get_card(card_id)
    html = card.question() if hasattr(card, "question") else card.q()
    return " ".join(re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S).split())


def kinds_round_trip(deckforge, work):
    source = os.path.join(work, "kinds.md")
    open(source, "w", encoding="utf-8").write(KINDS)
    v1, v2 = os.path.join(work, "kinds1.apkg"), os.path.join(work, "kinds2.apkg")
    build(deckforge, source, v1, T1)
    col = Collection(os.path.join(work, "kinds.anki2"))
    import_package(col, v1)
    first = state(col)
    check("kinds: a note per question, a card per cloze and side",
          len(first["notes"]) == 5 and first["cards"] == 2 + 1 + 1 + 2 + 1,
          f"{len(first['notes'])} notes, {first['cards']} cards")
    fronts = [question_of(col, cid) for cid in col.find_cards("")]
    check("kinds: the engine hides each cloze in turn",
          any(f.endswith("The [...] enforces ownership rules. Why?") for f in fronts) and
          any(f.endswith("The borrow checker enforces [...] rules. Why?") for f in fronts),
          str(fronts))
    golden = [f for f in fronts if f.startswith("Golden ratio")]
    check("kinds: a }} inside math ends no cloze",
          len(golden) == 1 and "It is [...]" in golden[0] and "}" not in golden[0], str(golden))
    check("kinds: the reverse card asks the answer",
          any(f.endswith("The powerhouse of the cell") for f in fronts), str(fronts))
    col.sched.set_due_date(list(col.find_cards("")), "7!")
    studied = state(col)
    text = (KINDS.replace("{{c1::borrow checker}}", "{{c1::borrow checker (rustc)}}")
            .replace("rules. Why?", "rules and ==lifetimes==. Why?")
            .replace("**Answer:** Paris.", "**Answer:** ==Paris==.")
            .replace("Nucleus :: Holds", "Nucleus ::: Holds"))
    open(source, "w", encoding="utf-8").write(text)
    build(deckforge, source, v2, T2)
    log = import_package(col, v2)
    after = state(col)
    notes = col.note_count()
    col.close()
    if log:
        check("kinds: no conflict, two new notes", log["conflicting"] == 0 and log["new"] == 2,
              str(log))
    check("kinds: kind changes add a note each, old ones kept",
          notes == 5 + 2 and after["cards"] == studied["cards"] + 1 + 1 + 2,
          f"{notes} notes, {after['cards']} cards")
    check("kinds: three deckforge note types, no + copy", len(after["notetypes"]) == 3,
          str(after["notetypes"]))
    check("kinds: review log untouched", after["revlog"] == studied["revlog"], "")


def main():
    deckforge, source, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    copy = os.path.join(work, "deck.md")
    shutil.copy(source, copy)
    package_round_trip(deckforge, copy, work)
    csv_round_trip(deckforge, copy, work)
    kinds_round_trip(deckforge, work)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
