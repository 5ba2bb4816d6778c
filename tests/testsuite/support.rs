//! Shared helpers for the integration tests.

use std::path::{Path, PathBuf};

use deckforge::source::{self, Document, LayoutChoice};
use serde_json::{Value, json};

/// The repository root, where `tests/fixtures` and `examples` live.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads and parses a fixture, detecting its layout.
pub fn parse_fixture(relative: &str) -> Document {
    let path = root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    source::parse_with(Path::new(relative), &text, LayoutChoice::Auto)
}

/// The cards and left-out questions of a document as JSON, for golden files.
pub fn document_json(document: &Document) -> Value {
    json!({
        "layout": document.layout.map(|l| l.name()),
        "cards": document.cards.iter().map(|card| {
            let mut value = json!({
                "line": card.line,
                "number": card.number,
                "section": card.section,
                "question": card.question,
                "answer": card.answer,
            });
            if let Some(link) = &card.source_link {
                value["source_link"] = json!(link);
            }
            if !card.tags.is_empty() {
                value["tags"] = json!(card.tags);
            }
            value
        }).collect::<Vec<_>>(),
        "left_out": document.diagnostics.iter().map(|d| format!("{}: {}", d.line, d.message)).collect::<Vec<_>>(),
    })
}

/// Compares `actual` with the golden file at `expected` (relative to the root), showing the
/// first differing lines. `SNAPSHOTS=overwrite` rewrites the golden file instead.
pub fn assert_golden(expected: &str, actual: &Value) {
    let path = root().join(expected);
    let actual = serde_json::to_string_pretty(actual).expect("JSON") + "\n";
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with SNAPSHOTS=overwrite to create it",
            path.display()
        )
    });
    if golden == actual {
        return;
    }
    let want: Vec<&str> = golden.lines().collect();
    let got: Vec<&str> = actual.lines().collect();
    let first = want
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let from = first.saturating_sub(3);
    let mut report = format!(
        "{} differs from the extracted cards at line {} (- golden, + actual; SNAPSHOTS=overwrite re-blesses):\n",
        path.display(),
        first + 1
    );
    for line in &want[from..(first + 6).min(want.len())] {
        report.push_str(&format!("- {line}\n"));
    }
    for line in &got[from..(first + 6).min(got.len())] {
        report.push_str(&format!("+ {line}\n"));
    }
    panic!("{report}");
}
