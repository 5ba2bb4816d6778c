//! Reads packages and CSV decks back, including ones from strangers, without trusting them.
//!
//! A package is a zip from anywhere: entry names may try to escape (`../x`) or repeat, sizes
//! may be bombs, and the SQLite file may be malformed or hide endless queries in views. So:
//! only flat, distinct entry names are accepted, the collection's decompressed size is capped,
//! it is extracted into a file unlinked at once and read as a read-only memory database, only
//! plain tables are read, and SQLite's work is bounded by the collection's size. Packages Anki
//! exports today hold the real collection as `collection.anki21b` (zstd) beside a placeholder;
//! the new one is read, never the placeholder.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{CLOZE_FIELD_NAMES, FIELD_NAMES};

mod text;

/// The largest collection deckforge will decompress (a zip bomb stops here).
pub(crate) const MAX_COLLECTION_BYTES: u64 = 2 << 30;
/// The most entries a package may hold.
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// One note as stored in a package or CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedNote {
    pub guid: String,
    pub deck: String,
    pub notetype: String,
    pub tags: Vec<String>,
    /// Field names and values, in note type order.
    pub fields: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<i64>,
    /// The note's id in a package (a CSV has none); Anki keeps it on import when it is free,
    /// so `push` finds the notes in a running Anki by it. Not printed: ids are Anki's business.
    #[serde(skip)]
    pub note_id: Option<i64>,
}

impl InspectedNote {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first field, which is the question for deckforge notes.
    pub(crate) fn first_field(&self) -> &str {
        self.fields
            .first()
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

/// What a file holds.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub path: PathBuf,
    /// `apkg`, or the name of the `--preset` that writes the text format (`anki-csv` for Anki's).
    pub format: &'static str,
    /// Whether field values are HTML (packages, Anki CSV, Mnemosyne) rather than plain text,
    /// whose `<` is a character and whose line breaks separate lines.
    pub html: bool,
    pub notes: Vec<InspectedNote>,
}

/// Reads an `.apkg`, or a text deck in any format deckforge writes (told by its content; one
/// that fits none is an error), its notes in deck order.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("apkg") | Some("colpkg") => {
            let file = fs::File::open(path).map_err(|e| Error::io(path, "read the package", e))?;
            Ok(Inspection {
                path: path.to_path_buf(),
                format: "apkg",
                html: true,
                notes: read_package(file, path)?,
            })
        }
        Some("csv") | Some("txt") | Some("tsv") => {
            let text = fs::read_to_string(path).map_err(|e| Error::io(path, "read the file", e))?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let format = text::detect(path, text)?;
            let notes = match format {
                text::TextFormat::AnkiCsv => read_anki_csv(path)?,
                other => text::read(path, text, other)?,
            };
            Ok(Inspection {
                path: path.to_path_buf(),
                format: format.name(),
                html: format.is_html(),
                notes,
            })
        }
        _ => Err(Error::UnknownOutputFormat {
            path: path.to_path_buf(),
        }),
    }
}

fn malformed(path: &Path, message: impl Into<String>) -> Error {
    Error::Malformed {
        path: path.to_path_buf(),
        message: format!("not a valid Anki package: {}", message.into()),
    }
}

/// Reads the notes of a legacy package from any reader, with the `MAX_COLLECTION_BYTES` cap.
pub fn read_package<R: Read + Seek>(reader: R, label: &Path) -> Result<Vec<InspectedNote>> {
    read_package_with_limit(reader, label, MAX_COLLECTION_BYTES)
}

/// [`read_package`] with a chosen cap on the collection's decompressed size, so tests and the
/// fuzzer can try bombs without filling the disk.
pub fn read_package_with_limit<R: Read + Seek>(
    reader: R,
    label: &Path,
    max_collection_bytes: u64,
) -> Result<Vec<InspectedNote>> {
    let mut reader = reader;
    let declared = declared_entries(&mut reader);
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| malformed(label, e.to_string()))?;
    check_entry_names(&mut zip, label)?;
    // The zip reader keeps one entry per name, so a name given twice shows only as a count
    // in the end record larger than the entries it lists.
    if declared.is_some_and(|declared| declared > zip.len() as u64) {
        return Err(malformed(label, "an entry name appears twice"));
    }
    // Anki's own exports hold the real collection as `collection.anki21b` (zstd) beside a
    // legacy `collection.anki2` whose one note asks the user to update Anki: the newest wins.
    let member = [
        "collection.anki21b",
        "collection.anki21",
        "collection.anki2",
    ]
    .into_iter()
    .find(|name| zip.index_for_name(name).is_some())
    .ok_or_else(|| malformed(label, "no collection.anki2 inside"))?;
    let mut scratch = Scratch::new()?;
    {
        let entry = zip
            .by_name(member)
            .map_err(|e| malformed(label, e.to_string()))?;
        // The entry's declared size is the attacker's word; only the bytes read count.
        let mut limited: Box<dyn Read> = if member.ends_with('b') {
            let decoder = zstd::stream::read::Decoder::new(entry).map_err(|e| {
                malformed(label, format!("collection.anki21b is not zstd data ({e})"))
            })?;
            Box::new(decoder.take(max_collection_bytes + 1))
        } else {
            Box::new(entry.take(max_collection_bytes + 1))
        };
        let copied = std::io::copy(&mut limited, &mut scratch.file).map_err(|e| {
            let what = if member.ends_with('b') {
                " is not a zstd-compressed collection"
            } else {
                ""
            };
            malformed(label, format!("{member}{what}: {e}"))
        })?;
        if copied > max_collection_bytes {
            return Err(malformed(
                label,
                format!(
                    "the collection is larger than {max_collection_bytes} bytes once decompressed"
                ),
            ));
        }
    }
    let (mut db, bytes) = scratch.open()?;
    let notes =
        read_collection(&mut db, bytes).map_err(|e| malformed(label, format!("{member}: {e}")))?;
    if member != "collection.anki21b" && is_placeholder(&notes) {
        return Err(malformed(
            label,
            "it holds only the placeholder collection that asks to update Anki, and no \
             collection.anki21b with the real notes",
        ));
    }
    Ok(notes)
}

/// Refuses too many entries, names with path components, and a name given twice (which entry
/// a reader takes then differs between readers, so what `inspect` shows might not be what Anki
/// imports).
fn check_entry_names<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, label: &Path) -> Result<()> {
    if zip.len() > MAX_ENTRIES {
        return Err(malformed(label, format!("{} entries", zip.len())));
    }
    let mut seen = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| malformed(label, e.to_string()))?;
        let name = entry.name().map_err(|e| malformed(label, e.to_string()))?;
        let flat = !name.is_empty()
            && !name.contains(['/', '\\', '\0'])
            && name != ".."
            && name != "."
            && !name.contains(':');
        if !flat {
            return Err(malformed(
                label,
                format!("entry name {name:?} has path components"),
            ));
        }
        if !seen.insert(name.to_string()) {
            return Err(malformed(label, format!("entry {name:?} appears twice")));
        }
    }
    Ok(())
}

/// The entry count in the zip's end of central directory record (ZIP64's when it is there),
/// or `None` if the record is not found (the zip reader then reports the damage).
fn declared_entries<R: Read + Seek>(reader: &mut R) -> Option<u64> {
    use std::io::SeekFrom;
    let length = reader.seek(SeekFrom::End(0)).ok()?;
    // The record is 22 bytes followed by a comment of at most 65,535.
    let tail_length = length.min(22 + 65_535 + 20);
    reader.seek(SeekFrom::Start(length - tail_length)).ok()?;
    let mut tail = vec![0u8; tail_length as usize];
    reader.read_exact(&mut tail).ok()?;
    reader.seek(SeekFrom::Start(0)).ok()?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])?;
    let total = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
    if total != u16::MAX {
        return Some(u64::from(total));
    }
    // ZIP64: its locator sits just before the record and points at the ZIP64 end record.
    let locator = at.checked_sub(20)?;
    if tail[locator..locator + 4] != [0x50, 0x4b, 0x06, 0x07] {
        return None;
    }
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&tail[locator + 8..locator + 16]);
    reader
        .seek(SeekFrom::Start(u64::from_le_bytes(offset) + 32))
        .ok()?;
    let mut count = [0u8; 8];
    reader.read_exact(&mut count).ok()?;
    reader.seek(SeekFrom::Start(0)).ok()?;
    Some(u64::from_le_bytes(count))
}

/// Whether `notes` is the one-note collection Anki writes for versions older than 2.1.50.
fn is_placeholder(notes: &[InspectedNote]) -> bool {
    matches!(notes, [only] if only.first_field().starts_with("Please update to the latest Anki version"))
}

/// Why a collection could not be read: SQLite's own complaint, or an inconsistency it cannot see.
#[derive(Debug)]
enum CollectionError {
    Sqlite(rusqlite::Error),
    Invalid(String),
}

impl From<rusqlite::Error> for CollectionError {
    fn from(error: rusqlite::Error) -> Self {
        CollectionError::Sqlite(error)
    }
}

impl std::fmt::Display for CollectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CollectionError::Sqlite(error) => write!(f, "{error}"),
            CollectionError::Invalid(message) => f.write_str(message),
        }
    }
}

/// How much work SQLite may do per byte of collection (in virtual machine steps) before a read
/// is stopped: reading every row of real collections takes a few dozen steps per byte, while a
/// schema trick (an endless query, a quadratic join) would go on until memory or disk run out.
const STEPS_PER_BYTE: u64 = 200;
/// The work any collection may take, however small (one second or so).
const BASE_STEPS: u64 = 100_000_000;
/// The longest string or blob a collection may hold (a field of many megabytes is no card).
const MAX_VALUE_BYTES: i32 = 256 << 20;

/// The tables read from a collection of each schema; each must be a plain table.
const LEGACY_TABLES: [&str; 3] = ["col", "notes", "cards"];
const MODERN_TABLES: [&str; 6] = ["col", "notes", "cards", "notetypes", "fields", "decks"];

/// Bounds a collection's reading with SQLite's own limits: no trusted schema, defensive mode,
/// a cap on value sizes and memory, temporary storage kept off the disk, and a budget of work
/// proportional to the file's size.
fn bound(db: &mut Connection, bytes: u64) -> std::result::Result<(), CollectionError> {
    // A hostile schema could hide function calls in views or triggers; refuse to run them.
    // Defensive mode also refuses the pragmas and writes that can corrupt a database file, and
    // the cell size check makes SQLite notice a damaged page instead of reading past it.
    db.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    db.execute_batch(
        "PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON; PRAGMA query_only = ON;
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA mmap_size = 0;",
    )?;
    db.set_limit(
        rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH,
        MAX_VALUE_BYTES,
    )?;
    // Anki's own collation, which its new schema names on every name column: case-insensitive.
    db.create_collation("unicase", |a, b| {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    })?;
    let budget = (BASE_STEPS + bytes.saturating_mul(STEPS_PER_BYTE)) / 1000;
    let mut used = 0u64;
    db.progress_handler(
        1000,
        Some(move || {
            used += 1;
            used > budget
        }),
    )?;
    Ok(())
}

/// Whether the collection uses the schema of Anki 2.1.28 and later (note types and decks in
/// tables of their own) and refuses any table read that is not a plain table: a view or a
/// virtual table runs code of the package's choosing.
fn check_schema(db: &Connection) -> std::result::Result<bool, CollectionError> {
    let mut statement = db.prepare("select type, name, tbl_name, sql from sqlite_master")?;
    let mut rows = statement.query([])?;
    let mut objects = Vec::new();
    while let Some(row) = rows.next()? {
        let kind: String = row.get(0)?;
        let name: String = row.get(1)?;
        let table: Option<String> = row.get(2)?;
        let sql: Option<String> = row.get(3)?;
        objects.push((
            kind,
            name,
            table.unwrap_or_default(),
            sql.unwrap_or_default(),
        ));
    }
    let modern = objects
        .iter()
        .any(|(kind, name, _, _)| kind == "table" && name.eq_ignore_ascii_case("notetypes"));
    let wanted: &[&str] = if modern {
        &MODERN_TABLES
    } else {
        &LEGACY_TABLES
    };
    for table in wanted {
        let mut found = false;
        for (kind, name, of, sql) in &objects {
            let about = name.eq_ignore_ascii_case(table) || of.eq_ignore_ascii_case(table);
            if !about || kind == "index" {
                continue;
            }
            let virtual_table = sql
                .trim_start()
                .get(..14)
                .is_some_and(|start| start.eq_ignore_ascii_case("create virtual"));
            if kind == "trigger" {
                return Err(CollectionError::Invalid(format!(
                    "{table} has a trigger ({name}); collections have none"
                )));
            }
            if kind != "table" || virtual_table {
                let what = if virtual_table { "virtual table" } else { kind };
                return Err(CollectionError::Invalid(format!(
                    "{table} is a {what}, not a plain table"
                )));
            }
            found = true;
        }
        if !found {
            return Err(CollectionError::Invalid(format!("no such table: {table}")));
        }
    }
    Ok(modern)
}

/// A note type's name and field names.
type NoteType = (String, Vec<String>);

fn note_types(
    db: &Connection,
    modern: bool,
) -> std::result::Result<HashMap<i64, NoteType>, CollectionError> {
    let mut types = HashMap::new();
    if modern {
        let mut statement = db.prepare("select id, name from notetypes")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            types.insert(row.get::<_, i64>(0)?, (row.get(1)?, Vec::new()));
        }
        let mut statement = db.prepare("select ntid, ord, name from fields")?;
        let mut rows = statement.query([])?;
        let mut fields: Vec<(i64, i64, String)> = Vec::new();
        while let Some(row) = rows.next()? {
            fields.push((row.get(0)?, row.get(1)?, row.get(2)?));
        }
        fields.sort();
        for (ntid, _, name) in fields {
            if let Some((_, names)) = types.get_mut(&ntid) {
                names.push(name);
            }
        }
        return Ok(types);
    }
    let models: String = db.query_row("select models from col", [], |r| r.get(0))?;
    let models = json("models", &models)?;
    for (id, model) in models.as_object().into_iter().flatten() {
        let (Ok(id), Some(fields)) = (id.parse::<i64>(), model["flds"].as_array()) else {
            continue;
        };
        let names = fields
            .iter()
            .map(|f| f["name"].as_str().unwrap_or_default().to_string())
            .collect();
        let name = model["name"].as_str().unwrap_or_default().to_string();
        types.insert(id, (name, names));
    }
    Ok(types)
}

fn json(column: &str, text: &str) -> std::result::Result<serde_json::Value, CollectionError> {
    serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| CollectionError::Invalid(format!("col.{column} is not valid JSON ({e})")))
}

fn deck_names(
    db: &Connection,
    modern: bool,
) -> std::result::Result<HashMap<i64, String>, CollectionError> {
    let mut names = HashMap::new();
    if modern {
        let mut statement = db.prepare("select id, name from decks")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            // The new schema separates levels with the unit separator instead of `::`.
            let name: String = row.get(1)?;
            names.insert(row.get(0)?, name.replace('\x1f', "::"));
        }
        return Ok(names);
    }
    let decks: String = db.query_row("select decks from col", [], |r| r.get(0))?;
    for (id, deck) in json("decks", &decks)?.as_object().into_iter().flatten() {
        if let (Ok(id), Some(name)) = (id.parse::<i64>(), deck["name"].as_str()) {
            names.insert(id, name.to_string());
        }
    }
    Ok(names)
}

/// The card of a note that places it: the one with the lowest ordinal.
#[derive(Debug, Clone, Copy)]
struct FirstCard {
    ord: i64,
    deck: i64,
    /// Where the note comes in deck order: a new card's position (`due`), after every new card
    /// for one already studied (whose `due` is a date).
    position: (bool, i64),
}

/// Each note's first card. Read in one scan, so a package without Anki's index on
/// `cards.nid` costs no more than one with it.
fn note_decks(db: &Connection) -> std::result::Result<HashMap<i64, FirstCard>, CollectionError> {
    let mut decks: HashMap<i64, FirstCard> = HashMap::new();
    let mut statement = db.prepare("select nid, ord, did, type, due from cards")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let (nid, ord, deck, kind, due): (i64, i64, i64, i64, i64) = (
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        );
        let card = FirstCard {
            ord,
            deck,
            position: if kind == 0 { (false, due) } else { (true, 0) },
        };
        let slot = decks.entry(nid).or_insert(card);
        if ord < slot.ord {
            *slot = card;
        }
    }
    Ok(decks)
}

fn read_collection(
    db: &mut Connection,
    bytes: u64,
) -> std::result::Result<Vec<InspectedNote>, CollectionError> {
    bound(db, bytes)?;
    let result = read_notes(db);
    match result {
        Err(CollectionError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
            if e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Err(CollectionError::Invalid(format!(
                "reading it took more work than a collection of {bytes} bytes needs \
                 (a damaged or hostile file); stopped"
            )))
        }
        other => other,
    }
}

fn read_notes(db: &Connection) -> std::result::Result<Vec<InspectedNote>, CollectionError> {
    let modern = check_schema(db)?;
    let types = note_types(db, modern)?;
    let decks = deck_names(db, modern)?;
    let note_decks = note_decks(db)?;
    let mut statement = db.prepare("select id, guid, mid, mod, tags, flds from notes")?;
    let mut rows = statement.query([])?;
    let mut notes = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let guid: String = r.get(1)?;
        let mid: i64 = r.get(2)?;
        let tags: String = r.get(4)?;
        let flds: String = r.get(5)?;
        let Some((notetype, names)) = types.get(&mid) else {
            return Err(CollectionError::Invalid(format!(
                "note {guid:?} uses note type {mid}, which the collection does not define"
            )));
        };
        let values: Vec<&str> = flds.split('\x1f').collect();
        if values.len() != names.len() {
            return Err(CollectionError::Invalid(format!(
                "note {guid:?} has {} fields, but its note type has {}",
                values.len(),
                names.len()
            )));
        }
        let fields = names
            .iter()
            .zip(values)
            .map(|(name, value)| (name.clone(), value.to_string()))
            .collect();
        let first = note_decks.get(&id);
        let deck = first
            .and_then(|card| decks.get(&card.deck).cloned())
            .unwrap_or_default();
        // A note without cards (a retired one) comes after those with cards.
        let position = first.map_or((true, i64::MAX), |card| card.position);
        notes.push((
            (position, id),
            InspectedNote {
                guid,
                deck,
                notetype: notetype.clone(),
                tags: tags.split_whitespace().map(str::to_string).collect(),
                fields,
                modified: Some(r.get(3)?),
                note_id: Some(id),
            },
        ));
    }
    // Deck order: new cards by position, then the rest; the note id breaks ties.
    notes.sort_by_key(|(order, _)| *order);
    Ok(notes.into_iter().map(|(_, note)| note).collect())
}

/// Reads an Anki CSV with `#` headers as deckforge writes it (or any with a GUID column).
pub(crate) fn read_anki_csv(path: &Path) -> Result<Vec<InspectedNote>> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, "read the CSV", e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let headers = CsvHeaders::read(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(headers.separator)
        .from_reader(&text.as_bytes()[headers.body_start..]);
    let mut notes = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| match e.position() {
            // The reader starts after the headers; lines count from the file's start.
            Some(position) => Error::Syntax {
                path: path.to_path_buf(),
                line: headers.lines + position.line() as usize,
                message: format!("bad CSV row {}: {e}", row + 1),
            },
            None => Error::Malformed {
                path: path.to_path_buf(),
                message: format!("bad CSV row {}: {e}", row + 1),
            },
        })?;
        notes.push(headers.note(&record));
    }
    Ok(notes)
}

/// What the `#key:value` lines at the top of an Anki CSV say.
struct CsvHeaders {
    separator: u8,
    notetype: String,
    deck: String,
    tags_column: Option<usize>,
    guid_column: Option<usize>,
    deck_column: Option<usize>,
    notetype_column: Option<usize>,
    /// Where the rows start, in bytes and in lines.
    body_start: usize,
    lines: usize,
}

impl CsvHeaders {
    fn read(text: &str) -> Self {
        let mut headers = CsvHeaders {
            separator: b',',
            notetype: String::new(),
            deck: String::new(),
            tags_column: None,
            guid_column: None,
            deck_column: None,
            notetype_column: None,
            body_start: 0,
            lines: 0,
        };
        for line in text.split_inclusive('\n') {
            let Some(header) = line.strip_prefix('#') else {
                break;
            };
            headers.body_start += line.len();
            headers.lines += 1;
            if let Some((key, value)) = header.split_once(':') {
                headers.set(key, value.trim_end_matches(['\n', '\r']).trim());
            }
        }
        headers
    }

    fn set(&mut self, key: &str, value: &str) {
        let column = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|&c| c > 0)
                .map(|c| c - 1)
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "separator" => {
                self.separator = match value.to_ascii_lowercase().as_str() {
                    "comma" => b',',
                    "semicolon" => b';',
                    "tab" => b'\t',
                    "space" => b' ',
                    "pipe" => b'|',
                    "colon" => b':',
                    other if other.len() == 1 => other.as_bytes()[0],
                    _ => b',',
                }
            }
            "notetype" => self.notetype = value.to_string(),
            "deck" => self.deck = value.to_string(),
            "tags column" => self.tags_column = column(),
            "guid column" => self.guid_column = column(),
            "deck column" => self.deck_column = column(),
            "notetype column" => self.notetype_column = column(),
            _ => {}
        }
    }

    /// One row as a note: the columns the headers name, the rest as fields in order.
    fn note(&self, record: &csv::StringRecord) -> InspectedNote {
        let meta = [
            self.tags_column,
            self.guid_column,
            self.deck_column,
            self.notetype_column,
        ];
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .unwrap_or_default()
                .to_string()
        };
        let notetype = match self.notetype_column {
            Some(_) => cell(self.notetype_column),
            None => self.notetype.clone(),
        };
        // deckforge's cloze note type names its first two fields differently.
        let names: &[&str] = if notetype.ends_with(" cloze") {
            &CLOZE_FIELD_NAMES
        } else {
            &FIELD_NAMES
        };
        let fields = record
            .iter()
            .enumerate()
            .filter(|(i, _)| !meta.contains(&Some(*i)))
            .enumerate()
            .map(|(i, (_, v))| {
                let name = names
                    .get(i)
                    .map_or_else(|| format!("Field {}", i + 1), |n| n.to_string());
                (name, v.to_string())
            })
            .collect();
        let row_deck = cell(self.deck_column);
        InspectedNote {
            guid: cell(self.guid_column),
            deck: if row_deck.is_empty() {
                self.deck.clone()
            } else {
                row_deck
            },
            notetype,
            tags: cell(self.tags_column)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            fields,
            modified: None,
            note_id: None,
        }
    }
}

/// The extracted collection: a file unlinked as soon as it is created (on Unix), so a killed
/// `inspect` leaves nothing behind, read into an SQLite memory database once complete.
struct Scratch {
    file: fs::File,
    path: PathBuf,
    _folder: Option<PrivateDir>,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let folder = PrivateDir::new()?;
        let path = folder.0.join("collection.anki2");
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "extract the collection", e))?;
        // Unix keeps an unlinked file readable through its open handle; Windows refuses to
        // delete an open file, so there the folder goes when the scratch file is dropped.
        let folder = if cfg!(unix) {
            drop(folder);
            None
        } else {
            Some(folder)
        };
        Ok(Scratch {
            file,
            path,
            _folder: folder,
        })
    }

    /// Opens the complete file as a read-only memory database.
    fn open(mut self) -> Result<(Connection, u64)> {
        use std::io::SeekFrom;
        let failed = |e: std::io::Error| Error::io(&self.path, "read the extracted collection", e);
        let bytes = self.file.seek(SeekFrom::End(0)).map_err(failed)?;
        // Anki's collections are in WAL mode (header bytes 18 and 19 are 2), which a memory
        // database cannot open; as a read-only copy it is the same database in rollback mode.
        if bytes >= 20 {
            self.file.seek(SeekFrom::Start(18)).map_err(failed)?;
            self.file.write_all(&[1, 1]).map_err(failed)?;
        }
        self.file.seek(SeekFrom::Start(0)).map_err(failed)?;
        let failed = |e: rusqlite::Error| {
            Error::io(&self.path, "open the collection", std::io::Error::other(e))
        };
        let mut db = Connection::open_in_memory_with_flags(
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(failed)?;
        let size = usize::try_from(bytes)
            .map_err(|_| failed(rusqlite::Error::IntegralValueOutOfRange(0, i64::MAX)))?;
        db.deserialize_read_exact(rusqlite::MAIN_DB, &mut self.file, size, true)
            .map_err(failed)?;
        Ok((db, bytes))
    }
}

/// A temporary folder only this user can read, removed when dropped.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new() -> Result<PrivateDir> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("deckforge-inspect-{}-{n}", std::process::id()));
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return Ok(PrivateDir(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&path, "create a private temporary folder", e)),
            }
        }
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn entries_with_path_components_are_refused() {
        for name in ["../evil", "a/b", "/etc/passwd", "c:\\x", ".."] {
            let bytes = zip_with(&[("collection.anki2", b"x"), (name, b"x")]);
            let error = read_package(Cursor::new(bytes), Path::new("p.apkg")).unwrap_err();
            assert!(
                error.to_string().contains("path components"),
                "{name}: {error}"
            );
        }
    }

    #[test]
    fn the_work_of_a_read_is_bounded_by_the_collection_size() {
        let mut db = Connection::open_in_memory().unwrap();
        bound(&mut db, 1000).unwrap();
        let endless = "with recursive r(x) as (select 1 union all select x + 1 from r) \
                       select count(*) from r";
        let started = std::time::Instant::now();
        let error = db
            .query_row(endless, [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert_eq!(
            error.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted),
            "{error}"
        );
        assert!(started.elapsed().as_secs() < 30);
        // The budget is for the whole read: a fresh connection gets a fresh one.
        let mut db = Connection::open_in_memory().unwrap();
        bound(&mut db, 1000).unwrap();
        let finite = "with recursive r(x) as (select 1 union all select x + 1 from r limit 1000) \
                      select count(*) from r";
        assert_eq!(
            db.query_row(finite, [], |r| r.get::<_, i64>(0)).unwrap(),
            1000
        );
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let error =
            read_package(Cursor::new(b"not a zip".to_vec()), Path::new("p.apkg")).unwrap_err();
        assert!(error.to_string().starts_with("p.apkg"), "{error}");
        let error = read_package(
            Cursor::new(zip_with(&[("media", b"{}")])),
            Path::new("p.apkg"),
        )
        .unwrap_err();
        assert!(error.to_string().contains("no collection.anki2"), "{error}");
        let error = read_package(
            Cursor::new(zip_with(&[(
                "collection.anki2",
                b"SQLite format 3\0garbage",
            )])),
            Path::new("p.apkg"),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("not a valid Anki package"),
            "{error}"
        );
    }
}
