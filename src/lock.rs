//! The lock file: what the previous build decided, so the next one keeps GUIDs and modification times.
//!
//! It lives beside the first source as `<deck id>.deckforge.lock`, else named after the sources
//! (one memory per deck, not per first input; see `default_path`), and is meant to be committed
//! with the Markdown. It is JSON with one note per line, sorted by question, so a diff shows one
//! line per changed note. Per note it records the GUID, the normalised question, the question as
//! written (to label removed notes), hashes of the content and of the answer, the modification
//! time and the subdeck it went to. The deck as a whole records its namespace, note type id, tag
//! root and deck name: a note's note type must never change under it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::ContentHash;
pub use crate::identity::LATEST_TIME;
pub(crate) use crate::identity::LockedNote;
use crate::model::NoteKind;
use crate::write::atomic::{PendingFile, write_error};

/// The lock format version; a lock with a newer version is refused rather than misread.
/// Version 1 hashed the rendered HTML of each note (so the hash depended on the output format);
/// version 2 hashes the source and remembers the note type id, tag root, decks and notices;
/// version 3 keys questions by the Unicode-folded normalisation (NFKC, no invisible
/// characters, `_` `*` `~` kept inside words), so older locks are re-keyed when read;
/// version 4 records notes of another kind than basic (cloze, reversed).
pub(crate) const LOCK_VERSION: u32 = 4;

/// The version a lock whose notes are all basic is written with: such a lock means the same to
/// the releases before cloze and reversed notes, so a deck of basic notes keeps the lock it has
/// (and `--locked` builds pass), while a lock with other kinds is refused by those releases
/// instead of shipping its cloze and reversed notes as basic ones (which Anki rejects as a note
/// type change).
const BASIC_ONLY_VERSION: u32 = 3;

/// The first version whose questions are keyed as this release keys them.
const KEYED_VERSION: u32 = 3;

/// A content hash and the time it last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub content_hash: ContentHash,
    #[serde(deserialize_with = "crate::identity::record::checked_time")]
    pub modified: i64,
}

/// The whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub version: u32,
    /// The GUID namespace.
    pub deck_id: String,
    /// The note type id the notes were shipped with (version 2); older locks imply the id
    /// derived from `deck_id`.
    #[serde(default)]
    pub note_type_id: Option<i64>,
    /// The root of every note's tags (version 2); older locks imply the slug of `deck_id`.
    #[serde(default)]
    pub tag_root: Option<String>,
    /// The main deck's name at the last build, to notice a rename once.
    #[serde(default)]
    pub deck: Option<String>,
    /// One-time notices already given for this deck (for example `csv`).
    #[serde(default)]
    pub notices: Vec<String>,
    pub note_type: Option<Stamp>,
    pub notes: Vec<LockedNote>,
}

impl Lock {
    pub fn new(deck_id: &str) -> Lock {
        Lock {
            version: LOCK_VERSION,
            deck_id: deck_id.to_string(),
            note_type_id: None,
            tag_root: None,
            deck: None,
            notices: Vec::new(),
            note_type: None,
            notes: Vec::new(),
        }
    }

    /// Whether the content hashes are of the rendered notes (version 1), not of the sources.
    pub(crate) fn has_rendered_hashes(&self) -> bool {
        self.version < 2
    }

    /// Reads a lock file; a missing file is `Ok(None)`.
    pub fn read(path: &Path) -> Result<Option<Lock>> {
        let file = match crate::input::open_regular(path) {
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
        if lock.version > LOCK_VERSION {
            return Err(Error::Malformed {
                path: path.to_path_buf(),
                message: format!(
                    "lock file version {} is newer than this deckforge understands ({LOCK_VERSION}); upgrade deckforge",
                    lock.version
                ),
            });
        }
        let mut lock = lock;
        lock.rekey();
        Ok(Some(lock))
    }

    /// Re-keys the records of a lock written before `KEYED_VERSION` by normalising each
    /// question as written, so every note still matches its question: same GUID, and no
    /// modification time bumped, since the content hashes do not depend on the key.
    pub fn rekey(&mut self) {
        if self.version >= KEYED_VERSION {
            return;
        }
        for note in &mut self.notes {
            // A record without its text (never written by a release) keeps what it has,
            // folded as far as the key allows.
            let written = if note.text.is_empty() {
                &note.question
            } else {
                &note.text
            };
            note.question = crate::identity::normalise_question(written);
        }
    }

    /// The stable text form: sorted notes, one per line.
    pub fn to_text(&self) -> String {
        let mut bytes = Vec::with_capacity(64 + self.notes.len() * 200);
        self.write_text(&mut bytes)
            .expect("writing to memory does not fail");
        String::from_utf8(bytes).expect("serde_json writes UTF-8")
    }

    /// The version this lock is written with: see [`LOCK_VERSION`] and `BASIC_ONLY_VERSION`.
    fn written_version(&self) -> u32 {
        if self.notes.iter().any(|note| note.kind != NoteKind::Basic) {
            LOCK_VERSION
        } else {
            self.version.min(BASIC_ONLY_VERSION)
        }
    }

    /// Writes [`Lock::to_text`] to `out` a note at a time: a million-note lock is 200 MB.
    pub(crate) fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut notes: Vec<&LockedNote> = self.notes.iter().collect();
        notes.sort_by(|a, b| (&a.question, &a.guid).cmp(&(&b.question, &b.guid)));
        let note_type = self
            .note_type
            .as_ref()
            .map_or_else(|| "null".to_string(), json);
        write!(
            out,
            "{{\n  \"version\": {},\n  \"deck_id\": {},\n  \"note_type_id\": {},\n  \"tag_root\": {},\n  \"deck\": {},\n  \"notices\": {},\n  \"note_type\": {note_type},\n  \"notes\": [",
            self.written_version(),
            json(&self.deck_id),
            json(&self.note_type_id),
            json(&self.tag_root),
            json(&self.deck),
            json(&self.notices),
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
    pub(crate) fn write_pending(&self, pending: PendingFile, path: &Path) -> Result<()> {
        pending.write(|out| self.write_text(out).map_err(write_error(path)))
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("lock values serialise")
}

/// The default lock path for a build, beside the first source: one memory per deck, not per
/// first input. A deck is named by its explicit deck id when it has one
/// (`<deck id>.deckforge.lock`), else by its sources: `<stem>.deckforge.lock` for one source
/// (as older releases named it), `<stem>+<stem>….deckforge.lock` for several. So the `.apkg`
/// and the `.csv` of a deck, and its versioned outputs, share a lock, while `rust.md git.md`
/// and `rust.md` alone are two decks with two locks.
///
/// Names never collide: a deck id is written by [`crate::identity::unambiguous_slug`] (`ML Ops`
/// and `ml-ops` get two locks) and a file name that is not UTF-8 by
/// [`crate::identity::unambiguous_name`]. Releases before that slugged ids and read names
/// lossily; [`ambiguous_default_path`] gives where they put the lock.
pub(crate) fn default_path(inputs: &[PathBuf], deck_id: Option<&str>) -> Option<PathBuf> {
    default_path_by(inputs, deck_id, true)
}

/// Where releases before the unambiguous names kept a deck's default lock, if that differs
/// from [`default_path`]: a build that finds no lock at the new place takes that one over when
/// it is this deck's.
pub(crate) fn ambiguous_default_path(inputs: &[PathBuf], deck_id: Option<&str>) -> Option<PathBuf> {
    let old = default_path_by(inputs, deck_id, false)?;
    (Some(&old) != default_path(inputs, deck_id).as_ref()).then_some(old)
}

fn default_path_by(
    inputs: &[PathBuf],
    deck_id: Option<&str>,
    unambiguous: bool,
) -> Option<PathBuf> {
    let first = inputs.first()?;
    let name = match deck_id {
        Some(id) if unambiguous => crate::identity::unambiguous_slug(id),
        Some(id) => {
            let slug = crate::identity::slug(id);
            if slug.is_empty() {
                "deck".to_string()
            } else {
                slug
            }
        }
        None => {
            let stems: Vec<String> = inputs
                .iter()
                .map(|input| stem_or_deck(input, unambiguous))
                .collect();
            let joined = stems.join("+");
            // File names have a length limit; a long list is named by its first and a hash.
            if joined.len() <= 100 {
                joined
            } else {
                let hash = crate::identity::content_hash(stems.iter().map(String::as_str));
                format!("{}+{}", stems[0], &hash.to_string()[..8])
            }
        }
    };
    Some(first.with_file_name(format!("{name}.deckforge.lock")))
}

/// Where releases before lock version 2 kept the lock: beside the first source, named after it.
pub(crate) fn legacy_path(first_input: &Path) -> PathBuf {
    first_input.with_file_name(format!(
        "{}.deckforge.lock",
        stem_or_deck(first_input, false)
    ))
}

fn stem_or_deck(path: &Path, unambiguous: bool) -> String {
    path.file_stem()
        .map(|s| {
            if unambiguous {
                crate::identity::unambiguous_name(s)
            } else {
                s.to_string_lossy().into_owned()
            }
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "deck".to_string())
}

/// Removes the records of removed questions from the lock at `path` (`deckforge prune`), so
/// their retired notes are no longer shipped; returns how many were dropped.
pub fn prune(path: &Path) -> Result<usize> {
    let Some(mut lock) = Lock::read(path)? else {
        return Err(Error::io(
            path,
            "read the lock file",
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such lock file"),
        ));
    };
    let before = lock.notes.len();
    lock.notes.retain(|note| !note.removed);
    let dropped = before - lock.notes.len();
    if dropped > 0 {
        lock.write(path)?;
    }
    Ok(dropped)
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
            subdeck: String::new(),
            kind: Default::default(),
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
        assert_eq!(lines.len(), 13, "{text}");
        assert!(lines[9].contains("\"alpha?\""), "{text}");
        assert!(lines[10].contains("\"zeta?\""), "{text}");
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
        assert!(error.contains("deck.deckforge.lock:10:"), "{error}");
        assert!(
            error.contains("\"not-a-hash\" is not a 24-digit hex hash"),
            "{error}"
        );
    }

    /// Reads `text` as a lock file; the error message if it is refused.
    fn read_error(text: &str, name: &str) -> String {
        let dir =
            std::env::temp_dir().join(format!("deckforge-lock-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("deck.deckforge.lock");
        std::fs::write(&path, text).unwrap();
        let result = Lock::read(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn a_guid_or_time_that_cannot_be_shipped_is_a_damaged_lock_on_its_line() {
        let mut lock = Lock::new("deck");
        lock.notes = vec![note("alpha?", "g1"), note("beta?", "g2")];
        let text = lock.to_text();
        assert_eq!(read_error(&text, "good"), "");
        let long = "x".repeat(65);
        for (guid, problem) in [
            ("", "GUID is empty"),
            ("g\\u0001", "U+0001"),
            ("g\\u00092", "U+0009"),
            ("g\\u200b", "U+200B"),
            (long.as_str(), "65 bytes"),
        ] {
            let damaged = text.replace("\"g2\"", &format!("\"{guid}\""));
            let error = read_error(&damaged, "guid");
            assert!(
                error.contains("deck.deckforge.lock:11:"),
                "{guid:?}: {error}"
            );
            assert!(error.contains(problem), "{guid:?}: {error}");
            assert!(error.contains("restore it from version control"), "{error}");
        }
        let late = text.replacen(
            "\"modified\":5",
            &format!("\"modified\":{}", LATEST_TIME + 1),
            2,
        );
        let error = read_error(&late, "time");
        assert!(error.contains("deck.deckforge.lock:10:"), "{error}");
        assert!(error.contains("is not between 0 and"), "{error}");
    }

    #[test]
    fn a_lock_is_written_as_version_4_only_when_it_holds_cloze_or_reversed_notes() {
        let mut lock = Lock::new("deck");
        lock.notes = vec![note("what is a?", "g1"), note("what is b?", "g2")];
        assert!(
            lock.to_text().contains("\"version\": 3,"),
            "basic notes keep version 3"
        );
        lock.notes[1].kind = NoteKind::Cloze;
        let text = lock.to_text();
        assert!(text.contains("\"version\": 4,"), "{text}");
        let read: Lock = serde_json::from_str(&text).unwrap();
        assert_eq!(read.notes[1].kind, NoteKind::Cloze);
    }

    #[test]
    fn a_lock_keyed_by_an_older_release_is_rekeyed_from_the_written_questions() {
        let mut lock = Lock::new("deck");
        lock.version = 2;
        let mut snake = note("snakecase?", "g1");
        snake.text = "What is snake_case?".into();
        let mut cafe = note("caf\u{e9}?", "g2");
        cafe.text = "Cafe\u{301}\u{200b}?".into();
        let mut textless = note("ｆｕｌｌ?", "g3");
        textless.text = String::new();
        lock.notes = vec![snake, cafe, textless];
        let mut current = lock.clone();
        current.version = LOCK_VERSION;
        current.rekey();
        assert_eq!(current.notes, lock.notes, "a current lock is keyed already");
        lock.rekey();
        let keys: Vec<&str> = lock.notes.iter().map(|n| n.question.as_str()).collect();
        assert_eq!(keys, ["what is snake_case?", "caf\u{e9}?", "full?"]);
        assert_eq!(lock.notes[0].guid, "g1");
        assert_eq!(lock.notes[0].modified, 5);
    }

    #[test]
    fn default_path_sits_beside_the_first_source_named_after_the_deck() {
        let path = |inputs: &[&str], id: Option<&str>| {
            let inputs: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
            default_path(&inputs, id).unwrap()
        };
        assert_eq!(
            path(&["notes/ml.md"], None),
            Path::new("notes/ml.deckforge.lock")
        );
        assert_eq!(
            path(&["notes/rust.md", "git.md"], None),
            Path::new("notes/rust+git.deckforge.lock")
        );
        assert_eq!(
            path(&["notes/ml.md"], Some("ml-ops")),
            Path::new("notes/ml-ops.deckforge.lock")
        );
        // Two ids, two locks; an older release kept the first beside the second's.
        assert_eq!(
            path(&["notes/ml.md"], Some("ML Ops")),
            Path::new("notes/ml-ops-499b4f.deckforge.lock")
        );
        let inputs = [PathBuf::from("notes/ml.md")];
        assert_eq!(
            ambiguous_default_path(&inputs, Some("ML Ops")),
            Some(PathBuf::from("notes/ml-ops.deckforge.lock"))
        );
        assert_eq!(ambiguous_default_path(&inputs, Some("ml-ops")), None);
        assert_eq!(ambiguous_default_path(&inputs, None), None);
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let latin = |b: &[u8]| vec![PathBuf::from(std::ffi::OsStr::from_bytes(b))];
            let acute = default_path(&latin(b"caf\xe9.md"), None).unwrap();
            let grave = default_path(&latin(b"caf\xe8.md"), None).unwrap();
            assert_ne!(acute, grave);
            assert_eq!(
                ambiguous_default_path(&latin(b"caf\xe9.md"), None),
                Some(PathBuf::from("caf\u{fffd}.deckforge.lock"))
            );
        }
        let many: Vec<String> = (0..40).map(|i| format!("chapter-{i}.md")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let long = path(&many, None);
        assert!(long.to_string_lossy().starts_with("chapter-0+"), "{long:?}");
        assert!(long.to_string_lossy().len() < 40, "{long:?}");
        assert_eq!(
            legacy_path(Path::new("notes/ml.md")),
            Path::new("notes/ml.deckforge.lock")
        );
    }
}
