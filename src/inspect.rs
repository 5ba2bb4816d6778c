//! Reads packages and CSV decks back, including ones from strangers, without trusting them.
//!
//! A package is a zip from anywhere: entry names may try to escape (`../x`), sizes may be
//! bombs, and the SQLite file may be malformed. So: only flat entry names are accepted, the
//! collection's decompressed size is capped, it is extracted into a private temporary folder
//! that is removed afterwards, and it is opened read-only.

use std::fs;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::FIELD_NAMES;

/// The largest collection deckforge will decompress (a zip bomb stops here).
pub const MAX_COLLECTION_BYTES: u64 = 2 << 30;
/// The most entries a package may hold.
pub const MAX_ENTRIES: usize = 100_000;

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
}

impl InspectedNote {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first field, which is the question for deckforge notes.
    pub fn first_field(&self) -> &str {
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
    pub format: &'static str,
    pub notes: Vec<InspectedNote>,
}

/// Reads an `.apkg` or a deckforge/Anki CSV.
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
                notes: read_package(file, path)?,
            })
        }
        Some("csv") | Some("txt") | Some("tsv") => Ok(Inspection {
            path: path.to_path_buf(),
            format: "anki-csv",
            notes: read_anki_csv(path)?,
        }),
        _ => Err(Error::UnknownOutputFormat {
            path: path.to_path_buf(),
        }),
    }
}

fn malformed(path: &Path, message: impl Into<String>) -> Error {
    Error::Syntax {
        path: path.to_path_buf(),
        line: 0,
        message: format!("not a valid Anki package: {}", message.into()),
    }
}

/// Reads the notes of a legacy package from any reader, with the [`MAX_COLLECTION_BYTES`] cap.
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
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| malformed(label, e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(malformed(label, format!("{} entries", zip.len())));
    }
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
    }
    let member = ["collection.anki21", "collection.anki2"]
        .into_iter()
        .find(|name| zip.index_for_name(name).is_some());
    let Some(member) = member else {
        let reason = if zip.index_for_name("collection.anki21b").is_some() {
            "only the newer collection.anki21b format (zstd) is present; export with \"Support older Anki versions\""
        } else {
            "no collection.anki2 inside"
        };
        return Err(malformed(label, reason));
    };
    let scratch = PrivateDir::new()?;
    let db_path = scratch.0.join("collection.anki2");
    {
        let entry = zip
            .by_name(member)
            .map_err(|e| malformed(label, e.to_string()))?;
        let mut out = fs::File::create(&db_path)
            .map_err(|e| Error::io(&db_path, "extract the collection", e))?;
        // The entry's declared size is the attacker's word; only the bytes read count.
        let copied = std::io::copy(&mut entry.take(max_collection_bytes + 1), &mut out)
            .map_err(|e| malformed(label, e.to_string()))?;
        if copied > max_collection_bytes {
            return Err(malformed(
                label,
                format!(
                    "the collection is larger than {max_collection_bytes} bytes once decompressed"
                ),
            ));
        }
    }
    read_collection(&db_path).map_err(|e| malformed(label, e.to_string()))
}

/// Why a collection could not be read: SQLite's own complaint, or an inconsistency it cannot see.
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

fn read_collection(path: &Path) -> std::result::Result<Vec<InspectedNote>, CollectionError> {
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // A hostile schema could hide function calls in views or triggers; refuse to run them.
    // Defensive mode also refuses the pragmas and writes that can corrupt a database file, and
    // the cell size check makes SQLite notice a damaged page instead of reading past it.
    db.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    db.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON;")?;
    let (models, decks): (String, String) =
        db.query_row("select models, decks from col", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let json = |column: &str, text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| CollectionError::Invalid(format!("col.{column} is not valid JSON ({e})")))
    };
    let models = json("models", &models)?;
    let decks = json("decks", &decks)?;
    let mut statement = db.prepare(
        "select n.guid, n.mid, n.mod, n.tags, n.flds, (select c.did from cards c where c.nid = n.id order by c.ord limit 1) from notes n order by n.id",
    )?;
    let mut rows = statement.query([])?;
    let mut notes = Vec::new();
    while let Some(r) = rows.next()? {
        let guid: String = r.get(0)?;
        let mid: i64 = r.get(1)?;
        let did: Option<i64> = r.get(5)?;
        let flds: String = r.get(4)?;
        let tags: String = r.get(3)?;
        let model = &models[mid.to_string()];
        let Some(names) = model["flds"].as_array() else {
            return Err(CollectionError::Invalid(format!(
                "note {guid:?} uses note type {mid}, which the collection does not define"
            )));
        };
        let names: Vec<String> = names
            .iter()
            .map(|f| f["name"].as_str().unwrap_or_default().to_string())
            .collect();
        let values: Vec<&str> = flds.split('\x1f').collect();
        if values.len() != names.len() {
            return Err(CollectionError::Invalid(format!(
                "note {guid:?} has {} fields, but its note type has {}",
                values.len(),
                names.len()
            )));
        }
        let fields = names
            .into_iter()
            .zip(values)
            .map(|(name, value)| (name, value.to_string()))
            .collect();
        notes.push(InspectedNote {
            guid,
            deck: did
                .and_then(|d| decks[d.to_string()]["name"].as_str().map(str::to_string))
                .unwrap_or_default(),
            notetype: model["name"].as_str().unwrap_or_default().to_string(),
            tags: tags.split_whitespace().map(str::to_string).collect(),
            fields,
            modified: Some(r.get(2)?),
        });
    }
    Ok(notes)
}

/// Reads an Anki CSV with `#` headers as deckforge writes it (or any with a GUID column).
pub fn read_anki_csv(path: &Path) -> Result<Vec<InspectedNote>> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, "read the CSV", e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut separator = b',';
    let mut notetype = String::new();
    let mut deck = String::new();
    let (mut tags_column, mut guid_column, mut deck_column) = (None, None, None);
    let mut body_start = 0;
    for line in text.split_inclusive('\n') {
        let Some(header) = line.strip_prefix('#') else {
            break;
        };
        body_start += line.len();
        let Some((key, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim_end_matches(['\n', '\r']).trim();
        let column = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|&c| c > 0)
                .map(|c| c - 1)
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "separator" => {
                separator = match value.to_ascii_lowercase().as_str() {
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
            "notetype" => notetype = value.to_string(),
            "deck" => deck = value.to_string(),
            "tags column" => tags_column = column(),
            "guid column" => guid_column = column(),
            "deck column" => deck_column = column(),
            _ => {}
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(&text.as_bytes()[body_start..]);
    let mut notes = Vec::new();
    let meta_columns: Vec<usize> = [tags_column, guid_column, deck_column]
        .into_iter()
        .flatten()
        .collect();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::Syntax {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line() as usize),
            message: format!("bad CSV row {}: {e}", row + 1),
        })?;
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .unwrap_or_default()
                .to_string()
        };
        let values: Vec<&str> = record
            .iter()
            .enumerate()
            .filter(|(i, _)| !meta_columns.contains(i))
            .map(|(_, v)| v)
            .collect();
        let fields = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let name = FIELD_NAMES
                    .get(i)
                    .map_or_else(|| format!("Field {}", i + 1), |n| n.to_string());
                (name, v.to_string())
            })
            .collect();
        let row_deck = cell(deck_column);
        notes.push(InspectedNote {
            guid: cell(guid_column),
            deck: if row_deck.is_empty() {
                deck.clone()
            } else {
                row_deck
            },
            notetype: notetype.clone(),
            tags: cell(tags_column)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            fields,
            modified: None,
        });
    }
    Ok(notes)
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
