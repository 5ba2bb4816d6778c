//! Scale benchmark for identity matching (issue 18 item 8): the cases that were quadratic.
//!
//! `cargo bench --bench identity` prints the time of each case on this machine; README
//! "Performance" records the figures. Correctness at scale is tested in `identity::assign`.

use std::time::Instant;

use deckforge::identity::{CardKey, Change, assign_owned, content_hash, normalise_question};

fn key(question: &str, answer: &str) -> CardKey {
    CardKey {
        normalised: normalise_question(question),
        text: question.to_string(),
        explicit_id: None,
        content_hash: content_hash([question, answer]),
        answer_hash: content_hash([answer]),
        kind: Default::default(),
    }
}

/// `count` questions before and after a search-and-replace of one word in every question.
fn rewordings(count: usize, padding: &str) -> (Vec<CardKey>, Vec<CardKey>) {
    let question = |i: usize, verb: &str| {
        format!(
            "What does the function parse_{i} {verb} for input {}?{padding}",
            i * 7919 % 1_000_003
        )
    };
    let side = |verb: &str| {
        (0..count)
            .map(|i| key(&question(i, verb), &format!("value {i}")))
            .collect()
    };
    (side("return"), side("give back"))
}

fn time_rewordings(label: &str, count: usize, padding: &str) {
    let (before, after) = rewordings(count, padding);
    let first = assign_owned("bench", before, Vec::new(), 1);
    let start = Instant::now();
    let second = assign_owned("bench", after, first.notes, 2);
    let elapsed = start.elapsed();
    let reworded = second
        .cards
        .iter()
        .filter(|c| c.change == Change::Reworded)
        .count();
    println!("{label}: {reworded} of {count} reworded in {elapsed:.2?}");
}

fn main() {
    time_rewordings("100,000 rewordings", 100_000, "");
    let long = " Explain in detail.".repeat(30);
    time_rewordings("1,990 rewordings of 600-character questions", 1_990, &long);
    let copies: Vec<CardKey> = (0..40_000)
        .map(|i| key("What is X?", &i.to_string()))
        .collect();
    let start = Instant::now();
    let first = assign_owned("bench", copies.clone(), Vec::new(), 1);
    println!(
        "first build of 40,000 identical questions: {} GUIDs in {:.2?}",
        first.cards.len(),
        start.elapsed()
    );
    let start = Instant::now();
    let again = assign_owned("bench", copies, first.notes, 2);
    println!(
        "rebuild of 40,000 identical questions: {} unchanged in {:.2?}",
        again
            .cards
            .iter()
            .filter(|c| c.change == Change::Unchanged)
            .count(),
        start.elapsed()
    );
}
