//! Golden files: each layout's fixture is detected as that layout and yields exactly the cards
//! in its `expected.json`.

use crate::support::{assert_golden_json, document_json, parse_fixture, root};

fn check_layout(name: &str) {
    let document = parse_fixture(&format!("tests/fixtures/layouts/{name}/input.md"));
    assert_eq!(
        document.layout.map(|l| l.name()),
        Some(name),
        "layout detected for the {name} fixture"
    );
    assert_golden_json(
        &format!("tests/fixtures/layouts/{name}/expected.json"),
        &document_json(&document),
    );
}

#[test]
fn answer_label() {
    check_layout("answer-label");
}

#[test]
fn headings() {
    check_layout("headings");
}

#[test]
fn unnumbered_question_headings() {
    check_layout_dir("headings-unnumbered", "headings");
}

#[test]
fn list_headings() {
    check_layout("list-headings");
}

#[test]
fn bold_paragraph() {
    check_layout("bold-paragraph");
}

#[test]
fn q_a() {
    check_layout("q-a");
}

#[test]
fn details() {
    check_layout("details");
}

/// A fixture whose folder is not named after its layout.
fn check_layout_dir(dir: &str, layout: &str) {
    let document = parse_fixture(&format!("tests/fixtures/layouts/{dir}/input.md"));
    assert_eq!(document.layout.map(|l| l.name()), Some(layout));
    assert_golden_json(
        &format!("tests/fixtures/layouts/{dir}/expected.json"),
        &document_json(&document),
    );
}

#[test]
fn every_layout_has_a_fixture() {
    for layout in deckforge::source::Layout::ALL {
        let dir = root().join("tests/fixtures/layouts").join(layout.name());
        assert!(
            dir.join("input.md").is_file(),
            "{} has no fixture",
            layout.name()
        );
    }
}

#[test]
fn explicit() {
    check_layout("explicit");
}

#[test]
fn table() {
    check_layout("table");
}

#[test]
fn definitions() {
    check_layout("definitions");
}

#[test]
fn quoted_answer() {
    check_layout("quoted-answer");
}

#[test]
fn label_blocks() {
    check_layout("label-blocks");
}

#[test]
fn comment_markers() {
    check_layout("comment-markers");
    // The cloze card has no back: it is named, not dropped in silence.
    let document = parse_fixture("tests/fixtures/layouts/comment-markers/input.md");
    let warned: Vec<(usize, &str)> = document
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(
        warned,
        [(
            18,
            "question has no answer and was left out: Plants release {{oxygen}} during photosynthesis."
        )]
    );
}
