//! Every kind of card (issue 15), each imported with the real Anki engine: the cards a note
//! makes, what the learner sees on either side, tags and media, and rebuilds after edits.

use std::fs;

use serde_json::Value;

use crate::support::{TempDir, anki_check, deckforge, run, visible_text};

/// Builds `markdown` (written to `dir/name.md`) into `dir/name.apkg` with `args`; it must succeed.
fn build(dir: &TempDir, name: &str, markdown: &str, args: &[&str]) -> String {
    let source = dir.join(&format!("{name}.md"));
    fs::write(&source, markdown).unwrap();
    let out = dir.join(&format!("{name}.apkg"));
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .args(args));
    assert_eq!(code, 0, "{stderr}");
    format!("apkg:{}", out.display())
}

/// The note whose Question field shows `question`.
fn note<'a>(state: &'a Value, question: &str) -> &'a Value {
    state["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| visible_text(n["fields"]["Question"].as_str().unwrap_or_default()) == question)
        .unwrap_or_else(|| panic!("no note asks {question:?}: {:#}", state["notes"]))
}

fn tags(note: &Value) -> Vec<&str> {
    note["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

/// What the learner reads on one side of card `ord` of a note, as the engine renders it.
fn side(note: &Value, ord: usize, which: &str) -> String {
    let html = note["cards"][ord][which].as_str().unwrap();
    let without_style = match (html.find("<style>"), html.find("</style>")) {
        (Some(start), Some(end)) => format!("{}{}", &html[..start], &html[end + 8..]),
        _ => html.to_string(),
    };
    visible_text(&without_style)
}

const TAGGED: &str = "---
title: Tagged
tags: [shared, topic/sub]
---
# Tagged

## Basics

1. **What is X?** #tag

   - **Answer:** X is x. #from-answer

2. **What is Y?** #nested/deep #2024

   - **Answer:** Y is `#code` and issue #42.
";

#[test]
fn tags_from_front_matter_questions_and_answers_reach_anki_and_leave_the_text() {
    let dir = TempDir::new("kinds-tags");
    let apkg = build(&dir, "tagged", TAGGED, &[]);
    let collection = dir.join("collection.anki2");
    let state = anki_check(&collection, std::slice::from_ref(&apkg));
    assert_eq!(state["counts"]["notes"], 2, "{:#}", state["notes"]);
    let x = note(&state, "What is X?");
    assert_eq!(
        tags(x),
        [
            "from-answer",
            "shared",
            "tag",
            "tagged::basics",
            "topic::sub"
        ],
        "Anki sorts tags"
    );
    assert!(
        side(x, 0, "question").ends_with("What is X?"),
        "{}",
        side(x, 0, "question")
    );
    assert!(
        side(x, 0, "answer").ends_with("X is x."),
        "{}",
        side(x, 0, "answer")
    );
    let y = note(&state, "What is Y?");
    assert_eq!(
        tags(y),
        ["nested::deep", "shared", "tagged::basics", "topic::sub"]
    );
    assert!(
        side(y, 0, "answer").contains("Y is #code and issue #42."),
        "code and numbers are no tags: {}",
        side(y, 0, "answer")
    );

    // A tag added in the source updates the note in place.
    let edited = TAGGED.replace("#from-answer", "#from-answer #added");
    let apkg = build(&dir, "tagged", &edited, &[]);
    let rebuilt = anki_check(&collection, &[apkg]);
    assert_eq!(
        rebuilt["imports"][0]["updated"], 1,
        "{:#}",
        rebuilt["imports"]
    );
    assert_eq!(rebuilt["imports"][0]["new"], 0);
    assert_eq!(rebuilt["imports"][0]["conflicting"], 0);
    assert_eq!(rebuilt["counts"]["notes"], 2);
    assert!(tags(note(&rebuilt, "What is X?")).contains(&"added"));
}
