//! Round trips through the real Anki engine (pip package `anki`, pinned): what a user would see.

use serde_json::Value;

use crate::support::{TempDir, anki_check, assert_matches_seed, build_seed as build};

fn notes(state: &Value) -> Vec<Value> {
    state["notes"].as_array().unwrap().clone()
}

fn field(note: &Value, name: &str) -> String {
    note["fields"][name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn guids(state: &Value) -> Vec<String> {
    let mut guids: Vec<String> = notes(state)
        .iter()
        .map(|n| n["guid"].as_str().unwrap().to_string())
        .collect();
    guids.sort();
    guids
}

#[test]
fn the_seed_package_imports_as_100_notes_matching_the_source() {
    let dir = TempDir::new("anki-apkg");
    let apkg = build(&dir, "mlops.apkg");
    let state = anki_check(
        &dir.join("collection.anki2"),
        &[format!("apkg:{}", apkg.display())],
    );
    assert_eq!(state["imports"][0]["new"], 100);
    assert_eq!(state["counts"]["notes"], 100);
    assert_eq!(state["counts"]["cards"], 100);
    assert_matches_seed(&notes(&state), field);
    for note in notes(&state) {
        assert_eq!(note["notetype"], "deckforge-mlops-interview-questions");
        assert_eq!(
            note["cards"][0]["deck"],
            "Top 100 MLOps interview questions and answers"
        );
        let tag = note["tags"][0].as_str().unwrap();
        assert!(tag.starts_with("mlops-interview-questions::"), "{tag}");
    }
    let general = notes(&state)
        .into_iter()
        .find(|n| field(n, "Number") == "1")
        .unwrap();
    assert_eq!(
        general["tags"][0],
        "mlops-interview-questions::general-mlops-concepts"
    );
    let rebuilt = anki_check(
        &dir.join("collection.anki2"),
        &[format!("apkg:{}", apkg.display())],
    );
    assert_eq!(
        rebuilt["imports"][0]["duplicate"], 100,
        "re-importing the same package changes nothing"
    );
    assert_eq!(rebuilt["counts"]["notes"], 100);
}

#[test]
fn the_csv_creates_the_packages_guids_and_reimports_without_duplicates() {
    let dir = TempDir::new("anki-csv");
    let apkg = build(&dir, "mlops.apkg");
    let csv = build(&dir, "mlops.csv");
    let from_package = anki_check(
        &dir.join("package.anki2"),
        &[format!("apkg:{}", apkg.display())],
    );

    let collection = dir.join("csv.anki2");
    let first = anki_check(&collection, &[format!("csv:{}", csv.display())]);
    assert_eq!(first["imports"][0]["new"], 100);
    assert_eq!(
        guids(&first),
        guids(&from_package),
        "the CSV's GUIDs are the package's"
    );
    // A fresh collection has no deckforge note type, so Anki falls back to its default one,
    // whose first two fields receive the question and the answer.
    for note in notes(&first) {
        assert!(
            note["fields"].as_object().is_some_and(|f| f.len() >= 2),
            "{note}"
        );
    }
    let again = anki_check(&collection, &[format!("csv:{}", csv.display())]);
    assert_eq!(
        again["counts"]["notes"], 100,
        "importing the CSV again must not duplicate"
    );
    assert_eq!(again["imports"][0]["new"], 0);
}

#[test]
fn the_csv_updates_notes_imported_from_the_package() {
    let dir = TempDir::new("anki-both");
    let apkg = build(&dir, "mlops.apkg");
    let csv = build(&dir, "mlops.csv");
    let state = anki_check(
        &dir.join("collection.anki2"),
        &[
            format!("apkg:{}", apkg.display()),
            "study:7!".to_string(),
            format!("csv:{}", csv.display()),
        ],
    );
    assert_eq!(state["imports"][2]["new"], 0);
    assert_eq!(state["imports"][2]["conflicting"], 0);
    assert_eq!(state["counts"]["notes"], 100);
    assert_matches_seed(&notes(&state), field);
    for note in notes(&state) {
        let card = &note["cards"][0];
        assert_eq!(
            (card["type"].as_i64(), card["ivl"].as_i64()),
            (Some(2), Some(7)),
            "schedule kept: {note}"
        );
    }
}
