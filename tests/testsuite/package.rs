//! The `.apkg` as Anki reads it: zip members, schema 11, note type, notes and cards, compared
//! with a golden dump of the contents (never raw bytes).

use std::fs;

use serde_json::Value;

use crate::support::{TempDir, assert_golden, deckforge, dump_apkg, run, seed_in};

fn build_seed(dir: &TempDir, name: &str) -> Value {
    dump_apkg(&crate::support::build_seed(dir, name))
}

#[test]
fn the_seed_package_matches_its_golden_dump() {
    let dir = TempDir::new("package-golden");
    // A first build's GUIDs come from the source's folder and name (no lock yet), so the
    // seed sits where the repository keeps it: `examples/`.
    let examples = dir.join("examples");
    fs::create_dir(&examples).unwrap();
    let source = examples.join("mlops-interview-questions.md");
    fs::copy(crate::support::seed(), &source).unwrap();
    let out = dir.join("mlops.apkg");
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let dump = dump_apkg(&out);
    assert_eq!(
        dump["members"],
        serde_json::json!(["collection.anki2", "media"])
    );
    assert_eq!(dump["ver"], 11);
    assert_eq!(dump["card_count"], 100);
    let notes = dump["notes"].as_array().unwrap();
    let mut guids: Vec<&str> = notes.iter().map(|n| n["guid"].as_str().unwrap()).collect();
    guids.sort();
    guids.dedup();
    assert_eq!(guids.len(), 100, "GUIDs are unique");
    assert_golden(
        "tests/fixtures/seed/package.json",
        &(serde_json::to_string_pretty(&dump).unwrap() + "\n"),
    );
}

#[test]
fn the_note_type_has_question_and_answer_first_and_templates_from_the_files() {
    let dir = TempDir::new("package-notetype");
    let dump = build_seed(&dir, "mlops.apkg");
    let models = dump["models"].as_object().unwrap();
    assert_eq!(models.len(), 1);
    let (id, model) = models.iter().next().unwrap();
    assert_eq!(model["id"].to_string(), *id);
    let names: Vec<&str> = model["flds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Question", "Answer", "Section", "Number", "Source"]);
    let template = &model["tmpls"][0];
    let front = fs::read_to_string(crate::support::repo("templates/front.html")).unwrap();
    assert_eq!(template["qfmt"], front);
    assert_eq!(
        model["css"],
        fs::read_to_string(crate::support::repo("templates/style.css")).unwrap()
    );
}

#[test]
fn identical_inputs_give_identical_contents_and_ids() {
    let dir = TempDir::new("package-stable");
    let first = build_seed(&dir, "a.apkg");
    let second = build_seed(&dir, "b.apkg");
    assert_eq!(first, second);
    assert_eq!(
        fs::read(dir.join("a.apkg")).unwrap(),
        fs::read(dir.join("b.apkg")).unwrap(),
        "same sources and SOURCE_DATE_EPOCH give byte-identical packages"
    );
}

#[test]
fn subdecks_put_each_section_in_its_own_deck() {
    let dir = TempDir::new("package-subdecks");
    let out = dir.join("sub.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(seed_in(&dir))
        .args(["--subdecks", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let dump = dump_apkg(&out);
    let decks = dump["decks"].as_object().unwrap();
    // Default, the main deck, and one subdeck for each of the seed's 21 sections.
    assert_eq!(decks.len(), 1 + 1 + 21);
    let note = &dump["notes"][0];
    let deck = &decks[&note["card"]["did"].to_string()];
    assert_eq!(
        deck["name"],
        "Top 100 MLOps interview questions and answers::General MLOps Concepts"
    );
}
