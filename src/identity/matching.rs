//! Matching the current cards to the previous build's records by explicit id and by the same
//! normalised question, in time proportional to the deck even when one question repeats
//! thousands of times.

use std::collections::HashMap;

use super::group::Groups;
use super::hash::ContentHash;
use super::record::LockedNote;
use crate::model::NoteKind;

/// Which record each card took, and which records are taken.
pub(super) struct Matching {
    /// Per card, the index of the record it keeps the GUID of.
    pub(super) matched: Vec<Option<usize>>,
    /// Per record, whether a card took it.
    pub(super) claimed: Vec<bool>,
    /// Per card, whether it took its record as a rewording.
    pub(super) reworded: Vec<bool>,
}

impl Matching {
    pub(super) fn new(cards: usize, records: usize) -> Self {
        Matching {
            matched: vec![None; cards],
            claimed: vec![false; records],
            reworded: vec![false; cards],
        }
    }

    /// Hides the records and cards of kinds other than `kind` from the matchers (as if
    /// claimed and matched), returning what to give back with [`Matching::release`].
    pub(super) fn hold_other_kinds(
        &mut self,
        kind: NoteKind,
        records: &[&LockedNote],
        cards: &[LockedNote],
    ) -> (Vec<usize>, Vec<usize>) {
        let records: Vec<usize> = (0..records.len())
            .filter(|&r| !self.claimed[r] && records[r].kind != kind)
            .collect();
        let cards: Vec<usize> = (0..cards.len())
            .filter(|&c| self.matched[c].is_none() && cards[c].kind != kind)
            .collect();
        for &r in &records {
            self.claimed[r] = true;
        }
        for &c in &cards {
            self.matched[c] = Some(usize::MAX);
        }
        (records, cards)
    }

    /// Gives back what [`Matching::hold_other_kinds`] hid.
    pub(super) fn release(&mut self, (records, cards): (Vec<usize>, Vec<usize>)) {
        for r in records {
            self.claimed[r] = false;
        }
        for c in cards {
            self.matched[c] = None;
        }
    }

    pub(super) fn claim(&mut self, card: usize, record: usize, reworded: bool) {
        debug_assert!(self.matched[card].is_none() && !self.claimed[record]);
        self.matched[card] = Some(record);
        self.claimed[record] = true;
        self.reworded[card] = reworded;
    }
}

/// Step 1, explicit ids: a card with an author's id takes the record with that id.
pub(super) fn match_explicit_ids(records: &[&LockedNote], cards: &[LockedNote], m: &mut Matching) {
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        if let Some(id) = &record.id {
            by_id.entry(id.as_str()).or_insert(index);
        }
    }
    for (card_index, card) in cards.iter().enumerate() {
        if let Some(&record) = card.id.as_deref().and_then(|id| by_id.get(id)) {
            if !m.claimed[record] {
                m.claim(card_index, record, false);
            }
        }
    }
}

/// Above this many records of one question, a card's record is found through per-content and
/// per-answer lists instead of a scan (40,000 copies of one question were a quadratic build).
const LARGE_GROUP: usize = 16;

/// The records of one often-repeated question, each list in lock order, reversed so the first
/// free record is at the end; taken records are dropped as they are met.
struct LargeGroup {
    by_content: HashMap<ContentHash, Vec<usize>>,
    by_answer: HashMap<ContentHash, Vec<usize>>,
    all: Vec<usize>,
}

impl LargeGroup {
    fn new(members: impl Iterator<Item = usize>, records: &[&LockedNote]) -> Self {
        let mut group = LargeGroup {
            by_content: HashMap::new(),
            by_answer: HashMap::new(),
            all: members.collect(),
        };
        group.all.reverse();
        for &r in &group.all {
            group
                .by_content
                .entry(records[r].content_hash)
                .or_default()
                .push(r);
            group
                .by_answer
                .entry(records[r].answer_hash)
                .or_default()
                .push(r);
        }
        group
    }

    /// The first free record with the card's content, else its answer, else any.
    fn best(&mut self, card: &LockedNote, claimed: &[bool]) -> Option<usize> {
        let first_free = |list: Option<&mut Vec<usize>>| {
            let list = list?;
            while list.last().is_some_and(|&r| claimed[r]) {
                list.pop();
            }
            list.last().copied()
        };
        first_free(self.by_content.get_mut(&card.content_hash))
            .or_else(|| first_free(self.by_answer.get_mut(&card.answer_hash)))
            .or_else(|| first_free(Some(&mut self.all)))
    }
}

/// Step 2, the same normalised question. Repeated questions share a normalised text: a card
/// prefers the record with its content, then its answer, so duplicates never swap GUIDs.
pub(super) fn match_same_question(records: &[&LockedNote], cards: &[LockedNote], m: &mut Matching) {
    // Records by question, without a map keyed by the questions (a million were 85 MB).
    let by_question = Groups::new(records.len(), |r| records[r].question.as_str());
    let mut large: HashMap<usize, LargeGroup> = HashMap::new();
    for (card_index, card) in cards.iter().enumerate() {
        if m.matched[card_index].is_some() {
            continue;
        }
        let same = by_question.of(card.question.as_str(), |r| records[r].question.as_str());
        let (Some(&first), count) = (same.first(), same.len()) else {
            continue;
        };
        let first = first as usize;
        let chain = same.iter().map(|&r| r as usize);
        let best = if count > LARGE_GROUP && card.id.is_none() {
            large
                .entry(first)
                .or_insert_with(|| LargeGroup::new(chain, records))
                .best(card, &m.claimed)
        } else {
            best_in_chain(chain, records, card, &m.claimed)
        };
        if let Some(record) = best {
            m.claim(card_index, record, false);
        }
    }
}

/// [`LargeGroup::best`] by a scan, also skipping records that carry another explicit id.
fn best_in_chain(
    chain: impl Iterator<Item = usize>,
    records: &[&LockedNote],
    card: &LockedNote,
    claimed: &[bool],
) -> Option<usize> {
    let explicit_elsewhere =
        |r: usize| records[r].id.is_some() && card.id.is_some() && records[r].id != card.id;
    let free: Vec<usize> = chain
        .filter(|&r| !claimed[r] && !explicit_elsewhere(r))
        .collect();
    free.iter()
        .find(|&&r| records[r].content_hash == card.content_hash)
        .or_else(|| {
            free.iter()
                .find(|&&r| records[r].answer_hash == card.answer_hash)
        })
        .or_else(|| free.first())
        .copied()
}
