//! Writes the legacy Anki package every client imports: a zip holding `collection.anki2`
//! (SQLite, schema 11) and the `media` map (anki-format.md §1 and §6).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Seek, Write};
use std::path::Path;

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::anki_text::{field_checksum, strip_html_preserving_media_filenames};
use super::atomic::{TempFile, write_error};
use crate::error::{Error, Result};
use crate::identity::stable_i64;
use crate::model::{FIELD_NAMES, Package, field};

/// Collection creation time (seconds). Fixed, because it only anchors review due dates and we
/// ship new cards only; a constant keeps packages reproducible.
const COLLECTION_CREATED: i64 = 1_600_000_000;

/// Writes `package` as an `.apkg` to `target`, atomically.
pub fn write_apkg_file(package: &Package, target: &Path) -> Result<()> {
    let (db_temp, db_file) = TempFile::beside(target, "anki2")?;
    drop(db_file);
    fill_collection(package, db_temp.path()).map_err(|source| Error::Sqlite {
        path: target.to_path_buf(),
        source,
    })?;
    let (zip_temp, zip_file) = TempFile::beside(target, "tmp")?;
    let zip_file = write_zip(package, db_temp.path(), zip_file, target)?;
    zip_file
        .sync_all()
        .map_err(|e| Error::io(target, "write the output", e))?;
    drop(zip_file);
    drop(db_temp);
    zip_temp.persist(target)
}

/// Zips the collection file and media into `out`.
pub fn write_zip<W: Write + Seek>(
    package: &Package,
    collection: &Path,
    out: W,
    target: &Path,
) -> Result<W> {
    let zip_error = |source| Error::Zip {
        path: target.to_path_buf(),
        source,
    };
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::DEFAULT)
        .unix_permissions(0o644);
    // Media is usually compressed already; a stored entry must not carry a deflate level.
    let stored = deflated
        .compression_method(CompressionMethod::Stored)
        .compression_level(None);
    let mut zip = ZipWriter::new(out);
    zip.start_file("collection.anki2", deflated)
        .map_err(zip_error)?;
    let mut db = File::open(collection)
        .map_err(|e| Error::io(target, "read the temporary collection", e))?;
    std::io::copy(&mut db, &mut zip).map_err(write_error(target))?;

    let media_map: BTreeMap<String, &str> = package
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| (i.to_string(), m.name.as_str()))
        .collect();
    zip.start_file("media", deflated).map_err(zip_error)?;
    serde_json::to_writer(&mut zip, &media_map).map_err(|e| write_error(target)(e.into()))?;
    for (i, media) in package.media.iter().enumerate() {
        zip.start_file(i.to_string(), stored).map_err(zip_error)?;
        zip.write_all(&media.data).map_err(write_error(target))?;
    }
    zip.finish().map_err(zip_error)
}

/// Creates the schema-11 collection at `path` and inserts the whole package in one transaction.
pub fn fill_collection(package: &Package, path: &Path) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    // A throwaway build database: no journal and no syncs until the file is complete.
    db.execute_batch(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
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
    {
        let mut insert_note =
            tx.prepare("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')")?;
        let mut insert_card =
            tx.prepare("INSERT INTO cards VALUES (?1, ?2, ?3, 0, ?4, -1, 0, 0, ?5, 0, 0, 0, 0, 0, 0, 0, 0, '')")?;
        let mut fields = String::new();
        let mut tags = String::new();
        for (position, note) in package.notes.iter().enumerate() {
            fields.clear();
            for (i, value) in note.fields.iter().enumerate() {
                if i > 0 {
                    fields.push('\x1f');
                }
                fields.push_str(value);
            }
            tags.clear();
            if !note.tags.is_empty() {
                tags.push(' ');
                for tag in &note.tags {
                    tags.push_str(tag);
                    tags.push(' ');
                }
            }
            let question = &note.fields[field::QUESTION];
            insert_note.execute(params![
                note.note_id,
                note.guid,
                package.note_type.id,
                note.modified,
                tags,
                fields,
                strip_html_preserving_media_filenames(question),
                field_checksum(question),
            ])?;
            insert_card.execute(params![
                note.card_id,
                note.note_id,
                package.decks[note.deck].id,
                note.modified,
                position as i64 + 1,
            ])?;
        }
    }
    tx.commit()?;
    db.execute_batch(include_str!("index11.sql"))?;
    db.execute_batch("PRAGMA journal_mode = DELETE;")?;
    db.close().map_err(|(_, e)| e)
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
