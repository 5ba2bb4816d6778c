#!/usr/bin/env python3
"""Imports deckforge output with the real Anki engine and prints what a user would see, as JSON.

    anki_check.py COLLECTION STEP [STEP ...]

Each STEP is one of
    apkg:PATH      import an .apkg with Anki's default options (update notes and notetypes if newer)
    csv:PATH       import a text/CSV file using the file's own '#' headers
    study:SPEC     run set_due_date(all cards, SPEC), e.g. study:7! makes every card a review card
    delete:SEARCH  delete the notes an Anki search finds (as a user does in the browser)
    edit:SEARCH|FIELD|VALUE   set FIELD of the notes SEARCH finds to VALUE (an edit made in Anki)
    tag:SEARCH|TAG add TAG to the notes SEARCH finds
    export:PATH    export the whole collection as an .apkg in Anki's current format (no scheduling)
The collection is created if missing. After the steps, the collection is reopened (the Python
notetype cache goes stale after backend imports) and dumped from SQL:
    {"imports": [log counts per step], "counts": {...}, "notes": [...], "notetypes": [...], "decks": [...],
     "media": [file names in the media folder]}
each note's cards carry "question" and "answer": the HTML the engine renders for them.
Exit status 2 with {"error": ...} when Anki refuses an import.
"""
import json
import os
import sys

from anki.collection import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as Condition

LOG_FIELDS = ("new", "updated", "duplicate", "conflicting", "first_field_match",
              "missing_notetype", "missing_deck", "empty_first_field")


def log_counts(log):
    return {name: len(getattr(log, name)) for name in LOG_FIELDS}


def run_step(col, step):
    kind, _, arg = step.partition(":")
    if kind == "apkg":
        options = ImportAnkiPackageOptions(
            merge_notetypes=False,
            update_notes=Condition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            update_notetypes=Condition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            with_scheduling=False,
            with_deck_configs=False,
        )
        request = ImportAnkiPackageRequest(package_path=os.path.abspath(arg), options=options)
        return log_counts(col.import_anki_package(request).log)
    if kind == "csv":
        path = os.path.abspath(arg)
        metadata = col.get_csv_metadata(path=path, delimiter=None)
        return log_counts(col.import_csv(ImportCsvRequest(path=path, metadata=metadata)).log)
    if kind == "study":
        cards = list(col.find_cards(""))
        if cards:
            col.sched.set_due_date(cards, arg)
        return {"studied": len(cards)}
    if kind == "export":
        options = ExportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False,
                                           with_media=True, legacy=False)
        col.export_anki_package(out_path=os.path.abspath(arg), options=options, limit=None)
        return {"exported": col.note_count()}
    if kind == "delete":
        notes = list(col.find_notes(arg))
        col.remove_notes(notes)
        return {"deleted": len(notes)}
    if kind == "edit":
        search, field, value = arg.split("|", 2)
        notes = list(col.find_notes(search))
        for nid in notes:
            note = col.get_note(nid)
            note[field] = value
            col.update_note(note)
        return {"edited": len(notes)}
    if kind == "tag":
        search, tag = arg.split("|", 1)
        notes = list(col.find_notes(search))
        col.tags.bulk_add(notes, tag)
        return {"tagged": len(notes)}
    raise SystemExit(f"unknown step {step!r}")


def dump(col):
    notetypes = {entry.id: col.models.get(entry.id) for entry in col.models.all_names_and_ids()}
    deck_names = {d.id: d.name for d in col.decks.all_names_and_ids()}
    notes = []
    for nid, guid, mid, mod, tags, flds in col.db.all(
            "select id, guid, mid, mod, tags, flds from notes order by id"):
        notetype = notetypes.get(mid)
        names = [f["name"] for f in notetype["flds"]] if notetype else []
        values = flds.split("\x1f")
        cards = [
            {"id": cid, "ord": ord_, "deck": deck_names.get(did, f"<missing {did}>"), "type": ctype,
             "queue": queue, "due": due, "ivl": ivl}
            for cid, did, ord_, ctype, queue, due, ivl in col.db.all(
                "select id, did, ord, type, queue, due, ivl from cards where nid = ? order by ord", nid)
        ]
        # What the learner sees, through the engine's own template rendering.
        for card in cards:
            rendered = col.get_card(card["id"])
            card["question"] = rendered.question()
            card["answer"] = rendered.answer()
            # The files the engine plays for each side ([sound:…] becomes a play button).
            card["answer_sounds"] = [getattr(tag, "filename", None) for tag in rendered.answer_av_tags()]
        notes.append({
            "guid": guid, "mod": mod, "notetype": notetype["name"] if notetype else None,
            "fields": dict(zip(names, values)) if len(names) == len(values) else values,
            "tags": tags.split(), "cards": cards,
        })
    return {
        "counts": {"notes": col.note_count(), "cards": col.card_count(),
                   "revlog": col.db.scalar("select count() from revlog")},
        "notes": notes,
        "notetypes": [{"id": i, "name": nt["name"], "mod": nt["mod"],
                       "fields": [f["name"] for f in nt["flds"]],
                       "templates": [t["name"] for t in nt["tmpls"]], "css": nt["css"]}
                      for i, nt in sorted(notetypes.items())],
        "decks": sorted(deck_names.values()),
        "media": sorted(os.listdir(col.media.dir())),
    }


def main():
    path = os.path.abspath(sys.argv[1])
    result = {"imports": []}
    status = 0
    col = Collection(path)
    try:
        for step in sys.argv[2:]:
            try:
                result["imports"].append(run_step(col, step))
            except Exception as error:  # Anki reports refusals as exceptions
                result["error"] = f"{step}: {type(error).__name__}: {error}"
                status = 2
                break
    finally:
        col.close()
    col = Collection(path)
    try:
        result.update(dump(col))
    finally:
        col.close()
    json.dump(result, sys.stdout, ensure_ascii=False)
    return status


if __name__ == "__main__":
    sys.exit(main())
