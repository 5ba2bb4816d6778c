//! Deciding every card's GUID and modification time from the previous build's records: the
//! one place where an identity is kept, inherited or made.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use serde::Serialize;

use super::group::first_of_each;
use super::hash::{ContentHash, IdHasher, kind_explicit_guid, kind_note_guid};
use super::matching::{Matching, match_explicit_ids, match_same_question};
use super::record::{LATEST_TIME, LockedNote};
use super::reword::match_rewordings;
use crate::model::NoteKind;

/// What identity assignment needs to know about one card of the current sources.
#[derive(Debug, Clone)]
pub struct CardKey {
    pub normalised: String,
    /// The question as written, remembered in the lock to label removed notes; when empty,
    /// the next record keeps the text of the record the card matched (not reworded).
    pub text: String,
    pub explicit_id: Option<String>,
    pub content_hash: ContentHash,
    pub answer_hash: ContentHash,
    /// The kind of note the card makes: only a record of the same kind is its note.
    pub kind: NoteKind,
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

/// The result of matching the current cards against the previous records.
#[derive(Debug, Clone)]
pub struct Assigned {
    /// One per card, in card order.
    pub cards: Vec<Assignment>,
    /// Records whose question is gone, with the modification time to ship them with.
    pub removed: Vec<(LockedNote, i64)>,
    /// The records of the next lock: one per card, in card order, then the removed ones.
    pub notes: Vec<LockedNote>,
}

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

/// A modification time strictly after `previous`, normally the build time, and never one a
/// lock reader would refuse (a damaged or hand-edited lock may hold the latest time).
fn bumped(previous: i64, now: i64) -> i64 {
    now.max(previous.saturating_add(1)).clamp(0, LATEST_TIME)
}

/// Decides every card's GUID and modification time, in priority order: the author's explicit
/// id; the previous record for the same normalised question; a vanished record similar
/// enough to count as a rewording (never matched twice); otherwise a fresh hash of the
/// question.
pub fn assign(namespace: &str, cards: &[CardKey], previous: &[LockedNote], now: i64) -> Assigned {
    assign_owned(namespace, cards.to_vec(), previous.to_vec(), now)
}

/// [`assign`], moving the keys into the next records instead of copying them (a million
/// cards' keys are a few hundred megabytes).
pub fn assign_owned(
    namespace: &str,
    cards: Vec<CardKey>,
    mut previous: Vec<LockedNote>,
    now: i64,
) -> Assigned {
    let now = now.clamp(0, LATEST_TIME);
    // The keys become the next records at once (GUIDs and times are filled in below), so a
    // large deck's keys are never held twice.
    let mut next: Vec<LockedNote> = cards.into_iter().map(unassigned).collect();
    // A hand-edited or merged lock may list a GUID twice; the first record wins, so a package
    // never holds two notes with one GUID. `positions` are the records' places in `previous`.
    let positions: Vec<usize> = {
        let first = first_of_each(previous.len(), |p| previous[p].guid.as_str());
        (0..previous.len())
            .filter(|&position| first[position] as usize == position)
            .collect()
    };
    let matching = {
        let records: Vec<&LockedNote> = positions.iter().map(|&p| &previous[p]).collect();
        let mut m = Matching::new(next.len(), records.len());
        let run = |m: &mut Matching| {
            match_explicit_ids(&records, &next, m);
            match_same_question(&records, &next, m);
            match_rewordings(&records, &next, m);
        };
        // Each kind is matched on its own: a question that changed kind is a new note.
        let kinds: std::collections::BTreeSet<NoteKind> = records
            .iter()
            .map(|r| r.kind)
            .chain(next.iter().map(|c| c.kind))
            .collect();
        if kinds.len() <= 1 {
            run(&mut m);
        } else {
            for kind in kinds {
                let held = m.hold_other_kinds(kind, &records, &next);
                run(&mut m);
                m.release(held);
            }
        }
        m
    };
    // A matched record's questions are no longer needed (unless it was reworded, for the
    // report): freeing them before the next records are finished saves a large rebuild a
    // tenth of its memory. Its written question moves to a next record whose key came without
    // one, so a caller copies only the questions that changed.
    for (card_index, record) in matching.matched.iter().enumerate() {
        if let Some(record) = *record {
            let note = &mut previous[positions[record]];
            note.question = String::new();
            if !matching.reworded[card_index] {
                let text = std::mem::take(&mut note.text);
                if next[card_index].text.is_empty() {
                    next[card_index].text = text;
                }
            }
        }
    }
    let records: Vec<&LockedNote> = positions.iter().map(|&p| &previous[p]).collect();
    let assignments = decide(namespace, &next, &records, &matching, now);
    for (record, assignment) in next.iter_mut().zip(&assignments) {
        record.guid = assignment.guid.clone();
        record.modified = assignment.modified;
    }
    let removed = removed(&records, &matching.claimed, now);
    next.reserve_exact(removed.len());
    for (record, modified) in &removed {
        next.push(LockedNote {
            removed: true,
            modified: *modified,
            ..record.clone()
        });
    }
    Assigned {
        cards: assignments,
        removed,
        notes: next,
    }
}

fn unassigned(card: CardKey) -> LockedNote {
    LockedNote {
        guid: String::new(),
        question: card.normalised,
        text: card.text,
        id: card.explicit_id,
        content_hash: card.content_hash,
        answer_hash: card.answer_hash,
        modified: 0,
        removed: false,
        subdeck: String::new(),
        kind: card.kind,
    }
}

/// Each card's assignment: its matched record's GUID (and time, bumped if the content
/// changed), or a fresh GUID that neither a record nor an earlier card holds.
fn decide(
    namespace: &str,
    cards: &[LockedNote],
    records: &[&LockedNote],
    m: &Matching,
    now: i64,
) -> Vec<Assignment> {
    // Vanished records keep their GUIDs too: they ship as removed notes.
    let mut taken = GuidSet::with_capacity(records.len() + cards.len());
    for record in records {
        taken.insert(&record.guid);
    }
    let mut fresh = FreshGuids::new(cards);
    let first_by_question = first_of_each(cards.len(), |index| cards[index].question.as_str());
    let mut assignments = Vec::with_capacity(cards.len());
    for (card_index, card) in cards.iter().enumerate() {
        let first = first_by_question[card_index] as usize;
        let duplicate_of = (first != card_index).then_some(first);
        let assignment = match m.matched[card_index] {
            Some(record_index) => {
                let record = records[record_index];
                let reworded = m.reworded[card_index];
                let unchanged = record.content_hash == card.content_hash && !record.removed;
                Assignment {
                    guid: record.guid.clone(),
                    modified: if unchanged {
                        record.modified
                    } else {
                        bumped(record.modified, now)
                    },
                    change: match (reworded, unchanged) {
                        (true, _) => Change::Reworded,
                        (false, true) => Change::Unchanged,
                        (false, false) => Change::Updated,
                    },
                    previous_text: reworded.then(|| record.text.clone()),
                    duplicate_of,
                }
            }
            None => Assignment {
                guid: fresh.guid(namespace, card_index, card, &mut taken),
                modified: now,
                change: Change::Added,
                previous_text: None,
                duplicate_of,
            },
        };
        assignments.push(assignment);
    }
    assignments
}

/// Fresh GUIDs: the hash of the question (or explicit id) and an occurrence number, the first
/// one free. Each key remembers the occurrence it reached: 40,000 copies of one question were
/// 800 million hashes. Keys are told apart by their first card, which holds the count.
struct FreshGuids {
    first_with_key: Vec<u32>,
    next_occurrence: Vec<u32>,
}

impl FreshGuids {
    fn new(cards: &[LockedNote]) -> Self {
        let first_with_key = first_of_each(cards.len(), |index| {
            let card = &cards[index];
            match &card.id {
                Some(id) => (card.kind, true, id.as_str()),
                None => (card.kind, false, card.question.as_str()),
            }
        });
        FreshGuids {
            next_occurrence: vec![0; cards.len()],
            first_with_key,
        }
    }

    fn guid(
        &mut self,
        namespace: &str,
        index: usize,
        card: &LockedNote,
        taken: &mut GuidSet,
    ) -> String {
        // Occurrences below the remembered one were all taken, and stay taken.
        let occurrence = &mut self.next_occurrence[self.first_with_key[index] as usize];
        loop {
            let guid = match &card.id {
                Some(id) if *occurrence == 0 => kind_explicit_guid(card.kind, namespace, id),
                Some(id) => kind_explicit_guid(card.kind, namespace, &format!("{id}#{occurrence}")),
                None => kind_note_guid(card.kind, namespace, &card.question, *occurrence as usize),
            };
            *occurrence += 1;
            if taken.insert(&guid) {
                return guid;
            }
        }
    }
}

/// The vanished records, with the time to ship them with: a removal is a change, so a newly
/// removed note's time is bumped; one removed before keeps its time.
fn removed(records: &[&LockedNote], claimed: &[bool], now: i64) -> Vec<(LockedNote, i64)> {
    records
        .iter()
        .zip(claimed)
        .filter(|(_, claimed)| !**claimed)
        .map(|(record, _)| {
            let modified = if record.removed {
                record.modified
            } else {
                bumped(record.modified, now)
            };
            ((*record).clone(), modified)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::hash::{content_hash, explicit_guid, note_guid};
    use super::super::normalise::normalise_question;
    use super::*;

    fn key(question: &str, answer: &str) -> CardKey {
        CardKey {
            normalised: normalise_question(question),
            text: question.to_string(),
            explicit_id: None,
            content_hash: content_hash([question, answer]),
            answer_hash: content_hash([answer]),
            kind: NoteKind::Basic,
        }
    }

    fn rebuild(previous: &Assigned, cards: &[CardKey], now: i64) -> Assigned {
        assign("ns", cards, &previous.notes, now)
    }

    fn of_kind(kind: NoteKind, mut key: CardKey) -> CardKey {
        key.kind = kind;
        key
    }

    #[test]
    fn a_question_that_changes_kind_is_a_new_note_and_its_old_one_is_removed() {
        let v1 = assign(
            "ns",
            &[
                key("What is X?", "x"),
                key("What is the capital of France?", "Paris"),
            ],
            &[],
            100,
        );
        let v2 = rebuild(
            &v1,
            &[
                of_kind(NoteKind::Cloze, key("What is X?", "x")),
                // A rewording that is also a kind change is no rewording either.
                of_kind(
                    NoteKind::Reversed,
                    key("What's the capital of France?", "Paris"),
                ),
            ],
            200,
        );
        assert_eq!(v2.cards[0].change, Change::Added);
        assert_eq!(
            v2.cards[0].guid,
            super::super::hash::kind_note_guid(NoteKind::Cloze, "ns", "what is x?", 0)
        );
        assert_eq!(v2.cards[1].change, Change::Added);
        assert_eq!(v2.removed.len(), 2);
        assert!(
            v2.notes[2..]
                .iter()
                .all(|n| n.removed && n.kind == NoteKind::Basic)
        );
        assert_eq!(v2.notes[0].kind, NoteKind::Cloze);
        // Back to basic: the retired basic note is the question's again.
        let v3 = rebuild(&v2, &[key("What is X?", "x")], 300);
        assert_eq!(v3.cards[0].guid, v1.cards[0].guid);
        assert_eq!(v3.cards[0].change, Change::Updated);
        // The same kind again keeps the note.
        let v4 = rebuild(
            &v2,
            &[of_kind(NoteKind::Cloze, key("What is X?", "x"))],
            300,
        );
        assert_eq!(v4.cards[0].guid, v2.cards[0].guid);
        assert_eq!(v4.cards[0].change, Change::Unchanged);
    }

    #[test]
    fn unchanged_notes_keep_guid_and_mod_and_edits_bump_mod() {
        let v1 = assign(
            "ns",
            &[key("What is X?", "x"), key("What is Y?", "y")],
            &[],
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
            &[],
            100,
        );
        let v2 = rebuild(
            &v1,
            &[
                key("How does MLOps differ from classic DevOps?", "a"),
                key("How does MLOps differ from current DevOps?", "a"),
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
            &[],
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
    fn a_new_subject_in_the_same_words_is_a_new_note_not_a_rewording() {
        let deck = [
            key("What is a trait?", "A set of methods a type implements."),
            key("What is ownership?", "Each value has one owner."),
            key(
                "What is a closure?",
                "A function that captures its environment.",
            ),
        ];
        let v1 = assign("ns", &deck, &[], 1);
        // The trait question is replaced by another subject, answer and all.
        let replaced = [
            key("What is a lifetime?", "How long a reference is valid."),
            deck[1].clone(),
            deck[2].clone(),
        ];
        let v2 = rebuild(&v1, &replaced, 2);
        assert_eq!(v2.cards[0].change, Change::Added, "{:?}", v2.cards[0]);
        assert_eq!(v2.removed.len(), 1);
        // The same subject reworded keeps its note, with or without the same answer.
        for answer in ["A set of methods a type implements.", "An interface."] {
            let reworded = [
                key("What is a trait in Rust?", answer),
                deck[1].clone(),
                deck[2].clone(),
            ];
            let v2 = rebuild(&v1, &reworded, 2);
            assert_eq!(v2.cards[0].change, Change::Reworded, "answer {answer:?}");
            assert_eq!(v2.cards[0].guid, v1.cards[0].guid);
        }
    }

    #[test]
    fn explicit_ids_outrank_the_question_and_survive_rewrites() {
        let mut card = key("What is X?", "x");
        card.explicit_id = Some("x-def".into());
        let v1 = assign("ns", std::slice::from_ref(&card), &[], 1);
        assert_eq!(v1.cards[0].guid, explicit_guid("ns", "x-def"));
        let mut rewritten = key("Define the letter after W.", "something else");
        rewritten.explicit_id = Some("x-def".into());
        let v2 = rebuild(&v1, &[rewritten], 2);
        assert_eq!(v2.cards[0].guid, v1.cards[0].guid);
        // Adding an id to a question that already has a note keeps the note.
        let plain = assign("ns", &[key("What is Z?", "z")], &[], 1);
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
        let v1 = assign("ns", &cards, &[], 1);
        assert_ne!(v1.cards[0].guid, v1.cards[1].guid);
        assert_eq!(v1.cards[1].duplicate_of, Some(0));
        assert_eq!(v1.cards[1].guid, note_guid("ns", "what is x?", 1));
        let v2 = rebuild(&v1, &cards, 2);
        assert_eq!(v2.cards[1].guid, v1.cards[1].guid);
        // The lock file sorts records by GUID, which may put the second duplicate first.
        let mut reread: Vec<LockedNote> =
            serde_json::from_str(&serde_json::to_string(&v1.notes).unwrap()).unwrap();
        reread.reverse();
        let v3 = assign("ns", &cards, &reread, 3);
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
            &[],
            1,
        );
        let mut damaged = v1.notes.clone();
        damaged[1].guid = damaged[0].guid.clone();
        let v2 = assign(
            "ns",
            &[key("What is X?", "x"), key("What is Y?", "y")],
            &damaged,
            2,
        );
        assert_ne!(v2.cards[0].guid, v2.cards[1].guid);
        assert_eq!(v2.cards[0].guid, v1.cards[0].guid);
        assert!(v2.removed.is_empty());
    }

    #[test]
    fn a_new_question_never_takes_a_guid_the_lock_holds() {
        let v1 = assign("ns", &[key("What is X?", "x")], &[], 1);
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

    /// Correctness at a scale the old all-pairs matching could not reach in a test (its pair
    /// limit switched rewording off past 2,000 × 2,000): every note of a large search-and-
    /// replace keeps its GUID, and thousands of copies of one question keep theirs in order.
    #[test]
    fn large_edits_and_many_copies_keep_every_note() {
        let question = |i: usize, verb: &str| {
            format!(
                "What does the function parse_{i} {verb} for input {}?",
                i * 7919 % 100_003
            )
        };
        let before: Vec<CardKey> = (0..2_500)
            .map(|i| key(&question(i, "return"), &format!("value {i}")))
            .collect();
        let v1 = assign("ns", &before, &[], 1);
        let after: Vec<CardKey> = (0..2_500)
            .map(|i| key(&question(i, "give back"), &format!("value {i}")))
            .collect();
        let v2 = assign("ns", &after, &v1.notes, 2);
        assert!(v2.removed.is_empty());
        for (old, new) in v1.cards.iter().zip(&v2.cards) {
            assert_eq!((new.change, &new.guid), (Change::Reworded, &old.guid));
        }

        let copies: Vec<CardKey> = (0..5_000)
            .map(|i| key("What is X?", &i.to_string()))
            .collect();
        let first = assign("ns", &copies, &[], 1);
        assert_eq!(
            first.cards[4_999].guid,
            note_guid("ns", "what is x?", 4_999)
        );
        let mut reordered = copies.clone();
        reordered.reverse();
        let again = assign("ns", &reordered, &first.notes, 2);
        for (card, assignment) in again.cards.iter().enumerate() {
            assert_eq!(
                assignment.guid,
                first.cards[4_999 - card].guid,
                "copy {card}"
            );
            assert_eq!(assignment.change, Change::Unchanged);
        }
    }
}
