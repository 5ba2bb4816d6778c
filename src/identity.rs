//! Stable identities: the same question in the same deck always gets the same GUID and ids.
//!
//! Anki merges re-imported notes by GUID alone (docs: anki-format.md §3.1), so a GUID must
//! survive typo fixes, reformatting and reordering. It is derived with SHA-256 from the
//! deck namespace (a permanent deck id, not the display name) and the *normalised* question,
//! never from the clock, randomness or the card's position.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

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
    used: HashSet<i64>,
}

impl IdAllocator {
    pub fn with_capacity(capacity: usize) -> Self {
        IdAllocator {
            used: HashSet::with_capacity(capacity),
        }
    }

    pub fn allocate(&mut self, kind: &str, key: &str) -> i64 {
        let mut id = stable_id(kind, key);
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

    #[test]
    fn slugs_are_tag_safe() {
        assert_eq!(slug("General MLOps Concepts"), "general-mlops-concepts");
        assert_eq!(slug("CI/CD for ML"), "ci-cd-for-ml");
        assert_eq!(slug("  Ünïcode — ok! "), "ünïcode-ok");
    }
}
