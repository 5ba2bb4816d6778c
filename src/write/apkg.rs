//! Writes the legacy Anki package every client imports: a zip holding `collection.anki2`
//! (SQLite, schema 11) and the `media` map (anki-format.md §1 and §6).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::anki_text::{field_checksum, strip_html_preserving_media_filenames};
use super::atomic::{FilledFile, TempFile, write_error};
use super::parallel_zip::ZipOut;
use crate::build::{Progress, ProgressFn, Stage};
use crate::error::{Error, Result};
use crate::identity::stable_i64;
use crate::model::{FIELD_NAMES, Note, Package, field};

/// Collection creation time (seconds). Fixed, because it only anchors review due dates and we
/// ship new cards only; a constant keeps packages reproducible.
const COLLECTION_CREATED: i64 = 1_600_000_000;

/// The notes of a package, handed to the writer one at a time in the order it inserts them, so
/// a large deck need not be held rendered in memory: a build renders each note when asked.
pub trait Notes: Sync {
    fn count(&self) -> usize;
    /// What the `cards` table and the insertion order need, without rendering the note.
    fn stub(&self, index: usize) -> NoteStub;
    /// The whole note.
    fn note(&self, index: usize) -> Cow<'_, Note>;
}

/// The card id of a note shipped without a card.
pub const NO_CARD: i64 = 0;

/// A note's ids, deck and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteStub {
    pub note_id: i64,
    /// [`NO_CARD`] for a note shipped without one.
    pub card_id: i64,
    /// Index into [`Package::decks`].
    pub deck: usize,
    pub modified: i64,
}

impl Notes for Vec<Note> {
    fn count(&self) -> usize {
        self.len()
    }

    fn stub(&self, index: usize) -> NoteStub {
        let note = &self[index];
        NoteStub {
            note_id: note.note_id,
            card_id: note.card_id,
            deck: note.deck,
            modified: note.modified,
        }
    }

    fn note(&self, index: usize) -> Cow<'_, Note> {
        Cow::Borrowed(&self[index])
    }
}

/// Writes `package` as an `.apkg` to `target`, atomically.
pub fn write_apkg_file(package: &Package, target: &Path) -> Result<()> {
    write_apkg_file_with_progress(package, target, &|_| {})
}

/// [`write_apkg_file`], reporting progress.
pub fn write_apkg_file_with_progress(
    package: &Package,
    target: &Path,
    progress: ProgressFn,
) -> Result<()> {
    write_apkg_notes(package, &package.notes, target, progress)
}

/// Writes an `.apkg` of `notes` to `target`, atomically; `package` gives the note type, decks,
/// media and build time (its own `notes` are not read).
pub fn write_apkg_notes(
    package: &Package,
    notes: &dyn Notes,
    target: &Path,
    progress: ProgressFn,
) -> Result<()> {
    fill_apkg_notes(package, notes, target, progress)?.persist()
}

/// [`write_apkg_notes`] up to a complete, synced temporary file beside `target`, renamed by
/// the caller (with the lock, through [`super::atomic::persist_together`]).
pub fn fill_apkg_notes(
    package: &Package,
    notes: &dyn Notes,
    target: &Path,
    progress: ProgressFn,
) -> Result<FilledFile> {
    let (db_temp, db_file) = TempFile::beside(target, "anki2")?;
    drop(db_file);
    fill_collection_notes(package, notes, db_temp.path(), progress).map_err(|source| {
        Error::Sqlite {
            path: target.to_path_buf(),
            source,
        }
    })?;
    let (zip_temp, zip_file) = TempFile::beside(target, "tmp")?;
    let zip_file = write_zip_with_progress(package, db_temp.path(), zip_file, target, progress)?;
    zip_file
        .sync_all()
        .map_err(|e| Error::io(target, "write the output", e))?;
    drop(zip_file);
    drop(db_temp);
    Ok(zip_temp.filled(target))
}

/// Zips the collection file and media into `out`, returning it flushed but not synced.
pub fn write_zip(package: &Package, collection: &Path, out: File, target: &Path) -> Result<File> {
    write_zip_with_progress(package, collection, out, target, &|_| {})
}

/// [`write_zip`], reporting progress.
pub fn write_zip_with_progress(
    package: &Package,
    collection: &Path,
    out: File,
    target: &Path,
    progress: ProgressFn,
) -> Result<File> {
    // zlib-rs level 2 (100,000 cards): 22.7 MB in 0.47 s, against level 1's 27.0 MB in 0.30 s
    // and level 6's 21.4 MB in 0.85 s; past 2, each percent costs a tenth of a second.
    const LEVEL: u32 = 2;
    let db = File::open(collection)
        .map_err(|e| Error::io(target, "read the temporary collection", e))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut zip = ZipOut::new(out);
    zip.add_deflated_file("collection.anki2", &db, LEVEL, threads, &|done, total| {
        progress(Progress {
            stage: Stage::Compressing,
            done,
            total,
        })
    })
    .map_err(write_error(target))?;
    let media_map: BTreeMap<String, &str> = package
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| (i.to_string(), m.name.as_str()))
        .collect();
    let media_json = serde_json::to_vec(&media_map).map_err(|e| write_error(target)(e.into()))?;
    zip.add_bytes("media", &media_json, Some(LEVEL))
        .map_err(write_error(target))?;
    // Media is usually compressed already, so it is stored.
    for (i, media) in package.media.iter().enumerate() {
        zip.add_bytes(&i.to_string(), &media.data, None)
            .map_err(write_error(target))?;
    }
    zip.finish().map_err(write_error(target))
}

/// Creates the schema-11 collection at `path` and inserts the whole package in one transaction.
pub fn fill_collection(package: &Package, path: &Path) -> rusqlite::Result<()> {
    fill_collection_notes(package, &package.notes, path, &|_| {})
}

/// [`fill_collection`] with the notes from `notes`, reporting progress.
pub fn fill_collection_notes(
    package: &Package,
    notes: &dyn Notes,
    path: &Path,
    progress: ProgressFn,
) -> rusqlite::Result<()> {
    const BATCH: usize = 1024;
    let mut db = Connection::open(path)?;
    // A throwaway build database: no journal and no syncs until the file is complete. Appending
    // in id order needs little cache (16 MB; 64 MB only added memory), and the index sorts may
    // use a second thread. 16 KiB pages (SQLite's default is 4 KiB; any size is a valid
    // collection): a million cards in 18.2 s instead of 20.6 s, and a slightly smaller file.
    db.execute_batch(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;
         PRAGMA threads = 2;",
    )?;
    db.execute_batch(include_str!("schema11.sql"))?;
    let tx = db.transaction()?;
    tx.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, '{}')",
        params![
            COLLECTION_CREATED,
            // Saturating: a library caller's clock is not checked the way the command line checks it.
            package.built_at.saturating_mul(1000),
            collection_config(package).to_string(),
            models_json(package).to_string(),
            decks_json(package).to_string(),
            json!({ "1": default_deck_config() }).to_string(),
        ],
    )?;
    // Rows go in in id order, so SQLite appends to full pages instead of splitting half-empty
    // ones: ids are hashes, and in source order the file came out 12% larger and slower.
    // Indexes are u32 to keep a million-note order small.
    let count = notes.count();
    let mut by_note_id: Vec<(i64, u32)> = (0..count)
        .map(|i| (notes.stub(i).note_id, i as u32))
        .collect();
    by_note_id.sort_unstable();
    // The rows are made (for a build: rendered) on another core while this one runs SQLite:
    // the writer then does little but bind and insert, as in the floor of `benches/run.sh`.
    // Making a row (for a build: rendering the note) costs about twice inserting it, so every
    // core makes rows: maker `k` makes batches k, k + makers, ...; reading the makers' channels
    // in turn puts the batches back in id order.
    let makers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let batches = count.div_ceil(BATCH);
    std::thread::scope(|scope| -> rusqlite::Result<()> {
        let order = &by_note_id;
        let channels: Vec<_> = (0..makers)
            .map(|maker| {
                let (rows_out, rows_in) = std::sync::mpsc::sync_channel::<Vec<NoteRow>>(4);
                scope.spawn(move || {
                    for batch in order.chunks(BATCH).skip(maker).step_by(makers) {
                        let rows = batch
                            .iter()
                            .map(|&(_, i)| NoteRow::new(&notes.note(i as usize)));
                        // A closed channel means the writer stopped on an error it reports.
                        if rows_out.send(rows.collect()).is_err() {
                            return;
                        }
                    }
                });
                rows_in
            })
            .collect();
        let mut insert_note =
            tx.prepare("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')")?;
        let total = count as u64;
        let mut done = 0;
        for batch in 0..batches {
            // Makers only stop early when this writer has stopped; a panic is the scope's.
            let Ok(rows) = channels[batch % makers].recv() else {
                break;
            };
            for row in rows {
                insert_note.execute(params![
                    row.note_id,
                    row.guid,
                    package.note_type.id,
                    row.modified,
                    row.tags,
                    row.fields,
                    row.sort_field,
                    row.checksum,
                ])?;
            }
            done += BATCH as u64;
            progress(Progress {
                stage: Stage::Writing,
                done: done.min(total),
                total,
            });
        }
        Ok(())
    })?;
    drop(by_note_id);
    // A note without a card (a retired question) gets no card row: Anki's package import
    // never makes cards from the templates, so a new learner gets nothing to study.
    let mut by_card_id: Vec<(i64, u32)> = (0..count)
        .map(|i| (notes.stub(i).card_id, i as u32))
        .filter(|&(card_id, _)| card_id != NO_CARD)
        .collect();
    by_card_id.sort_unstable();
    {
        let mut insert_card =
            tx.prepare("INSERT INTO cards VALUES (?1, ?2, ?3, 0, ?4, -1, 0, 0, ?5, 0, 0, 0, 0, 0, 0, 0, 0, '')")?;
        for &(card_id, position) in &by_card_id {
            let stub = notes.stub(position as usize);
            insert_card.execute(params![
                card_id,
                stub.note_id,
                package.decks[stub.deck].id,
                stub.modified,
                i64::from(position) + 1,
            ])?;
        }
    }
    tx.commit()?;
    db.execute_batch(include_str!("index11.sql"))?;
    db.execute_batch("PRAGMA journal_mode = DELETE;")?;
    db.close().map_err(|(_, e)| e)
}

/// A note's `notes` row: fields joined with Anki's separator, tags padded with spaces as Anki
/// writes them, and the sort field and checksum Anki derives from the first field.
struct NoteRow {
    note_id: i64,
    guid: String,
    modified: i64,
    fields: String,
    tags: String,
    sort_field: String,
    checksum: u32,
}

impl NoteRow {
    fn new(note: &Note) -> Self {
        let mut fields =
            String::with_capacity(note.fields.iter().map(|f| f.len() + 1).sum::<usize>());
        for (i, value) in note.fields.iter().enumerate() {
            if i > 0 {
                fields.push('\x1f');
            }
            fields.push_str(value);
        }
        let mut tags = String::new();
        if !note.tags.is_empty() {
            tags.push(' ');
            for tag in &note.tags {
                tags.push_str(tag);
                tags.push(' ');
            }
        }
        let question = &note.fields[field::QUESTION];
        NoteRow {
            note_id: note.note_id,
            guid: note.guid.clone(),
            modified: note.modified,
            fields,
            tags,
            sort_field: strip_html_preserving_media_filenames(question),
            checksum: field_checksum(question),
        }
    }
}

fn collection_config(package: &Package) -> Value {
    let main_deck = package.decks[0].id;
    json!({
        "activeDecks": [main_deck], "curDeck": main_deck, "newSpread": 0, "collapseTime": 1200,
        "timeLim": 0, "estTimes": true, "dueCounts": true,
        "curModel": package.note_type.id.to_string(), "nextPos": package.notes.len() + 1,
        "sortType": "noteFld", "sortBackwards": false, "addToCur": true, "dayLearnFirst": false,
    })
}

/// The note type as Anki's schema-11 JSON (`rslib/src/notetype/schema11.rs`).
pub fn note_type_json(package: &Package) -> Value {
    let nt = &package.note_type;
    let fields: Vec<Value> = FIELD_NAMES
        .iter()
        .enumerate()
        .map(|(ord, name)| {
            json!({
                "name": name, "ord": ord, "sticky": false, "rtl": false, "font": "Arial", "size": 20,
                "media": [], "description": "", "plainText": false, "collapsed": false,
                "excludeFromSearch": false,
                // Permanent ids let Anki match fields even if a later version renames one.
                "id": stable_i64("field", &format!("{}/{name}", nt.id)),
            })
        })
        .collect();
    let templates: Vec<Value> = nt
        .templates
        .iter()
        .enumerate()
        .map(|(ord, t)| {
            json!({
                "name": t.name, "ord": ord, "qfmt": t.front, "afmt": t.back, "bqfmt": "", "bafmt": "",
                "did": null, "bfont": "", "bsize": 0,
                "id": stable_i64("template", &format!("{}/{}", nt.id, t.name)),
            })
        })
        .collect();
    json!({
        "id": nt.id, "name": nt.name, "type": 0, "mod": nt.modified, "usn": -1, "sortf": 0,
        "did": null, "tmpls": templates, "flds": fields, "css": nt.css,
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}", "latexsvg": false,
        "req": (0..nt.templates.len()).map(|i| json!([i, "any", [0]])).collect::<Vec<_>>(),
        "tags": [], "vers": [],
    })
}

fn models_json(package: &Package) -> Value {
    json!({ package.note_type.id.to_string(): note_type_json(package) })
}

fn deck_json(id: i64, name: &str, modified: i64) -> Value {
    json!({
        "id": id, "name": name, "mod": modified, "usn": -1,
        "lrnToday": [0, 0], "revToday": [0, 0], "newToday": [0, 0], "timeToday": [0, 0],
        "collapsed": false, "browserCollapsed": false, "desc": "", "dyn": 0, "conf": 1,
        "extendNew": 0, "extendRev": 0,
    })
}

fn decks_json(package: &Package) -> Value {
    let mut decks = serde_json::Map::new();
    decks.insert("1".into(), deck_json(1, "Default", 0));
    for deck in &package.decks {
        decks.insert(
            deck.id.to_string(),
            deck_json(deck.id, &deck.name, package.note_type.modified),
        );
    }
    Value::Object(decks)
}

/// Anki 2.1.15's default deck options, required when a user imports "any deck presets".
fn default_deck_config() -> Value {
    json!({
        "id": 1, "mod": 0, "name": "Default", "usn": 0, "maxTaken": 60, "autoplay": true, "timer": 0,
        "replayq": true, "dyn": false,
        "new": {"bury": false, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0],
                "order": 1, "perDay": 20, "separate": true},
        "rev": {"bury": false, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200,
                "hardFactor": 1.2, "fuzz": 0.05, "minSpace": 1},
        "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
    })
}
