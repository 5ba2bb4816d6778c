"""Runs the AnkiConnect-compatible server `anki-connect-server` (0.5.0, on the real Anki engine)
for deckforge's push and watch tests, on 127.0.0.1 with a throwaway collection.

Usage: python server.py COLLECTION PORT

One method is replaced, and nothing else: the server's `importPackage` calls the engine's old
path-string API, `col.import_anki_package(path)`, which anki 26 rejects. Here it calls the
engine's current `import_anki_package(ImportAnkiPackageRequest(...))` with the options Anki's
import dialog starts with on a fresh profile (update notes and note types when newer, no
scheduling, no deck presets, no note type merge), and answers `true` as the AnkiConnect add-on
does.
"""

import os
import sys


def main() -> None:
    collection, port = sys.argv[1], sys.argv[2]
    os.environ["ANKICONNECT_COLLECTION_PATH"] = collection
    os.environ["ANKICONNECT_PORT"] = port
    os.environ["ANKICONNECT_BIND"] = "127.0.0.1"
    # No .env file of the working folder may change these.
    os.chdir(os.path.dirname(os.path.abspath(collection)))

    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as Update
    from anki_connect_server import anki_wrapper
    from anki_connect_server.api import run_server

    def import_package(self, path: str) -> bool:
        self.col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=path,
                options=ImportAnkiPackageOptions(
                    merge_notetypes=False,
                    update_notes=Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
                    update_notetypes=Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
                    with_scheduling=False,
                    with_deck_configs=False,
                ),
            )
        )
        # Backend imports leave the Python note type cache stale (anki-format.md, section 5).
        self.col.models._clear_cache()
        return True

    anki_wrapper.AnkiWrapper.import_package = import_package
    run_server()


if __name__ == "__main__":
    main()
