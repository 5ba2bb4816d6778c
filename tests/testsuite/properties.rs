//! Property tests: whatever the Markdown, the library builds it or returns an `Error` (a panic
//! fails the property, and proptest shrinks it to a minimal document); and a question's GUID
//! does not move when only its formatting changes. Case counts stay small to keep
//! `cargo test` quick; the fuzzers in `fuzz/` explore much further.

use std::fs;

use deckforge::build::{BuildOptions, LockMode, build};
use deckforge::identity::{normalise_question, note_guid};
use proptest::prelude::*;

use crate::support::TempDir;

/// Markdown fragments that steer random documents into every layout and the renderer's corners.
const FRAGMENTS: &[&str] = &[
    "\n",
    "\n\n",
    "1.  ",
    "12) ",
    "- ",
    "* ",
    "> ",
    "    ",
    "\t",
    "**",
    "__",
    "*",
    "_",
    "`",
    "```",
    "$",
    "$$",
    "#### ",
    "### ",
    "# ",
    "Q: ",
    "A: ",
    "**Answer:** ",
    "Answer: ",
    "?",
    "<details>",
    "<summary>",
    "</summary>",
    "</details>",
    "<div>",
    "</div>",
    "<script>",
    "<!-- id: x -->",
    "|",
    "|---|",
    "[",
    "](",
    ")",
    "![i](",
    "img.png",
    "<",
    ">",
    "&#58;",
    "javascript:",
    "---\n",
    "title: ",
    "[[src](http://a.example)]",
    "What is it?",
    "Answer text.",
    "👶",
    "é",
    "\u{0}",
    "\r\n",
    "\\",
    "[^1]",
    "[^1]: note",
    "~~",
    "- [ ] ",
    "<br/>",
    "TODO",
];

fn document() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        1 => any::<String>(),
    ];
    proptest::collection::vec(piece, 0..80).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_document_builds_or_fails_with_an_error(markdown in document()) {
        let dir = TempDir::new("prop-build");
        let source = dir.join("doc.md");
        fs::write(&source, &markdown).unwrap();
        for output in ["doc.apkg", "doc.csv"] {
            let mut options = BuildOptions::new(vec![source.clone()], dir.join(output), 1_700_000_000);
            options.lock = LockMode::Off;
            match build(&options) {
                Ok(report) => prop_assert!(report.notes > 0),
                // Only input problems are expected; anything else is a bug.
                Err(error) => prop_assert!(
                    matches!(error, deckforge::Error::NoQuestions { .. }),
                    "{error}"
                ),
            }
        }
    }
}

/// A question made of ASCII words and punctuation, whose case folds both ways.
fn question() -> impl Strategy<Value = Vec<(String, Option<char>)>> {
    let word = "[a-zA-Z0-9]{1,8}";
    let punctuation = proptest::option::of(proptest::sample::select(vec![
        '?', ',', '.', ':', ';', '!', ')',
    ]));
    proptest::collection::vec((word, punctuation), 1..12)
}

/// Formatting noise an author introduces without changing the question.
#[derive(Debug, Clone)]
struct Noise {
    flip_case: Vec<bool>,
    spaces: Vec<usize>,
    emphasis: Vec<u8>,
    space_before_punctuation: Vec<bool>,
    padding: (usize, usize),
}

fn noise() -> impl Strategy<Value = Noise> {
    (
        proptest::collection::vec(any::<bool>(), 96),
        proptest::collection::vec(1usize..4, 12),
        proptest::collection::vec(0u8..4, 12),
        proptest::collection::vec(any::<bool>(), 12),
        (0usize..3, 0usize..3),
    )
        .prop_map(
            |(flip_case, spaces, emphasis, space_before_punctuation, padding)| Noise {
                flip_case,
                spaces,
                emphasis,
                space_before_punctuation,
                padding,
            },
        )
}

fn plain(words: &[(String, Option<char>)]) -> String {
    words
        .iter()
        .map(|(word, punctuation)| {
            format!(
                "{word}{}",
                punctuation.map(String::from).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn noisy(words: &[(String, Option<char>)], noise: &Noise) -> String {
    let whitespace = [" ", "\t", "\n", " \u{a0}"];
    let mut out = " ".repeat(noise.padding.0);
    let mut flips = noise.flip_case.iter().cycle();
    for (i, (word, punctuation)) in words.iter().enumerate() {
        if i > 0 {
            for k in 0..noise.spaces[i] {
                out.push_str(whitespace[(i + k) % whitespace.len()]);
            }
        }
        let word: String = word
            .chars()
            .map(|c| {
                if *flips.next().unwrap() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        let marker = ["", "*", "**", "_"][noise.emphasis[i] as usize];
        out.push_str(&format!("{marker}{word}{marker}"));
        if let Some(p) = punctuation {
            if noise.space_before_punctuation[i] {
                out.push(' ');
            }
            out.push(*p);
        }
    }
    out.push_str(&"\t".repeat(noise.padding.1));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn guids_survive_formatting_noise(words in question(), noise in noise()) {
        let clean = plain(&words);
        let messy = noisy(&words, &noise);
        prop_assert_eq!(normalise_question(&clean), normalise_question(&messy), "{:?}", messy);
        prop_assert_eq!(
            note_guid("deck", &normalise_question(&clean), 0),
            note_guid("deck", &normalise_question(&messy), 0)
        );
    }
}
