#!/usr/bin/env python3
"""genanki's side of `benches/run.sh`: writes CARDS.json's notes as an .apkg with genanki.

Usage: genanki_build.py CARDS.json OUT.apkg. The cards are already parsed and rendered (the
fields deckforge wrote), so loading the JSON is not timed; the printed seconds cover building the
genanki notes and `Package.write_to_file`, genanki's whole job.
"""

import json
import sys
import time
import warnings

import genanki


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        deck = json.load(f)
    out = sys.argv[2]
    # genanki warns about tags it does not know (such as <input>); the warnings are not timed work.
    warnings.simplefilter("ignore")

    start = time.perf_counter()
    spec = deck["model"]
    model = genanki.Model(
        spec["id"],
        spec["name"],
        fields=[{"name": name} for name in spec["fields"]],
        templates=spec["templates"],
        css=spec["css"],
    )
    package_deck = genanki.Deck(deck["deck_id"], deck["deck_name"])
    for note in deck["notes"]:
        package_deck.add_note(
            genanki.Note(model=model, fields=note["fields"], guid=note["guid"], tags=note["tags"])
        )
    genanki.Package(package_deck).write_to_file(out)
    print(f"{time.perf_counter() - start:.6f}")


if __name__ == "__main__":
    main()
