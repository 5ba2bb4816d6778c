//! Rewording detection: a vanished question and a new one alike enough are one note reworded.
//!
//! Comparing every vanished question with every new one was quadratic (2,000 rewordings took
//! 20 s), so an earlier release gave up past a pair limit and every note of a large edit came
//! into Anki twice. Here candidates come from an inverted index: a new question is compared
//! only with the vanished ones that share one of its rarest words or trigrams, and identical
//! questions are compared once. There is no limit on the size of an edit.

use std::collections::HashMap;

use super::hash::ContentHash;
use super::matching::Matching;
use super::record::LockedNote;

/// Similarity at or above which a vanished question counts as reworded into a new one.
pub(crate) const REWORD_THRESHOLD: f64 = 0.5;
/// The bar when the answer is unchanged. It is lower, but the questions must still be alike:
/// "Is Python compiled?" and "Is Rust garbage collected?" (both "No.") are not one note.
pub(crate) const REWORD_THRESHOLD_SAME_ANSWER: f64 = 0.4;

/// How many of a new question's rarest features propose candidates, at most.
const SIGNATURE: usize = 6;
/// Past its two rarest features, a new question's features propose candidates only while they
/// total this many: a word found in one vanished question (its own, usually) says more than a
/// trigram found in five hundred, and 100,000 rewordings compared 2,000 candidates each.
const CANDIDATE_BUDGET: usize = 256;
/// A word or trigram in more vanished questions than this tells none of them apart (`what`,
/// `the`), so it proposes no candidates; the question's rarer features still do.
const COMMON_FEATURE: usize = 1_000;

/// A question's words (hashed, weighted by length: short function words such as `is` and
/// `the` count for little) and character trigrams (hashed), each sorted for merging.
#[derive(Debug, Default)]
struct Profile {
    words: Vec<(u32, u32)>,
    trigrams: Vec<u32>,
}

fn feature_hash(seed: u64, chars: impl Iterator<Item = char>) -> u32 {
    // FNV-1a: fixed, so matching is the same on every machine and in every build.
    let hash = chars.fold(0xcbf2_9ce4_8422_2325 ^ seed, |hash, c| {
        (hash ^ u64::from(u32::from(c))).wrapping_mul(0x0100_0000_01b3)
    });
    (hash ^ (hash >> 32)) as u32
}

fn profile(question: &str) -> Profile {
    let mut words: Vec<(u32, u32)> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (feature_hash(1, w.chars()), w.chars().count() as u32))
        .collect();
    words.sort_unstable();
    words.dedup_by_key(|w| w.0);
    let chars: Vec<char> = question
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    let mut trigrams: Vec<u32> = chars
        .windows(3)
        .map(|w| feature_hash(2, w.iter().copied()))
        .collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    Profile { words, trigrams }
}

/// How much each word or trigram tells the deck's questions apart: `ln(1 + questions / questions
/// with it)`. Without it, `what is a trait?` and `what is a lifetime?` (different answers) shared
/// enough of `what is a` to count as one note reworded, and the trait card's review history went
/// to the lifetime question. Weighted this way, the words and trigrams most questions share count
/// for little and the subject of the question for much.
struct Rarity {
    questions: f64,
    with_feature: HashMap<u32, u32>,
}

impl Rarity {
    /// Every feature alike: for comparing two questions with no deck around them.
    fn uniform() -> Self {
        Rarity {
            questions: 0.0,
            with_feature: HashMap::new(),
        }
    }

    fn of<'a>(questions: impl Iterator<Item = &'a str>) -> Self {
        let mut rarity = Rarity::uniform();
        for question in questions {
            rarity.questions += 1.0;
            for feature in features(&profile(question)) {
                *rarity.with_feature.entry(feature).or_default() += 1;
            }
        }
        rarity
    }

    fn weight(&self, feature: u32) -> f64 {
        if self.questions == 0.0 {
            return 1.0;
        }
        let with = self.with_feature.get(&feature).copied().unwrap_or(1).max(1);
        (1.0 + self.questions / f64::from(with)).ln()
    }
}

/// Sørensen–Dice of two sorted feature lists, each feature weighted by `weight`.
fn dice<T, K: Ord>(a: &[T], b: &[T], key: impl Fn(&T) -> K, weight: impl Fn(&T) -> f64) -> f64 {
    let total: f64 = a.iter().chain(b).map(&weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match key(&a[i]).cmp(&key(&b[j])) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += weight(&a[i]) + weight(&b[j]);
                i += 1;
                j += 1;
            }
        }
    }
    shared / total
}

fn similarity(a: &Profile, b: &Profile, rarity: &Rarity) -> f64 {
    let words = dice(
        &a.words,
        &b.words,
        |w| w.0,
        |w| f64::from(w.1) * rarity.weight(w.0),
    );
    let trigrams = dice(&a.trigrams, &b.trigrams, |&t| t, |&t| rarity.weight(t));
    words.max(trigrams)
}

/// How alike two normalised questions are, from 0 to 1: the better of the overlap of their
/// words, weighted by length, and of their character trigrams (Sørensen–Dice), so one-word
/// swaps and small spelling changes score high and shared little words do not.
#[cfg(test)]
pub(crate) fn question_similarity(a: &str, b: &str) -> f64 {
    similarity(&profile(a), &profile(b), &Rarity::uniform())
}

/// Items grouped by identical question text, groups in order of first appearance.
struct Groups {
    profiles: Vec<Profile>,
    members: Vec<Vec<usize>>,
}

fn group<'a>(items: impl Iterator<Item = (usize, &'a str)>) -> Groups {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups = Groups {
        profiles: Vec::new(),
        members: Vec::new(),
    };
    for (item, question) in items {
        let next = groups.members.len();
        let g = *index.entry(question).or_insert(next);
        if g == next {
            groups.profiles.push(profile(question));
            groups.members.push(Vec::new());
        }
        groups.members[g].push(item);
    }
    groups
}

fn features(p: &Profile) -> impl Iterator<Item = u32> + '_ {
    // Words and trigrams are hashed with different seeds, so they share one index.
    p.words
        .iter()
        .map(|w| w.0)
        .chain(p.trigrams.iter().copied())
}

/// Pairs of (new group, vanished group) alike enough to match with the same answer, with
/// their similarity, most alike first: `.0` every feature alike, `.1` weighted by rarity.
fn candidate_pairs(new: &Groups, vanished: &Groups, rarity: &Rarity) -> Vec<Pair> {
    let mut postings: HashMap<u32, Vec<u32>> = HashMap::new();
    for (g, p) in vanished.profiles.iter().enumerate() {
        for feature in features(p) {
            postings.entry(feature).or_default().push(g as u32);
        }
    }
    let mut seen = vec![usize::MAX; vanished.profiles.len()];
    let mut pairs = Vec::new();
    for (n, p) in new.profiles.iter().enumerate() {
        let mut lists: Vec<&Vec<u32>> = features(p)
            .filter_map(|f| postings.get(&f))
            .filter(|list| list.len() <= COMMON_FEATURE)
            .collect();
        lists.sort_by_key(|list| (list.len(), list[0]));
        let mut proposed = 0;
        let signature = lists.into_iter().take(SIGNATURE).enumerate();
        let signature = signature.take_while(|(rank, list)| {
            proposed += list.len();
            *rank < 2 || proposed <= CANDIDATE_BUDGET
        });
        for &v in signature.flat_map(|(_, list)| list) {
            let v = v as usize;
            if std::mem::replace(&mut seen[v], n) == n {
                continue;
            }
            let score = similarity(p, &vanished.profiles[v], &Rarity::uniform());
            if score >= REWORD_THRESHOLD_SAME_ANSWER {
                let rare = similarity(p, &vanished.profiles[v], rarity);
                pairs.push(Pair {
                    score,
                    rare,
                    new: n,
                    vanished: v,
                });
            }
        }
    }
    pairs.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.order(b)));
    pairs
}

/// A vanished and a new question alike enough to be one note if their answers agree (`score`);
/// with different answers, the subject must be alike too (`rare`, see [`Rarity`]).
struct Pair {
    score: f64,
    rare: f64,
    new: usize,
    vanished: usize,
}

impl Pair {
    fn order(&self, other: &Pair) -> std::cmp::Ordering {
        (self.new, self.vanished).cmp(&(other.new, other.vanished))
    }
}

/// The free records of one vanished question, found by answer without a scan per card.
struct Pool {
    /// In lock order, reversed: the first free record is at the end once taken ones are dropped.
    free: Vec<usize>,
    by_answer: Option<HashMap<ContentHash, Vec<usize>>>,
}

impl Pool {
    fn new(members: &[usize]) -> Self {
        Pool {
            free: members.iter().rev().copied().collect(),
            by_answer: None,
        }
    }

    fn any(&mut self, claimed: &[bool]) -> Option<usize> {
        while self.free.last().is_some_and(|&r| claimed[r]) {
            self.free.pop();
        }
        self.free.last().copied()
    }

    fn with_answer(
        &mut self,
        answer: ContentHash,
        records: &[&LockedNote],
        claimed: &[bool],
    ) -> Option<usize> {
        let free = &self.free;
        if free.len() <= 8 && self.by_answer.is_none() {
            let found = free
                .iter()
                .rev()
                .find(|&&r| !claimed[r] && records[r].answer_hash == answer);
            return found.copied();
        }
        let by_answer = self.by_answer.get_or_insert_with(|| {
            let mut map: HashMap<ContentHash, Vec<usize>> = HashMap::new();
            for &r in free {
                map.entry(records[r].answer_hash).or_default().push(r);
            }
            map
        });
        let list = by_answer.get_mut(&answer)?;
        while list.last().is_some_and(|&r| claimed[r]) {
            list.pop();
        }
        list.last().copied()
    }
}

/// Step 3, rewordings: the most alike pairs first, pairs with the same answer before the rest;
/// each record and card used once.
pub(super) fn match_rewordings(records: &[&LockedNote], cards: &[LockedNote], m: &mut Matching) {
    // Checked before any question is profiled: a first build (or one without a lock) has no
    // vanished record, and profiling its every question took a twentieth of the build.
    let unclaimed = m.claimed.iter().any(|&claimed| !claimed);
    let unmatched = m.matched.iter().any(Option::is_none);
    if !(unclaimed && unmatched) {
        return;
    }
    let new = group(
        (0..cards.len())
            .filter(|&c| m.matched[c].is_none())
            .map(|c| (c, cards[c].question.as_str())),
    );
    if new.members.is_empty() {
        return;
    }
    let vanished = group(
        (0..records.len())
            .filter(|&r| !m.claimed[r])
            .map(|r| (r, records[r].question.as_str())),
    );
    if vanished.members.is_empty() {
        return;
    }
    // Rarity over the whole deck, old and new: within the few questions of one edit every
    // word would look rare.
    let rarity = Rarity::of(
        records
            .iter()
            .map(|r| r.question.as_str())
            .chain(cards.iter().map(|c| c.question.as_str())),
    );
    let mut pairs = candidate_pairs(&new, &vanished, &rarity);
    let mut pools: Vec<Pool> = vanished
        .members
        .iter()
        .map(|members| Pool::new(members))
        .collect();
    for same_answer in [true, false] {
        if !same_answer {
            pairs.retain(|pair| pair.rare >= REWORD_THRESHOLD);
            pairs.sort_by(|a, b| b.rare.total_cmp(&a.rare).then(a.order(b)));
        }
        for &Pair {
            new: n,
            vanished: v,
            ..
        } in &pairs
        {
            for &card in &new.members[n] {
                if m.matched[card].is_some() {
                    continue;
                }
                let record = if same_answer {
                    pools[v].with_answer(cards[card].answer_hash, records, &m.claimed)
                } else {
                    pools[v].any(&m.claimed)
                };
                match record {
                    Some(record) => m.claim(card, record, true),
                    None if !same_answer => break,
                    None => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_scores() {
        let alike = [
            (
                "how does mlops differ from devops?",
                "how does mlops differ from classic devops?",
            ),
            ("what is a kubernetes pod?", "what is a k8s pod?"),
            (
                "what are the key components of an mlops pipeline?",
                "which components make up a typical mlops pipeline?",
            ),
        ];
        for (a, b) in alike {
            assert!(
                question_similarity(a, b) >= REWORD_THRESHOLD_SAME_ANSWER,
                "{a} | {b}"
            );
        }
        assert!(question_similarity(alike[0].0, alike[0].1) > 0.8);
        let unrelated = [
            ("what is x?", "who wrote hamlet?"),
            ("is python compiled?", "is rust garbage collected?"),
            ("what is the capital of france?", "where is the louvre?"),
        ];
        for (a, b) in unrelated {
            assert!(
                question_similarity(a, b) < REWORD_THRESHOLD_SAME_ANSWER,
                "{a} | {b}"
            );
        }
        assert_eq!(
            question_similarity("🍎?", "🍌?"),
            0.0,
            "nothing to compare is not alike"
        );
    }
}
