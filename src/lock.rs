//! The lock file: what the previous build decided, so the next one keeps GUIDs and modification times.
//!
//! It lives beside the first source as `<stem>.deckforge.lock` and is meant to be committed with the
//! Markdown. It is JSON with one note per line, sorted by question, so a diff shows one line per
//! changed note. Per note it records the GUID, the normalised question, the question as written
//! (to label removed notes), hashes of the content and of the answer, and the modification time.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::ContentHash;
use crate::write::atomic::{PendingFile, write_error};

/// The latest time deckforge accepts, in seconds (the last second of the year 9999): Anki
/// stores some times in milliseconds, and later ones would overflow.
pub const LATEST_TIME: i64 = 253_402_300_799;

/// The lock format version; a lock with a newer version is refused rather than misread.
pub const LOCK_VERSION: u32 = 1;

/// A content hash and the time it last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub content_hash: ContentHash,
    pub modified: i64,
}

/// What the lock remembers about one note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedNote {
    pub guid: String,
    /// The normalised question the GUID was matched by.
    pub question: String,
    /// The question as the author last wrote it.
    pub text: String,
    /// The author's explicit `<!-- id: … -->`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub content_hash: ContentHash,
    /// Breaks ties when matching a reworded question.
    pub answer_hash: ContentHash,
    pub modified: i64,
    /// The question is gone from the sources; the note is shipped tagged `deckforge::removed`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// The whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub version: u32,
    pub deck_id: String,
    pub note_type: Option<Stamp>,
    pub notes: Vec<LockedNote>,
}

impl Lock {
    pub fn new(deck_id: &str) -> Lock {
        Lock {
            version: LOCK_VERSION,
            deck_id: deck_id.to_string(),
            note_type: None,
            notes: Vec::new(),
        }
    }

    /// Reads a lock file; a missing file is `Ok(None)`.
    pub fn read(path: &Path) -> Result<Option<Lock>> {
        let file = match fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, "read the lock file", e)),
        };
        // Parsed as it is read: a million-note lock is 200 MB of text.
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        let lock: Lock = serde_json::from_reader(reader).map_err(|e| match e.classify() {
            serde_json::error::Category::Io => Error::io(
                path,
                "read the lock file",
                std::io::Error::other(e.to_string()),
            ),
            _ => Error::Syntax {
                path: path.to_path_buf(),
                line: e.line(),
                message: format!(
                    "the lock file is damaged ({e}); restore it from version control or delete it"
                ),
            },
        })?;
        let times = lock
            .notes
            .iter()
            .map(|n| n.modified)
            .chain(lock.note_type.as_ref().map(|t| t.modified));
        if let Some(bad) = times.into_iter().find(|t| !(0..=LATEST_TIME).contains(t)) {
            return Err(Error::Syntax {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "the lock file is damaged (modification time {bad} is not between 0 and \
                     {LATEST_TIME}); restore it from version control or delete it"
                ),
            });
        }
        if lock.version > LOCK_VERSION {
            return Err(Error::Syntax {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "lock file version {} is newer than this deckforge understands ({LOCK_VERSION}); upgrade deckforge",
                    lock.version
                ),
            });
        }
        Ok(Some(lock))
    }

    /// The stable text form: sorted notes, one per line.
    pub fn to_text(&self) -> String {
        let mut bytes = Vec::with_capacity(64 + self.notes.len() * 200);
        self.write_text(&mut bytes)
            .expect("writing to memory does not fail");
        String::from_utf8(bytes).expect("serde_json writes UTF-8")
    }

    /// Writes [`Lock::to_text`] to `out` a note at a time: a million-note lock is 200 MB.
    pub fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut notes: Vec<&LockedNote> = self.notes.iter().collect();
        notes.sort_by(|a, b| (&a.question, &a.guid).cmp(&(&b.question, &b.guid)));
        let note_type = self
            .note_type
            .as_ref()
            .map_or_else(|| "null".to_string(), json);
        write!(
            out,
            "{{\n  \"version\": {},\n  \"deck_id\": {},\n  \"note_type\": {note_type},\n  \"notes\": [",
            self.version,
            json(&self.deck_id)
        )?;
        for (i, note) in notes.iter().enumerate() {
            out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            serde_json::to_writer(&mut *out, note)?;
        }
        out.write_all(if notes.is_empty() {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })
    }

    /// Writes the lock atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        self.write_pending(PendingFile::create(path)?, path)
    }

    /// Writes the lock into a temporary file created earlier beside `path`, then renames it.
    pub fn write_pending(&self, pending: PendingFile, path: &Path) -> Result<()> {
        pending.write(|out| self.write_text(out).map_err(write_error(path)))
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("lock values serialise")
}

/// The default lock path for a build: beside the first source, `<stem>.deckforge.lock`.
pub fn default_path(first_input: &Path) -> PathBuf {
    let stem = first_input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "deck".to_string());
    first_input.with_file_name(format!("{stem}.deckforge.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(question: &str, guid: &str) -> LockedNote {
        LockedNote {
            guid: guid.to_string(),
            question: question.to_string(),
            text: question.to_uppercase(),
            id: None,
            content_hash: crate::identity::content_hash(["c"]),
            answer_hash: crate::identity::content_hash(["a"]),
            modified: 5,
            removed: false,
        }
    }

    #[test]
    fn text_form_is_sorted_one_note_per_line_and_round_trips() {
        let mut lock = Lock::new("deck");
        lock.note_type = Some(Stamp {
            content_hash: crate::identity::content_hash(["t"]),
            modified: 3,
        });
        lock.notes = vec![note("zeta?", "g2"), note("alpha?", "g1")];
        let text = lock.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 9, "{text}");
        assert!(lines[5].contains("\"alpha?\""), "{text}");
        assert!(lines[6].contains("\"zeta?\""), "{text}");
        let parsed: Lock = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.notes.len(), 2);
        assert_eq!(parsed.to_text(), text);
    }

    #[test]
    fn a_hash_that_is_not_24_hex_digits_is_a_damaged_lock_on_its_line() {
        let mut lock = Lock::new("deck");
        lock.notes = vec![note("alpha?", "g1"), note("beta?", "g2")];
        let good = crate::identity::content_hash(["a"]).to_string();
        assert_eq!(good.len(), 24);
        let text = lock.to_text().replacen(&good, "not-a-hash", 2);
        let dir = std::env::temp_dir().join(format!("deckforge-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("deck.deckforge.lock");
        std::fs::write(&path, text).unwrap();
        let error = Lock::read(&path).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(error.contains("deck.deckforge.lock:6:"), "{error}");
        assert!(
            error.contains("\"not-a-hash\" is not a 24-digit hex hash"),
            "{error}"
        );
    }

    #[test]
    fn default_path_sits_beside_the_first_source() {
        assert_eq!(
            default_path(Path::new("notes/ml.md")),
            Path::new("notes/ml.deckforge.lock")
        );
        assert_eq!(
            default_path(Path::new("ml.md")),
            Path::new("ml.deckforge.lock")
        );
    }
}
