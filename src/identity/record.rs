//! What a build remembers about one note, and the checks that keep a damaged or hand-edited
//! memory from shipping a GUID or a time Anki would misread.
//!
//! The record lives here, not in the lock module, because matching reads and writes records:
//! the lock file depends on identities, never the reverse.

use serde::{Deserialize, Deserializer, Serialize};

use super::hash::ContentHash;
use crate::model::NoteKind;

/// The latest time deckforge accepts, in seconds (the last second of the year 9999): Anki
/// stores some times in milliseconds, and later ones would overflow.
pub const LATEST_TIME: i64 = 253_402_300_799;

/// The longest GUID accepted from a lock. deckforge writes at most 10 characters; Anki's own
/// are as short, so anything much longer is damage, not an identity.
pub(crate) const MAX_GUID_LEN: usize = 64;

/// What the lock remembers about one note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedNote {
    #[serde(deserialize_with = "checked_guid")]
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
    #[serde(deserialize_with = "checked_time")]
    pub modified: i64,
    /// The question is gone from the sources; the note is shipped tagged `deckforge::removed`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// The subdeck below the main deck the note's card went to (`Top::Mid`); empty for the
    /// main deck, and unknown in locks older than version 2.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subdeck: String,
    /// The kind of note it is (basic when absent, as in every lock before cloze and reversed
    /// notes); a question only keeps this note while it stays of this kind.
    #[serde(default, skip_serializing_if = "NoteKind::is_basic")]
    pub kind: NoteKind,
}

/// Why `guid` cannot be a note's GUID, if it cannot: Anki would store an empty, invisible or
/// control-character GUID, and a later export or CSV would break on it.
pub fn guid_problem(guid: &str) -> Option<String> {
    if guid.is_empty() {
        return Some("a note's GUID is empty".to_string());
    }
    if guid.len() > MAX_GUID_LEN {
        return Some(format!(
            "a note's GUID is {} bytes long (at most {MAX_GUID_LEN})",
            guid.len()
        ));
    }
    let bad = guid
        .chars()
        .find(|&c| c.is_control() || c.is_whitespace() || super::normalise::is_invisible(c));
    bad.map(|c| format!("a note's GUID holds the character U+{:04X}", u32::from(c)))
}

/// Why `time` cannot be a modification time, if it cannot.
pub fn time_problem(time: i64) -> Option<String> {
    (!(0..=LATEST_TIME).contains(&time))
        .then(|| format!("modification time {time} is not between 0 and {LATEST_TIME}"))
}

/// Reads a GUID, refusing one that [`guid_problem`] rejects (serde_json then names the line).
fn checked_guid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let guid = String::deserialize(deserializer)?;
    match guid_problem(&guid) {
        Some(problem) => Err(serde::de::Error::custom(problem)),
        None => Ok(guid),
    }
}

/// Reads a modification time, refusing one that [`time_problem`] rejects.
pub(crate) fn checked_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let time = i64::deserialize(deserializer)?;
    match time_problem(time) {
        Some(problem) => Err(serde::de::Error::custom(problem)),
        None => Ok(time),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_that_are_empty_invisible_controlled_or_long_are_refused() {
        assert_eq!(guid_problem("C|{1H:Ec_U"), None);
        assert_eq!(guid_problem("Rj&Z5m[>Zp"), None);
        assert!(guid_problem("").unwrap().contains("empty"));
        assert!(guid_problem("ab\u{1f}c").unwrap().contains("U+001F"));
        assert!(guid_problem("ab\ncd").unwrap().contains("U+000A"));
        assert!(guid_problem("a b").unwrap().contains("U+0020"));
        assert!(guid_problem("a\u{200b}b").unwrap().contains("U+200B"));
        assert!(guid_problem(&"x".repeat(65)).unwrap().contains("65 bytes"));
        assert_eq!(guid_problem(&"x".repeat(64)), None);
    }

    #[test]
    fn times_outside_the_years_1970_to_9999_are_refused() {
        assert_eq!(time_problem(0), None);
        assert_eq!(time_problem(LATEST_TIME), None);
        assert!(time_problem(-1).is_some());
        assert!(time_problem(LATEST_TIME + 1).is_some());
    }
}
