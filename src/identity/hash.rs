//! Hashing for identities: GUIDs, ids and content digests, pinned by known answers.
//!
//! Anki merges re-imported notes by GUID alone (docs: anki-format.md §3.1), so a GUID must
//! survive typo fixes, reformatting and reordering. It is derived with SHA-256 from the
//! deck namespace (a permanent deck id, not the display name) and the *normalised* question,
//! never from the clock, randomness or the card's position.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::NoteKind;

/// Version tag mixed into every key so a future algorithm change cannot collide with this one.
const KEY_PREFIX: &str = "deckforge/v1";

/// Anki's GUID alphabet (`rslib/src/notes/mod.rs`), most significant digit first.
const BASE91: &[u8; 91] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~";

/// Ids are kept in the range of past epoch milliseconds: Anki rewrites ids more than a day in
/// the future, and its own ids are timestamps, so this range cannot look odd to any client.
const ID_RANGE: std::ops::Range<i64> = 1_000_000_000_000..1_600_000_000_000;

/// Encodes `n` the way Anki writes GUIDs.
pub(crate) fn base91(mut n: u64) -> String {
    let mut digits = Vec::with_capacity(11);
    while n > 0 {
        digits.push(BASE91[(n % 91) as usize]);
        n /= 91;
    }
    digits.reverse();
    String::from_utf8(digits).expect("alphabet is ASCII")
}

fn sha256_u64(parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(KEY_PREFIX.as_bytes());
    for part in parts {
        // A separator that cannot occur inside text keeps ("ab","c") apart from ("a","bc").
        hasher.update([0u8]);
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    u64::from_be_bytes(digest[..8].try_into().expect("SHA-256 has 32 bytes"))
}

/// A deterministic id in Anki's timestamp-like id range, derived from a stable key.
pub(crate) fn stable_id(kind: &str, key: &str) -> i64 {
    let span = (ID_RANGE.end - ID_RANGE.start) as u64;
    ID_RANGE.start + (sha256_u64(&[kind, key]) % span) as i64
}

/// A deterministic signed id for note type field and template ids (any i64 is valid there).
pub(crate) fn stable_i64(kind: &str, key: &str) -> i64 {
    sha256_u64(&[kind, key]) as i64
}

/// The GUID of a question in a deck: `base91(sha256(prefix, namespace, normalised question))`.
/// `occurrence` is 0 for the first question with this identity and counts repeats, so
/// duplicates get distinct but stable GUIDs.
pub fn note_guid(namespace: &str, normalised_question: &str, occurrence: usize) -> String {
    let value = if occurrence == 0 {
        sha256_u64(&["note", namespace, normalised_question])
    } else {
        sha256_u64(&[
            "note",
            namespace,
            normalised_question,
            &occurrence.to_string(),
        ])
    };
    base91(value)
}

/// The GUID of a question with an explicit author id: independent of the question's wording.
pub(crate) fn explicit_guid(namespace: &str, id: &str) -> String {
    base91(sha256_u64(&["id", namespace, id]))
}

/// The GUID of a question of note kind `kind`: a basic note's is [`note_guid`]'s; other kinds
/// hash under their own name, so a question that changes kind gets a new note instead of one
/// Anki would refuse as a note type change.
pub(crate) fn kind_note_guid(
    kind: NoteKind,
    namespace: &str,
    normalised_question: &str,
    occurrence: usize,
) -> String {
    if kind.is_basic() {
        return note_guid(namespace, normalised_question, occurrence);
    }
    let tag = format!("note/{kind}");
    let occurrence = occurrence.to_string();
    let mut parts = vec![tag.as_str(), namespace, normalised_question];
    if occurrence != "0" {
        parts.push(&occurrence);
    }
    base91(sha256_u64(&parts))
}

/// [`explicit_guid`] for a note of kind `kind` (see [`kind_note_guid`]).
pub(crate) fn kind_explicit_guid(kind: NoteKind, namespace: &str, id: &str) -> String {
    if kind.is_basic() {
        return explicit_guid(namespace, id);
    }
    base91(sha256_u64(&[&format!("id/{kind}"), namespace, id]))
}

/// A short digest for change detection (lock file content and answer hashes): the first 12
/// bytes of SHA-256, written as 24 hex digits. Kept as bytes, not text: a lock holds two per
/// note, and a million notes' worth of hex strings was a tenth of a large build's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 12]);

impl ContentHash {
    /// The 24 lower-case hex digits (a lock writes two per note, so no formatting machinery).
    fn hex(&self) -> [u8; 24] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0; 24];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        hex
    }
}

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex = self.hex();
        f.write_str(std::str::from_utf8(&hex).expect("hex digits are ASCII"))
    }
}

impl std::str::FromStr for ContentHash {
    type Err = String;

    fn from_str(hex: &str) -> Result<Self, String> {
        let invalid = || format!("{hex:?} is not a 24-digit hex hash");
        if hex.len() != 24 || !hex.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0; 12];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(ContentHash(bytes))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let hex = self.hex();
        serializer.serialize_str(std::str::from_utf8(&hex).expect("hex digits are ASCII"))
    }
}

impl<'de> serde::Deserialize<'de> for ContentHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        hex.parse().map_err(serde::de::Error::custom)
    }
}

/// The [`ContentHash`] of `parts`, each prefixed with its length so parts cannot run together.
pub fn content_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> ContentHash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let mut bytes = [0; 12];
    bytes.copy_from_slice(&hasher.finalize()[..12]);
    ContentHash(bytes)
}

/// Hands out unique ids: the hashed id, or the next free one after it when two keys collide.
/// Ids are not an identity across imports (Anki matches on GUID), so probing is harmless as
/// long as it is deterministic, which it is for the same input order.
#[derive(Debug, Default)]
pub(crate) struct IdAllocator {
    used: HashSet<i64, BuildHasherDefault<IdHasher>>,
}

impl IdAllocator {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        IdAllocator {
            used: HashSet::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
        }
    }

    #[cfg(test)]
    pub(crate) fn allocate(&mut self, kind: &str, key: &str) -> i64 {
        self.place(stable_id(kind, key))
    }

    /// Hands out `id` (a [`stable_id`]), or the next free one after it. Hashing the ids apart
    /// from placing them lets a caller hash on every core.
    pub(crate) fn place(&mut self, mut id: i64) -> i64 {
        while !self.used.insert(id) {
            id = if id + 1 >= ID_RANGE.end {
                ID_RANGE.start
            } else {
                id + 1
            };
        }
        id
    }
}

/// Hashes an id for [`IdAllocator`]'s set: ids are already hashes, so one multiplication
/// spreads them (SipHash made placing a million notes' ids take a third of a second).
#[derive(Debug, Default)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        self.0 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base91_matches_anki() {
        assert_eq!(base91(0), "");
        assert_eq!(base91(1_234_567_890), "saAKk");
        assert_eq!(base91(u64::MAX), "Rj&Z5m[>Zp");
    }

    #[test]
    fn kinds_hash_apart_and_basic_keeps_its_guids() {
        let ns = "mlops-interview-questions";
        let q = "what is mlops?";
        assert_eq!(
            kind_note_guid(NoteKind::Basic, ns, q, 0),
            note_guid(ns, q, 0)
        );
        assert_eq!(
            kind_note_guid(NoteKind::Basic, ns, q, 3),
            note_guid(ns, q, 3)
        );
        assert_eq!(
            kind_explicit_guid(NoteKind::Basic, ns, "x"),
            explicit_guid(ns, "x")
        );
        // Known answers: these GUIDs are shipped and never change.
        assert_eq!(kind_note_guid(NoteKind::Cloze, ns, q, 0), "l^l`u&J+t<");
        assert_eq!(kind_note_guid(NoteKind::Cloze, ns, q, 1), "Ko@`:%?(D5");
        assert_eq!(kind_note_guid(NoteKind::Reversed, ns, q, 0), "FRYjM/`f]2");
        assert_eq!(kind_explicit_guid(NoteKind::Cloze, ns, "x"), "nXOd9M~PIA");
        assert_eq!(
            kind_explicit_guid(NoteKind::Reversed, ns, "x"),
            "hL0n%L|tzG"
        );
    }

    #[test]
    fn known_answers_pin_the_algorithm() {
        assert_eq!(
            note_guid("mlops-interview-questions", "what is mlops?", 0),
            "C|{1H:Ec_U"
        );
        assert_eq!(
            note_guid("mlops-interview-questions", "what is mlops?", 1),
            "hxR-IQ]V$N"
        );
        assert_eq!(
            stable_id("deck", "mlops-interview-questions"),
            1_135_707_665_844
        );
        assert_eq!(
            stable_i64("field", "x/Question"),
            -1_779_136_556_550_981_604
        );
    }

    #[test]
    fn ids_stay_in_the_past_and_collisions_probe_forward() {
        let mut ids = IdAllocator::default();
        let a = ids.allocate("note", "k");
        let b = ids.allocate("note", "k");
        assert_eq!(b, a + 1);
        assert!(ID_RANGE.contains(&a));
    }
}
