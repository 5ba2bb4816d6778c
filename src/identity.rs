//! Stable identities: the same question in the same deck always gets the same GUID and ids.
//!
//! Anki merges re-imported notes by GUID alone (docs: anki-format.md §3.1), so a GUID must
//! survive typo fixes, reformatting and reordering. It is derived with SHA-256 from the
//! deck namespace (a permanent deck id, not the display name) and the *normalised* question,
//! never from the clock, randomness or the card's position.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::lock::{Lock, LockedNote};

/// Version tag mixed into every key so a future algorithm change cannot collide with this one.
const KEY_PREFIX: &str = "deckforge/v1";

/// Anki's GUID alphabet (`rslib/src/notes/mod.rs`), most significant digit first.
const BASE91: &[u8; 91] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~";

/// Ids are kept in the range of past epoch milliseconds: Anki rewrites ids more than a day in
/// the future, and its own ids are timestamps, so this range cannot look odd to any client.
const ID_RANGE: std::ops::Range<i64> = 1_000_000_000_000..1_600_000_000_000;

/// Encodes `n` the way Anki writes GUIDs.
pub fn base91(mut n: u64) -> String {
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
pub fn stable_id(kind: &str, key: &str) -> i64 {
    let span = (ID_RANGE.end - ID_RANGE.start) as u64;
    ID_RANGE.start + (sha256_u64(&[kind, key]) % span) as i64
}

/// A deterministic signed id for note type field and template ids (any i64 is valid there).
pub fn stable_i64(kind: &str, key: &str) -> i64 {
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
pub fn explicit_guid(namespace: &str, id: &str) -> String {
    base91(sha256_u64(&["id", namespace, id]))
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

/// Folds the formatting noise authors introduce without meaning to: case, whitespace,
/// Markdown emphasis and code markers, and spacing around punctuation.
pub fn normalise_question(question: &str) -> String {
    let mut words = String::with_capacity(question.len());
    for c in question.chars() {
        match c {
            '*' | '_' | '`' | '~' => {}
            c if c.is_whitespace() => {
                if !words.ends_with(' ') && !words.is_empty() {
                    words.push(' ');
                }
            }
            c => words.extend(c.to_lowercase()),
        }
    }
    let chars: Vec<char> = words.trim_end().chars().collect();
    let mut out = String::with_capacity(words.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1).copied();
            let touches_punctuation =
                before.is_some_and(is_punctuation) || after.is_some_and(is_punctuation);
            if touches_punctuation {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn is_punctuation(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// A deck-friendly slug: lowercase ASCII letters and digits separated by single dashes.
/// Non-ASCII letters are kept, so non-English sections still get distinct slugs.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Hands out unique ids: the hashed id, or the next free one after it when two keys collide.
/// Ids are not an identity across imports (Anki matches on GUID), so probing is harmless as
/// long as it is deterministic, which it is for the same input order.
#[derive(Debug, Default)]
pub struct IdAllocator {
    used: HashSet<i64, BuildHasherDefault<IdHasher>>,
}

impl IdAllocator {
    pub fn with_capacity(capacity: usize) -> Self {
        IdAllocator {
            used: HashSet::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
        }
    }

    pub fn allocate(&mut self, kind: &str, key: &str) -> i64 {
        self.place(stable_id(kind, key))
    }

    /// Hands out `id` (a [`stable_id`]), or the next free one after it. Hashing the ids apart
    /// from placing them lets a caller hash on every core.
    pub fn place(&mut self, mut id: i64) -> i64 {
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
pub struct IdHasher(u64);

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

/// What identity assignment needs to know about one card of the current sources.
#[derive(Debug, Clone)]
pub struct CardKey {
    pub normalised: String,
    /// The question as written, remembered in the lock to label removed notes.
    pub text: String,
    pub explicit_id: Option<String>,
    pub content_hash: ContentHash,
    pub answer_hash: ContentHash,
}

/// How a note changed since the build recorded in the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Updated,
    Reworded,
    Unchanged,
}

/// The identity decided for one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub guid: String,
    pub modified: i64,
    pub change: Change,
    /// For a reworded question, the question it replaced (as the author wrote it).
    pub previous_text: Option<String>,
    /// For a repeated question, the index of the first card with the same identity.
    pub duplicate_of: Option<usize>,
}

/// The result of matching the current cards against the lock.
#[derive(Debug, Clone)]
pub struct Assigned {
    /// One per card, in card order.
    pub cards: Vec<Assignment>,
    /// Lock records whose question is gone, with the modification time to ship them with.
    pub removed: Vec<(LockedNote, i64)>,
    /// The lock to write after a successful build.
    pub lock: Lock,
}

/// Similarity at or above which a vanished question counts as reworded into a new one.
pub const REWORD_THRESHOLD: f64 = 0.5;
/// A lower bar when the answer is unchanged: a rewritten question with the same answer.
pub const REWORD_THRESHOLD_SAME_ANSWER: f64 = 0.2;
/// Above this many (new × vanished) pairs, rewording detection is skipped to bound build time.
const REWORD_PAIR_LIMIT: usize = 4_000_000;

/// The GUIDs given out so far, as 64-bit hashes: a million GUIDs as strings took 75 MB. Two
/// different GUIDs with the same hash (about one chance in 10^13 per build of a million
/// cards) only cost the second one a further occurrence number, and builds stay
/// reproducible, since the same inputs give the same collision.
struct GuidSet(HashSet<i64, BuildHasherDefault<IdHasher>>);

impl GuidSet {
    fn with_capacity(capacity: usize) -> Self {
        GuidSet(HashSet::with_capacity_and_hasher(
            capacity,
            BuildHasherDefault::default(),
        ))
    }

    /// Adds `guid`; false if it (or one with its hash) was already given out.
    fn insert(&mut self, guid: &str) -> bool {
        // FNV-1a: fixed, so collisions, however rare, are the same in every build.
        let hash = guid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        self.0.insert(hash as i64)
    }
}

/// A modification time strictly after `previous`, normally the build time.
fn bumped(previous: i64, now: i64) -> i64 {
    // Saturating: a damaged or hand-edited lock may hold i64::MAX.
    now.max(previous.saturating_add(1))
}

/// Decides every card's GUID and modification time, in priority order: the author's explicit
/// id; the lock's record for the same normalised question; a vanished record similar enough
/// to count as a rewording (never matched twice); otherwise a fresh hash of the question.
pub fn assign(namespace: &str, cards: &[CardKey], lock: Option<&Lock>, now: i64) -> Assigned {
    assign_owned(namespace, cards.to_vec(), lock.cloned(), now)
}

/// [`assign`], moving the keys into the next lock instead of copying them (a million cards'
/// keys are a few hundred megabytes).
pub fn assign_owned(
    namespace: &str,
    cards: Vec<CardKey>,
    lock: Option<Lock>,
    now: i64,
) -> Assigned {
    // The keys become the next lock's records at once (GUIDs and times are filled in below),
    // so a large deck's keys are never held twice.
    let mut next: Vec<LockedNote> = cards
        .into_iter()
        .map(|card| LockedNote {
            guid: String::new(),
            question: card.normalised,
            text: card.text,
            id: card.explicit_id,
            content_hash: card.content_hash,
            answer_hash: card.answer_hash,
            modified: 0,
            removed: false,
            subdeck: String::new(),
        })
        .collect();
    let cards = &next;
    let mut lock = lock.unwrap_or_else(|| Lock::new(namespace));
    // A hand-edited or merged lock may list a GUID twice; the first record wins, so a package
    // never holds two notes with one GUID. `positions` are the records' places in the lock.
    let positions: Vec<usize> = {
        let mut seen_guids = HashSet::with_capacity(lock.notes.len());
        (0..lock.notes.len())
            .filter(|&position| seen_guids.insert(lock.notes[position].guid.as_str()))
            .collect()
    };
    let (matched, claimed, reworded) = {
        let records: Vec<&LockedNote> = positions.iter().map(|&p| &lock.notes[p]).collect();
        let mut claimed = vec![false; records.len()];
        let mut matched: Vec<Option<usize>> = vec![None; cards.len()];

        let mut by_id: HashMap<&str, usize> = HashMap::new();
        // Records by question: the first one, then a chain through the rest in order (a list per
        // question would be an allocation per record).
        let mut by_question: HashMap<&str, usize> = HashMap::with_capacity(records.len());
        let mut next_same_question: Vec<Option<usize>> = vec![None; records.len()];
        for (index, record) in records.iter().enumerate().rev() {
            next_same_question[index] = by_question.insert(record.question.as_str(), index);
        }
        for (index, record) in records.iter().enumerate() {
            if let Some(id) = &record.id {
                by_id.entry(id.as_str()).or_insert(index);
            }
        }
        // 1. Explicit ids.
        for (card_index, card) in cards.iter().enumerate() {
            if let Some(&record) = card.id.as_deref().and_then(|id| by_id.get(id)) {
                if !claimed[record] {
                    claimed[record] = true;
                    matched[card_index] = Some(record);
                }
            }
        }
        // 2. The same normalised question (duplicates take the records in order).
        for (card_index, card) in cards.iter().enumerate() {
            if matched[card_index].is_some() {
                continue;
            }
            if let Some(&first) = by_question.get(card.question.as_str()) {
                let candidates =
                    std::iter::successors(Some(first), |&record| next_same_question[record]);
                let explicit_elsewhere = |r: &usize| {
                    records[*r].id.is_some() && card.id.is_some() && records[*r].id != card.id
                };
                // Repeated questions share a normalised text: prefer the record with the same
                // content, then the same answer, so a pair of duplicates never swaps GUIDs.
                let free: Vec<usize> = candidates
                    .filter(|r| !claimed[*r] && !explicit_elsewhere(r))
                    .collect();
                let best = free
                    .iter()
                    .find(|&&r| records[r].content_hash == card.content_hash)
                    .or_else(|| {
                        free.iter()
                            .find(|&&r| records[r].answer_hash == card.answer_hash)
                    })
                    .or_else(|| free.first());
                if let Some(&record) = best {
                    claimed[record] = true;
                    matched[card_index] = Some(record);
                }
            }
        }
        // The indexes are a large lock's worth of memory; matching by them is over.
        drop((by_id, by_question, next_same_question));
        // 3. Rewordings: best pairs first, each record and card used once.
        let mut reworded = vec![false; cards.len()];
        let unmatched_cards: Vec<usize> =
            (0..cards.len()).filter(|&i| matched[i].is_none()).collect();
        let vanished: Vec<usize> = (0..records.len()).filter(|&r| !claimed[r]).collect();
        if !unmatched_cards.is_empty()
            && unmatched_cards.len() * vanished.len() <= REWORD_PAIR_LIMIT
        {
            let mut pairs = Vec::new();
            for &card_index in &unmatched_cards {
                let card = &cards[card_index];
                for &record in &vanished {
                    let similarity = question_similarity(&card.question, &records[record].question);
                    let same_answer = records[record].answer_hash == card.answer_hash;
                    let threshold = if same_answer {
                        REWORD_THRESHOLD_SAME_ANSWER
                    } else {
                        REWORD_THRESHOLD
                    };
                    if similarity >= threshold {
                        pairs.push((same_answer, similarity, card_index, record));
                    }
                }
            }
            pairs.sort_by(|a, b| {
                (b.0, b.1)
                    .partial_cmp(&(a.0, a.1))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.2.cmp(&b.2))
                    .then(a.3.cmp(&b.3))
            });
            for (_, _, card_index, record) in pairs {
                if matched[card_index].is_none() && !claimed[record] {
                    claimed[record] = true;
                    matched[card_index] = Some(record);
                    reworded[card_index] = true;
                }
            }
        }
        (matched, claimed, reworded)
    };
    // A matched record's questions are no longer needed (unless it was reworded, for the
    // report): freeing them before the next lock is finished saves a large rebuild a tenth
    // of its memory.
    for (card_index, record) in matched.iter().enumerate() {
        if let Some(record) = *record {
            let note = &mut lock.notes[positions[record]];
            note.question = String::new();
            if !reworded[card_index] {
                note.text = String::new();
            }
        }
    }
    let records: Vec<&LockedNote> = positions.iter().map(|&p| &lock.notes[p]).collect();
    // 4. Fresh GUIDs for the rest, never reusing one the lock or an earlier card holds.
    // Vanished records keep their GUIDs too: they ship as removed notes.
    let mut taken = GuidSet::with_capacity(records.len() + cards.len());
    for record in &records {
        taken.insert(&record.guid);
    }
    let duplicates: Vec<Option<usize>> = {
        let mut first_by_question: HashMap<&str, usize> = HashMap::with_capacity(cards.len());
        cards
            .iter()
            .enumerate()
            .map(
                |(card_index, card)| match first_by_question.get(card.question.as_str()) {
                    Some(&first) => Some(first),
                    None => {
                        first_by_question.insert(&card.question, card_index);
                        None
                    }
                },
            )
            .collect()
    };
    let mut assignments = Vec::with_capacity(cards.len());
    for (card_index, duplicate_of) in duplicates.into_iter().enumerate() {
        let card = &next[card_index];
        let assignment = match matched[card_index] {
            Some(record_index) => {
                let record = &records[record_index];
                let unchanged = record.content_hash == card.content_hash && !record.removed;
                Assignment {
                    guid: record.guid.clone(),
                    modified: if unchanged {
                        record.modified
                    } else {
                        bumped(record.modified, now)
                    },
                    change: if reworded[card_index] {
                        Change::Reworded
                    } else if unchanged {
                        Change::Unchanged
                    } else {
                        Change::Updated
                    },
                    previous_text: reworded[card_index].then(|| record.text.clone()),
                    duplicate_of,
                }
            }
            None => {
                let mut occurrence = 0;
                let guid = loop {
                    let guid = match &card.id {
                        Some(id) if occurrence == 0 => explicit_guid(namespace, id),
                        Some(id) => explicit_guid(namespace, &format!("{id}#{occurrence}")),
                        None => note_guid(namespace, &card.question, occurrence),
                    };
                    if taken.insert(&guid) {
                        break guid;
                    }
                    occurrence += 1;
                };
                Assignment {
                    guid,
                    modified: now,
                    change: Change::Added,
                    previous_text: None,
                    duplicate_of,
                }
            }
        };
        let record = &mut next[card_index];
        record.guid = assignment.guid.clone();
        record.modified = assignment.modified;
        assignments.push(assignment);
    }
    let mut notes = next;
    let removed: Vec<(LockedNote, i64)> = records
        .iter()
        .zip(&claimed)
        .filter(|(_, claimed)| !**claimed)
        .map(|(record, _)| {
            let modified = if record.removed {
                record.modified
            } else {
                bumped(record.modified, now)
            };
            ((*record).clone(), modified)
        })
        .collect();
    notes.reserve_exact(removed.len());
    for (record, modified) in &removed {
        notes.push(LockedNote {
            removed: true,
            modified: *modified,
            ..record.clone()
        });
    }
    Assigned {
        cards: assignments,
        removed,
        // The deck-level memory (note type id, tag root, decks, notices) is the caller's to set.
        lock: Lock {
            note_type: lock.note_type.clone(),
            notes,
            ..Lock::new(namespace)
        },
    }
}

/// How alike two normalised questions are, from 0 to 1: the better of word overlap and
/// character-trigram overlap (Sørensen–Dice), so both one-word swaps and small spelling
/// changes score high.
pub fn question_similarity(a: &str, b: &str) -> f64 {
    fn words(s: &str) -> HashSet<&str> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect()
    }
    fn trigrams(s: &str) -> HashSet<[char; 3]> {
        let chars: Vec<char> = s
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ')
            .collect();
        chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
    }
    fn dice<T: Eq + std::hash::Hash>(x: &HashSet<T>, y: &HashSet<T>) -> f64 {
        if x.is_empty() && y.is_empty() {
            return 1.0;
        }
        2.0 * x.intersection(y).count() as f64 / (x.len() + y.len()) as f64
    }
    dice(&words(a), &words(b)).max(dice(&trigrams(a), &trigrams(b)))
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
    fn normalisation_folds_formatting_noise() {
        let canonical = normalise_question("What is MLOps?");
        assert_eq!(canonical, "what is mlops?");
        for variant in [
            "what is  MLOps?",
            "**What is MLOps?**",
            "What is *MLOps* ?",
            "  What\nis `MLOps`?  ",
            "WHAT IS MLOPS?",
        ] {
            assert_eq!(normalise_question(variant), canonical, "{variant:?}");
        }
        assert_eq!(
            normalise_question("A / B testing , e.g. here"),
            "a/b testing,e.g.here"
        );
        assert_ne!(
            normalise_question("What is MLOps?"),
            normalise_question("What is DevOps?")
        );
    }

    /// Known answers, computed independently with Python's hashlib. If one of these changes, every user's notes would duplicate on the next
    /// import. Never update them to make a test pass; bump KEY_PREFIX's version instead.
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

    fn key(question: &str, answer: &str) -> CardKey {
        CardKey {
            normalised: normalise_question(question),
            text: question.to_string(),
            explicit_id: None,
            content_hash: content_hash([question, answer]),
            answer_hash: content_hash([answer]),
        }
    }

    fn rebuild(previous: &Assigned, cards: &[CardKey], now: i64) -> Assigned {
        assign("ns", cards, Some(&previous.lock), now)
    }

    #[test]
    fn unchanged_notes_keep_guid_and_mod_and_edits_bump_mod() {
        let v1 = assign(
            "ns",
            &[key("What is X?", "x"), key("What is Y?", "y")],
            None,
            100,
        );
        assert!(
            v1.cards
                .iter()
                .all(|c| c.change == Change::Added && c.modified == 100)
        );
        assert_eq!(v1.cards[0].guid, note_guid("ns", "what is x?", 0));
        let v2 = rebuild(
            &v1,
            &[key("What is Y?", "y"), key("What is X?", "x, edited")],
            100,
        );
        assert_eq!(v2.cards[0].guid, v1.cards[1].guid);
        assert_eq!(
            (v2.cards[0].change, v2.cards[0].modified),
            (Change::Unchanged, 100)
        );
        assert_eq!(v2.cards[1].guid, v1.cards[0].guid);
        assert_eq!(v2.cards[1].change, Change::Updated);
        assert_eq!(
            v2.cards[1].modified, 101,
            "strictly newer even with a fixed clock"
        );
    }

    #[test]
    fn rewordings_inherit_the_vanished_guid_once() {
        let v1 = assign(
            "ns",
            &[key("How does MLOps differ from DevOps?", "a")],
            None,
            100,
        );
        let v2 = rebuild(
            &v1,
            &[
                key("How does MLOps differ from classic DevOps?", "a"),
                key("How does MLOps differ from modern DevOps?", "a"),
            ],
            200,
        );
        assert_eq!(v2.cards[0].change, Change::Reworded);
        assert_eq!(v2.cards[0].guid, v1.cards[0].guid);
        assert_eq!(
            v2.cards[0].previous_text.as_deref(),
            Some("How does MLOps differ from DevOps?")
        );
        assert_eq!(
            v2.cards[1].change,
            Change::Added,
            "a record is never matched twice"
        );
        assert!(v2.removed.is_empty());
    }

    #[test]
    fn a_rewrite_with_the_same_answer_still_matches_but_an_unrelated_question_does_not() {
        let v1 = assign(
            "ns",
            &[key(
                "What are the key components of an MLOps pipeline?",
                "ingest, train",
            )],
            None,
            1,
        );
        let same_answer = rebuild(
            &v1,
            &[key(
                "Which components make up a typical MLOps pipeline?",
                "ingest, train",
            )],
            2,
        );
        assert_eq!(same_answer.cards[0].change, Change::Reworded);
        let unrelated = rebuild(&v1, &[key("Who wrote Hamlet?", "Shakespeare")], 2);
        assert_eq!(unrelated.cards[0].change, Change::Added);
        assert_eq!(unrelated.removed.len(), 1);
        assert_eq!(
            unrelated.removed[0].1, 2,
            "a removal is a change: newer mod"
        );
        let still_removed = rebuild(&unrelated, &[key("Who wrote Hamlet?", "Shakespeare")], 3);
        assert_eq!(
            still_removed.removed[0].1, 2,
            "an old removal keeps its mod"
        );
    }

    #[test]
    fn explicit_ids_outrank_the_question_and_survive_rewrites() {
        let mut card = key("What is X?", "x");
        card.explicit_id = Some("x-def".into());
        let v1 = assign("ns", std::slice::from_ref(&card), None, 1);
        assert_eq!(v1.cards[0].guid, explicit_guid("ns", "x-def"));
        let mut rewritten = key("Define the letter after W.", "something else");
        rewritten.explicit_id = Some("x-def".into());
        let v2 = rebuild(&v1, &[rewritten], 2);
        assert_eq!(v2.cards[0].guid, v1.cards[0].guid);
        // Adding an id to a question that already has a note keeps the note.
        let plain = assign("ns", &[key("What is Z?", "z")], None, 1);
        let mut with_id = key("What is Z?", "z");
        with_id.explicit_id = Some("z".into());
        assert_eq!(
            rebuild(&plain, &[with_id], 2).cards[0].guid,
            plain.cards[0].guid
        );
    }

    #[test]
    fn duplicates_get_distinct_stable_guids() {
        let cards = [key("What is X?", "1"), key("what is  x?", "2")];
        let v1 = assign("ns", &cards, None, 1);
        assert_ne!(v1.cards[0].guid, v1.cards[1].guid);
        assert_eq!(v1.cards[1].duplicate_of, Some(0));
        assert_eq!(v1.cards[1].guid, note_guid("ns", "what is x?", 1));
        let v2 = rebuild(&v1, &cards, 2);
        assert_eq!(v2.cards[1].guid, v1.cards[1].guid);
        // The lock file sorts records by GUID, which may put the second duplicate first.
        let mut reread: Lock = serde_json::from_str(&v1.lock.to_text()).unwrap();
        reread.notes.reverse();
        let v3 = assign("ns", &cards, Some(&reread), 3);
        for (before, after) in v1.cards.iter().zip(&v3.cards) {
            assert_eq!(after.guid, before.guid, "duplicates never swap GUIDs");
            assert_eq!(after.change, Change::Unchanged);
        }
    }

    #[test]
    fn a_lock_listing_one_guid_twice_never_gives_two_notes_that_guid() {
        let v1 = assign(
            "ns",
            &[key("What is X?", "x"), key("What is Y?", "y")],
            None,
            1,
        );
        let mut damaged = v1.lock.clone();
        damaged.notes[1].guid = damaged.notes[0].guid.clone();
        let v2 = assign(
            "ns",
            &[key("What is X?", "x"), key("What is Y?", "y")],
            Some(&damaged),
            2,
        );
        assert_ne!(v2.cards[0].guid, v2.cards[1].guid);
        assert_eq!(v2.cards[0].guid, v1.cards[0].guid);
        assert!(v2.removed.is_empty());
    }

    #[test]
    fn a_new_question_never_takes_a_guid_the_lock_holds() {
        let v1 = assign("ns", &[key("What is X?", "x")], None, 1);
        let v2 = rebuild(&v1, &[key("What is X, really?", "x")], 2);
        assert_eq!(v2.cards[0].change, Change::Reworded);
        let v3 = rebuild(
            &v2,
            &[key("What is X, really?", "x"), key("What is X?", "new")],
            3,
        );
        assert_ne!(v3.cards[1].guid, v3.cards[0].guid);
        assert_eq!(v3.cards[1].change, Change::Added);
    }

    #[test]
    fn similarity_scores() {
        assert!(
            question_similarity(
                "how does mlops differ from devops?",
                "how does mlops differ from classic devops?"
            ) > 0.8
        );
        assert!(question_similarity("what is x?", "who wrote hamlet?") < 0.2);
    }

    #[test]
    fn slugs_are_tag_safe() {
        assert_eq!(slug("General MLOps Concepts"), "general-mlops-concepts");
        assert_eq!(slug("CI/CD for ML"), "ci-cd-for-ml");
        assert_eq!(slug("  Ünïcode — ok! "), "ünïcode-ok");
    }
}
