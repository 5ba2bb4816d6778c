//! Writes the legacy Anki package every client imports: a zip holding `collection.anki2`
//! (SQLite, schema 11) and the `media` map (anki-format.md §1 and §6).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::anki_text::{field_checksum, strip_html_preserving_media_filenames};
use super::atomic::{FilledFile, TempFile, write_error};
use super::parallel_zip::ZipOut;
use super::sqlite_file::{self, Database, Value as Column};
use crate::error::{Error, Result};
use crate::identity::stable_i64;
use crate::model::{CardRule, DeckMeta, Media, MediaSource, Note, NoteSource, NoteType};
use crate::progress::{Progress, ProgressFn, Stage};

/// Collection creation time (seconds). Fixed, because it only anchors review due dates and we
/// ship new cards only; a constant keeps packages reproducible.
const COLLECTION_CREATED: i64 = 1_600_000_000;

/// Writes an `.apkg` of `notes` up to a complete, synced temporary file beside `target`,
/// renamed by the caller (with the lock, through [`super::atomic::persist_together`]).
pub(crate) fn fill_apkg(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    target: &Path,
    progress: ProgressFn,
) -> Result<FilledFile> {
    match fill_streamed(meta, notes, target, progress)? {
        Some(filled) => Ok(filled),
        None => fill_through_sqlite(meta, notes, target, progress),
    }
}

/// [`fill_apkg`] with the collection's pages written here and deflated as they are made
/// ([`sqlite_file`]); `None` when a note's sort field reads as a number, which SQLite would
/// store as one (the column is declared integer): such a deck is written through SQLite.
fn fill_streamed(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    target: &Path,
    progress: ProgressFn,
) -> Result<Option<FilledFile>> {
    let sqlite_error = |source| Error::Sqlite {
        path: target.to_path_buf(),
        source,
    };
    let tables = sqlite_file::tables_of(include_str!("schema11.sql")).map_err(sqlite_error)?;
    let (zip_temp, zip_file) = TempFile::beside(target, "tmp")?;
    let mut zip = ZipOut::new(zip_file);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let numeric = std::sync::atomic::AtomicBool::new(false);
    let reserved = sqlite_file::reserved_bytes(&tables);
    let written = zip.add_streamed(
        "collection.anki2",
        reserved,
        (LEVEL, threads),
        &mut |push| {
            let db = Database::new(tables.clone(), |page: &[u8]| push(page));
            stream_collection(db, meta, notes, progress, &numeric)
        },
    );
    if numeric.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(None);
    }
    written.map_err(write_error(target))?;
    let zip_file = add_media_and_finish(zip, meta, target)?;
    zip_file
        .sync_all()
        .map_err(|e| Error::io(target, "write the output", e))?;
    drop(zip_file);
    Ok(Some(zip_temp.filled(target)))
}

/// Writes the collection's rows into `db` (the cards while the first notes are rendered, then
/// the notes as every core renders them) and returns its first pages.
fn stream_collection<E: FnMut(&[u8]) -> std::io::Result<()>>(
    mut db: Database<E>,
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    progress: ProgressFn,
    numeric: &std::sync::atomic::AtomicBool,
) -> std::io::Result<Vec<u8>> {
    let mut cells = Vec::new();
    let (config, models, decks) = (
        collection_config(meta, next_position(notes)).to_string(),
        models_json(meta).to_string(),
        decks_json(meta).to_string(),
    );
    let deck_config = json!({ "1": default_deck_config() }).to_string();
    let modified = meta.built_at.saturating_mul(1000);
    sqlite_file::encode_cell(
        1,
        &[
            Column::RowId,
            Column::Int(COLLECTION_CREATED),
            Column::Int(modified),
            Column::Int(modified),
            Column::Int(11),
            Column::Int(0),
            Column::Int(0),
            Column::Int(0),
            Column::Text(&config),
            Column::Text(&models),
            Column::Text(&decks),
            Column::Text(&deck_config),
            Column::Text("{}"),
        ],
        &mut cells,
    );
    db.append(db.table("col"), &cells)?;
    let notes_table = db.table("notes");
    let cards_table = db.table("cards");
    let mut cards_first = Some(|db: &mut Database<E>| {
        stream_cards(meta, notes, &mut |cells| db.append(cards_table, cells))
    });
    each_note_batch(meta, notes, progress, &mut |batch| match batch {
        Batch::Cards => cards_first.take().map_or(Ok(()), |write| write(&mut db)),
        Batch::Notes(cells) => db.append(notes_table, cells),
        Batch::Numeric => {
            numeric.store(true, std::sync::atomic::Ordering::Relaxed);
            Err(std::io::Error::other("a sort field reads as a number"))
        }
    })?;
    Ok(db.finish()?.0)
}

/// Encodes every card's row, in card id order, handing them to `append` in batches.
fn stream_cards(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    append: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut cells = Vec::with_capacity(1 << 16);
    for (card_id, position, ord) in cards_by_id(notes) {
        let stub = notes.stub(position as usize);
        let (zero, none) = (Column::Int(0), Column::Text(""));
        let values = [
            Column::RowId,
            Column::Int(stub.note_id),
            Column::Int(meta.decks[stub.deck].id),
            Column::Int(i64::from(ord)),
            Column::Int(stub.modified),
            Column::Int(-1),
            zero,
            zero,
            Column::Int(due(position as usize)),
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
            none,
        ];
        sqlite_file::encode_cell(card_id, &values, &mut cells);
        if cells.len() >= 1 << 16 {
            append(&cells)?;
            cells.clear();
        }
    }
    append(&cells)
}

/// What the note makers hand the collection's writer, in order.
enum Batch<'a> {
    /// Time to write the cards: the makers have started.
    Cards,
    /// Encoded `notes` rows, in id order.
    Notes(&'a [u8]),
    /// A note whose sort field SQLite would store as a number.
    Numeric,
}

/// Renders the notes on every core in batches, encoded as rows in note id order, and hands
/// them to `write` in order, after a [`Batch::Cards`] as soon as the makers have started.
fn each_note_batch(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    progress: ProgressFn,
    write: &mut dyn FnMut(Batch) -> std::io::Result<()>,
) -> std::io::Result<()> {
    in_note_id_order(
        notes,
        progress,
        &|batch| encoded_notes(meta, notes, batch),
        |step| match step {
            Step::Started => write(Batch::Cards),
            Step::Made(Some(cells)) => write(Batch::Notes(&cells)),
            Step::Made(None) => write(Batch::Numeric),
        },
    )
}

/// A batch of (note id, note index) pairs, sorted by id.
type IdOrder = [(i64, u32)];

/// What [`in_note_id_order`] hands its writer.
enum Step<T> {
    /// The makers have started: time for the work that needs no rendering (the cards).
    Started,
    /// The next batch made, in note id order.
    Made(T),
}

/// Makes the notes' rows on every core, in batches of note indexes sorted by note id, and
/// hands them to `write` in that order, after a [`Step::Started`]. Rows go in in id order so
/// the collection appends to full pages instead of splitting half-empty ones (ids are hashes:
/// in source order the file came out 12% larger and slower). Making a row (for a build:
/// rendering the note) costs more than writing it, so every core makes rows: maker `k` makes
/// batches k, k + makers, ...; reading the makers' channels in turn puts them back in order.
fn in_note_id_order<T: Send, E>(
    notes: &dyn NoteSource,
    progress: ProgressFn,
    make: &(dyn Fn(&IdOrder) -> T + Sync),
    mut write: impl FnMut(Step<T>) -> Result<(), E>,
) -> Result<(), E> {
    const BATCH: usize = 1024;
    let count = notes.count();
    // Indexes are u32 to keep a million-note order small.
    let mut by_note_id: Vec<(i64, u32)> = (0..count)
        .map(|i| (notes.stub(i).note_id, i as u32))
        .collect();
    by_note_id.sort_unstable();
    let makers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let order = &by_note_id;
        let channels: Vec<_> = (0..makers)
            .map(|maker| {
                let (made_out, made_in) = std::sync::mpsc::sync_channel::<T>(4);
                scope.spawn(move || {
                    for batch in order.chunks(BATCH).skip(maker).step_by(makers) {
                        // A closed channel means the writer stopped on an error it reports.
                        if made_out.send(make(batch)).is_err() {
                            return;
                        }
                    }
                });
                made_in
            })
            .collect();
        write(Step::Started)?;
        let total = count as u64;
        for batch in 0..count.div_ceil(BATCH) {
            // Makers only stop early when this writer has stopped; a panic is the scope's.
            let Ok(made) = channels[batch % makers].recv() else {
                break;
            };
            write(Step::Made(made))?;
            progress(Progress {
                stage: Stage::Writing,
                done: (((batch + 1) * BATCH) as u64).min(total),
                total,
            });
        }
        Ok(())
    })
}

/// The `notes` rows of the notes at `batch`'s indexes, encoded; `None` if a sort field reads
/// as a number.
fn encoded_notes(meta: &DeckMeta, notes: &dyn NoteSource, batch: &[(i64, u32)]) -> Option<Vec<u8>> {
    let mut cells = Vec::with_capacity(batch.len() * 1024);
    for &(_, index) in batch {
        let row = NoteRow::new(meta, &notes.note(index as usize));
        if may_read_as_number(&row.sort_field) {
            return None;
        }
        let values = [
            Column::RowId,
            Column::Text(&row.guid),
            Column::Int(row.note_type_id),
            Column::Int(row.modified),
            Column::Int(-1),
            Column::Text(&row.tags),
            Column::Text(&row.fields),
            Column::Text(&row.sort_field),
            Column::Int(i64::from(row.checksum)),
            Column::Int(0),
            Column::Text(""),
        ];
        sqlite_file::encode_cell(row.note_id, &values, &mut cells);
    }
    Some(cells)
}

/// Whether SQLite could read `text` as a number, which a column declared integer then stores
/// as one: only digits, signs, points and exponents between spaces. (Broader than SQLite's
/// rule, so nothing it converts is written as text.)
fn may_read_as_number(text: &str) -> bool {
    let trimmed = text.trim_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
}

/// [`fill_apkg`] through SQLite: the collection in a temporary file, then deflated.
fn fill_through_sqlite(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    target: &Path,
    progress: ProgressFn,
) -> Result<FilledFile> {
    let (db_temp, db_file) = TempFile::beside(target, "anki2")?;
    drop(db_file);
    fill_collection(meta, notes, db_temp.path(), progress).map_err(|source| Error::Sqlite {
        path: target.to_path_buf(),
        source,
    })?;
    let (zip_temp, zip_file) = TempFile::beside(target, "tmp")?;
    let zip_file = write_zip(meta, db_temp.path(), zip_file, target, progress)?;
    zip_file
        .sync_all()
        .map_err(|e| Error::io(target, "write the output", e))?;
    drop(zip_file);
    drop(db_temp);
    Ok(zip_temp.filled(target))
}

/// zlib-rs level 1: at 100,000 cards (packages with Anki's indexes) level 1 made 27.0 MB in
/// 0.30 s, level 2 22.7 MB in 0.47 s and level 6 21.4 MB in 0.85 s. Deflating is a tenth of a
/// build, and without the indexes level 1's file is still well under the floor's (which
/// deflates at level 1 too; benches/run.sh).
const LEVEL: u32 = 1;

/// Zips the collection file and media into `out`, returning it flushed but not synced.
fn write_zip(
    meta: &DeckMeta,
    collection: &Path,
    out: File,
    target: &Path,
    progress: ProgressFn,
) -> Result<File> {
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
    add_media_and_finish(zip, meta, target)
}

/// Adds the media map and files to `zip` and finishes it.
fn add_media_and_finish(mut zip: ZipOut, meta: &DeckMeta, target: &Path) -> Result<File> {
    let media_map: BTreeMap<String, &str> = meta
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| (i.to_string(), m.name.as_str()))
        .collect();
    let media_json = serde_json::to_vec(&media_map).map_err(|e| write_error(target)(e.into()))?;
    zip.add_bytes("media", &media_json, Some(LEVEL))
        .map_err(write_error(target))?;
    // Media is usually compressed already, so it is stored.
    for (i, media) in meta.media.iter().enumerate() {
        add_media(&mut zip, &i.to_string(), media, target)?;
    }
    zip.finish().map_err(write_error(target))
}

/// Streams one media file into the zip: a file from disk is read through a small buffer, never
/// whole, and must still be the file its content-hash name was taken from.
fn add_media(zip: &mut ZipOut, entry: &str, media: &Media, target: &Path) -> Result<()> {
    let (path, size, crc) = match &media.source {
        MediaSource::Bytes(data) => {
            return zip
                .add_bytes(entry, data, None)
                .map_err(write_error(target));
        }
        MediaSource::File { path, size, crc } => (path, *size, *crc),
    };
    const ACTION: &str = "pack the media file";
    let mut file = crate::input::open_regular(path).map_err(|e| Error::io(path, ACTION, e))?;
    // One byte past the size is read, so a file that grew is noticed without reading it all.
    let mut reader = std::io::Read::take(&mut file, size + 1);
    let written = zip
        .add_stored_reader(entry, &mut reader)
        .map_err(write_error(target))?;
    if written != (crc, size) {
        return Err(Error::io(
            path,
            ACTION,
            std::io::Error::other(
                "it changed while the deck was being built (its name follows its content); \
                 build again",
            ),
        ));
    }
    Ok(())
}

/// Creates the schema-11 collection at `path` and inserts every note and card in one
/// transaction, reporting progress.
fn fill_collection(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    path: &Path,
    progress: ProgressFn,
) -> rusqlite::Result<()> {
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
            meta.built_at.saturating_mul(1000),
            collection_config(meta, next_position(notes)).to_string(),
            models_json(meta).to_string(),
            decks_json(meta).to_string(),
            json!({ "1": default_deck_config() }).to_string(),
        ],
    )?;
    insert_notes(&tx, meta, notes, progress)?;
    tx.commit()?;
    // No secondary indexes (Anki's schema 11 has seven): an import reads the package's notes
    // and cards once, into the user's collection and its own indexes, so they only cost time
    // and size here. At 100,000 cards the file is 18% smaller (22.5 to 18.4 MB). Imports and
    // updates through the real engine are the same without them, on Anki 2.1.49, 2.1.66,
    // 23.12.1, 25.02.7 and 26.9.3 (tests/anki/versions.sh and the real-Anki tests).
    db.execute_batch("PRAGMA journal_mode = DELETE;")?;
    db.close().map_err(|(_, e)| e)
}

/// Inserts the notes in id order, rendered (for a build) on every core while this one runs
/// SQLite: the writer then does little but bind and insert, as in the floor of
/// `benches/run.sh`.
fn insert_notes(
    tx: &rusqlite::Transaction,
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    progress: ProgressFn,
) -> rusqlite::Result<()> {
    let mut insert_note =
        tx.prepare("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')")?;
    in_note_id_order(
        notes,
        progress,
        &|batch| {
            batch
                .iter()
                .map(|&(_, i)| NoteRow::new(meta, &notes.note(i as usize)))
                .collect::<Vec<_>>()
        },
        |step| match step {
            // The cards need no rendering: this core inserts them while the makers render the
            // first batches of notes, instead of alone once the notes are in.
            Step::Started => insert_cards(tx, meta, notes),
            Step::Made(rows) => {
                for row in rows {
                    insert_note.execute(params![
                        row.note_id,
                        row.guid,
                        row.note_type_id,
                        row.modified,
                        row.tags,
                        row.fields,
                        row.sort_field,
                        row.checksum,
                    ])?;
                }
                Ok(())
            }
        },
    )
}

/// The new-card position after the last card's (`nextPos`), so cards a user adds in Anki
/// come after the deck's instead of sharing their positions.
fn next_position(notes: &dyn NoteSource) -> i64 {
    (0..notes.count())
        .rev()
        .find(|&i| !notes.stub(i).cards.is_empty())
        .map_or(1, |last| due(last) + 1)
}

/// A note's new-card position: its place in the sources, from 1. A note's cards share it, as
/// Anki gives siblings one due number.
fn due(index: usize) -> i64 {
    index as i64 + 1
}

/// Inserts every card in id order. A note without a card (a retired question) gets no card
/// row: Anki's package import never makes cards from the templates, so a new learner gets
/// nothing to study.
fn insert_cards(
    tx: &rusqlite::Transaction,
    meta: &DeckMeta,
    notes: &dyn NoteSource,
) -> rusqlite::Result<()> {
    let by_card_id = cards_by_id(notes);
    let mut insert_card = tx.prepare(
        "INSERT INTO cards VALUES (?1, ?2, ?3, ?4, ?5, -1, 0, 0, ?6, 0, 0, 0, 0, 0, 0, 0, 0, '')",
    )?;
    for &(card_id, position, ord) in &by_card_id {
        let stub = notes.stub(position as usize);
        insert_card.execute(params![
            card_id,
            stub.note_id,
            meta.decks[stub.deck].id,
            ord,
            stub.modified,
            due(position as usize),
        ])?;
    }
    Ok(())
}

/// Every card as (card id, its note's index, ordinal), in card id order.
fn cards_by_id(notes: &dyn NoteSource) -> Vec<(i64, u32, u16)> {
    let mut by_card_id: Vec<(i64, u32, u16)> = (0..notes.count())
        .flat_map(|i| {
            let stub = notes.stub(i);
            stub.cards
                .iter()
                .map(move |card| (card.id, i as u32, card.ord))
                .collect::<Vec<_>>()
        })
        .collect();
    by_card_id.sort_unstable();
    by_card_id
}

/// A note's `notes` row: fields joined with Anki's separator, tags padded with spaces as Anki
/// writes them, and the sort field and checksum Anki derives from the first field.
struct NoteRow {
    note_id: i64,
    guid: String,
    note_type_id: i64,
    modified: i64,
    fields: String,
    tags: String,
    sort_field: String,
    checksum: u32,
}

impl NoteRow {
    fn new(meta: &DeckMeta, note: &Note) -> Self {
        let note_type = &meta.note_types[note.note_type];
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
        let sort_field = note
            .fields
            .get(note_type.sort_field)
            .map_or("", String::as_str);
        NoteRow {
            note_id: note.note_id,
            guid: note.guid.clone(),
            note_type_id: note_type.id,
            modified: note.modified,
            fields,
            tags,
            sort_field: strip_html_preserving_media_filenames(sort_field),
            checksum: field_checksum(sort_field),
        }
    }
}

fn collection_config(meta: &DeckMeta, next_position: i64) -> Value {
    let main_deck = meta.decks[0].id;
    json!({
        "activeDecks": [main_deck], "curDeck": main_deck, "newSpread": 0, "collapseTime": 1200,
        "timeLim": 0, "estTimes": true, "dueCounts": true,
        "curModel": meta.note_types[0].id.to_string(), "nextPos": next_position,
        "sortType": "noteFld", "sortBackwards": false, "addToCur": true, "dayLearnFirst": false,
    })
}

/// A note type as Anki's schema-11 JSON (`rslib/src/notetype/schema11.rs`).
fn note_type_json(nt: &NoteType) -> Value {
    let fields: Vec<Value> = nt
        .fields
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
    let (kind, required) = match nt.cards {
        // Which fields each template needs to make a card: deckforge writes the cards itself,
        // so this only guides Anki when a user adds notes of the type by hand.
        CardRule::EachTemplate => (
            0,
            (0..nt.templates.len())
                .map(|i| json!([i, "any", [nt.sort_field]]))
                .collect::<Vec<_>>(),
        ),
        // A cloze type's cards follow its cloze numbers; Anki keeps no requirements for it.
        CardRule::Cloze { .. } => (1, Vec::new()),
    };
    json!({
        "id": nt.id, "name": nt.name, "type": kind, "mod": nt.modified, "usn": -1,
        "sortf": nt.sort_field,
        "did": null, "tmpls": templates, "flds": fields, "css": nt.css,
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}", "latexsvg": false,
        "req": required,
        "tags": [], "vers": [],
    })
}

fn models_json(meta: &DeckMeta) -> Value {
    let models = meta
        .note_types
        .iter()
        .map(|nt| (nt.id.to_string(), note_type_json(nt)))
        .collect();
    Value::Object(models)
}

fn deck_json(id: i64, name: &str, modified: i64) -> Value {
    json!({
        "id": id, "name": name, "mod": modified, "usn": -1,
        "lrnToday": [0, 0], "revToday": [0, 0], "newToday": [0, 0], "timeToday": [0, 0],
        "collapsed": false, "browserCollapsed": false, "desc": "", "dyn": 0, "conf": 1,
        "extendNew": 0, "extendRev": 0,
    })
}

fn decks_json(meta: &DeckMeta) -> Value {
    let mut decks = serde_json::Map::new();
    decks.insert("1".into(), deck_json(1, "Default", 0));
    // The decks change with the note types' design, which is when their stamp moves.
    let modified = meta
        .note_types
        .iter()
        .map(|nt| nt.modified)
        .max()
        .unwrap_or(0);
    for deck in &meta.decks {
        decks.insert(
            deck.id.to_string(),
            deck_json(deck.id, &deck.name, modified),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Card, CardTemplate, DeckInfo, FIELD_NAMES};

    fn template(name: &str) -> CardTemplate {
        CardTemplate {
            name: name.to_string(),
            front: "{{Question}}".to_string(),
            back: "{{Answer}}".to_string(),
        }
    }

    fn note(index: i64, note_type: usize, cards: &[u16]) -> Note {
        Note {
            guid: format!("g{index}"),
            note_id: 100 + index,
            note_type,
            cards: cards
                .iter()
                .map(|&ord| Card {
                    id: 1000 + index * 10 + i64::from(ord),
                    ord,
                })
                .collect(),
            deck: 0,
            modified: 5,
            fields: FIELD_NAMES.iter().map(|f| format!("{f} {index}")).collect(),
            tags: vec!["t".to_string()],
            markdown: None,
        }
    }

    /// Two note types as data (the basic one and one making two cards a note), a note without
    /// a card last: the collection holds each type, a card per template, and `nextPos` after
    /// the last card's position.
    #[test]
    fn note_types_are_data_and_each_note_makes_its_cards() {
        let dir = std::env::temp_dir().join(format!("deckforge-apkg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("collection.anki2");
        let basic = NoteType::basic(11, "basic".into(), vec![template("Card 1")], "".into(), 3);
        let two_sided = NoteType {
            id: 22,
            name: "two".into(),
            templates: vec![template("Card 1"), template("Card 2")],
            ..basic.clone()
        };
        let meta = DeckMeta {
            note_types: vec![basic, two_sided],
            decks: vec![DeckInfo {
                id: 7,
                name: "D".into(),
            }],
            media: Vec::new(),
            built_at: 9,
        };
        let notes = vec![note(0, 0, &[0]), note(1, 1, &[0, 1]), note(2, 0, &[])];
        fill_collection(&meta, &notes, &path, &|_| {}).unwrap();
        let db = Connection::open(&path).unwrap();
        let cards: Vec<(i64, i64, i64, i64)> = db
            .prepare("SELECT id, nid, ord, due FROM cards ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            cards,
            [(1000, 100, 0, 1), (1010, 101, 0, 2), (1011, 101, 1, 2)]
        );
        let types: Vec<(i64, i64)> = db
            .prepare("SELECT id, mid FROM notes ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(types, [(100, 11), (101, 22), (102, 11)]);
        let (conf, models): (String, String) = db
            .query_row("SELECT conf, models FROM col", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let conf: Value = serde_json::from_str(&conf).unwrap();
        assert_eq!(conf["nextPos"], 3, "after the second note's cards");
        let models: Value = serde_json::from_str(&models).unwrap();
        assert_eq!(models["22"]["tmpls"].as_array().unwrap().len(), 2);
        assert_eq!(models["11"]["flds"][4]["name"], "Source");
        assert_eq!(models["11"]["type"], 0);
        drop(db);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A media file that changed after its content named it is not packed under that name.
    #[test]
    fn a_media_file_changed_during_the_build_fails_it() {
        let dir = std::env::temp_dir().join(format!("deckforge-apkg-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let image = dir.join("a.png");
        std::fs::write(&image, b"\x89PNG\r\n\x1a\n first").unwrap();
        let out = dir.join("out.zip");
        let media = |crc| Media {
            name: "x.png".into(),
            source: MediaSource::File {
                path: image.clone(),
                size: 14,
                crc,
            },
        };
        let mut zip = ZipOut::new(File::create(&out).unwrap());
        let crc = crc32fast::hash(b"\x89PNG\r\n\x1a\n first");
        add_media(&mut zip, "0", &media(crc), &out).unwrap();
        let error = add_media(&mut zip, "1", &media(crc ^ 1), &out).unwrap_err();
        assert!(error.to_string().contains("a.png"), "{error}");
        assert!(error.to_string().contains("changed while"), "{error}");
        std::fs::write(&image, b"\x89PNG\r\n\x1a\n first, then more").unwrap();
        let error = add_media(&mut zip, "2", &media(crc), &out).unwrap_err();
        assert!(error.to_string().contains("changed while"), "{error}");
        drop(zip);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Every row of every table of the package at `path`, as text with each value's type.
    fn package_rows(path: &Path) -> Vec<String> {
        let file = File::open(path).unwrap();
        let mut archive = zip::ZipArchive::new(file).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut archive.by_name("collection.anki2").unwrap(),
            &mut bytes,
        )
        .unwrap();
        let db_path = path.with_extension("anki2");
        std::fs::write(&db_path, bytes).unwrap();
        let db = Connection::open(&db_path).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let mut rows = Vec::new();
        for table in ["sqlite_schema", "col", "notes", "cards", "revlog", "graves"] {
            let mut statement = db
                .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                .unwrap();
            let columns = statement.column_count();
            let mut query = statement.query([]).unwrap();
            while let Some(row) = query.next().unwrap() {
                let values: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect();
                rows.push(format!("{table}: {}", values.join(" | ")));
            }
        }
        rows
    }

    /// The collection written page by page holds exactly what SQLite writes, rows that
    /// overflow their page included; a sort field that reads as a number, which SQLite stores
    /// as one, sends the deck through SQLite.
    #[test]
    fn the_streamed_collection_matches_sqlite_s() {
        let dir =
            std::env::temp_dir().join(format!("deckforge-apkg-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let basic = NoteType::basic(11, "basic".into(), vec![template("Card 1")], "".into(), 3);
        let meta = DeckMeta {
            note_types: vec![basic],
            decks: vec![DeckInfo {
                id: 7,
                name: "D".into(),
            }],
            media: Vec::new(),
            built_at: 9,
        };
        let mut notes: Vec<Note> = (0..5000).map(|i| note(i * 7 % 5003, 0, &[0])).collect();
        notes[3].fields[1] = "long answer ".repeat(5000);
        notes[4].cards.clear();
        for numeric in [false, true] {
            if numeric {
                notes[9].fields[0] = " 42 ".into();
            }
            let streamed = dir.join(format!("streamed-{numeric}.apkg"));
            let through_sqlite = dir.join(format!("sqlite-{numeric}.apkg"));
            assert_eq!(
                fill_streamed(&meta, &notes, &streamed, &|_| {})
                    .unwrap()
                    .is_none(),
                numeric
            );
            fill_apkg(&meta, &notes, &streamed, &|_| {})
                .unwrap()
                .persist()
                .unwrap();
            fill_through_sqlite(&meta, &notes, &through_sqlite, &|_| {})
                .unwrap()
                .persist()
                .unwrap();
            let rows = package_rows(&streamed);
            assert_eq!(rows.len(), 5 + 1 + 5000 + 4999);
            assert_eq!(rows, package_rows(&through_sqlite));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_text_of_digits_signs_points_and_exponents_may_read_as_a_number() {
        for text in ["42", " -4.2e7 ", "+1", "1e999", ".5", "\t7\n"] {
            assert!(may_read_as_number(text), "{text:?}");
        }
        for text in [
            "",
            "  ",
            "42 apples",
            "What is 42?",
            "0x10",
            "Inf",
            "NaN",
            "4 2",
        ] {
            assert!(!may_read_as_number(text), "{text:?}");
        }
    }

    #[test]
    fn a_cloze_note_type_is_written_as_anki_s_cloze_kind() {
        let cloze = NoteType {
            cards: CardRule::Cloze { field: 0 },
            ..NoteType::basic(5, "c".into(), vec![template("Cloze")], "".into(), 0)
        };
        let json = note_type_json(&cloze);
        assert_eq!(json["type"], 1);
        assert_eq!(json["req"], json!([]));
    }
}
