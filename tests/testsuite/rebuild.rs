//! Rebuilds that merge, checked with the real Anki engine: an author edits the seed in the ways
//! authors do, studies in between, rebuilds, and re-imports; Anki must update notes in place.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TempDir, anki_check, deckforge, run, seed};

const T1: &str = "1700000000";
const T2: &str = "1700100000";

/// The lines of question `number`'s block: from its `N.  **` line to the next question or heading.
fn block_range(lines: &[&str], number: u32) -> std::ops::Range<usize> {
    let prefix = format!("{number}.  **");
    let start = lines
        .iter()
        .position(|l| l.starts_with(&prefix))
        .expect("question exists");
    let end = (start + 1..lines.len())
        .find(|&i| {
            let l = lines[i];
            l.starts_with("### ")
                || l.starts_with("----")
                || l.split_once(".  **")
                    .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .unwrap_or(lines.len());
    start..end
}

fn move_block(text: &str, number: u32, before_line_starting: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let range = block_range(&lines, number);
    let block: Vec<&str> = lines[range.clone()].to_vec();
    let mut rest: Vec<&str> = lines[..range.start]
        .iter()
        .chain(&lines[range.end..])
        .copied()
        .collect();
    let at = rest
        .iter()
        .position(|l| l.starts_with(before_line_starting))
        .expect("anchor exists");
    rest.splice(at..at, block);
    rest.join("\n") + "\n"
}

fn delete_block(text: &str, number: u32) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let range = block_range(&lines, number);
    lines[..range.start]
        .iter()
        .chain(&lines[range.end..])
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Every question numbered `from` or later gets its number shifted by `by`.
fn renumber(text: &str, from: u32, by: i64) -> String {
    text.lines()
        .map(|line| match line.split_once(".  **") {
            Some((n, rest)) if n.parse::<u32>().is_ok_and(|n| n >= from) => {
                format!("{}.  **{rest}", n.parse::<i64>().unwrap() + by)
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} occurs once");
    text.replacen(from, to, 1)
}

/// The author's edits, all at once.
fn edited_seed() -> String {
    let mut text = fs::read_to_string(seed()).unwrap();
    // Answer edited.
    text = replace_once(
        &text,
        "and retraining in production.",
        "and retraining in production. It borrows CI/CD from DevOps.",
    );
    // Reworded by one word, and reworded more thoroughly (same answer).
    text = replace_once(
        &text,
        "**How does MLOps differ from DevOps?**",
        "**How does MLOps differ from classic DevOps?**",
    );
    text = replace_once(
        &text,
        "**What are the key components of an MLOps pipeline?**",
        "**Which components make up a typical MLOps pipeline?**",
    );
    // Formatting that changes what is shown (emphasis) and formatting that does not (spacing).
    text = replace_once(
        &text,
        "**What challenges does MLOps address?**",
        "**What challenges does *MLOps* address?**",
    );
    text = replace_once(
        &text,
        "**Why is data validation important in MLOps?**",
        "**Why is data   validation important in MLOps?**",
    );
    // Moved to another section.
    text = move_block(&text, 5, "7.  **");
    // Sections reordered: MLOps Tools after CI/CD for ML.
    let lines: Vec<&str> = text.lines().collect();
    let tools = lines
        .iter()
        .position(|l| l.starts_with("### **MLOps Tools**"))
        .unwrap();
    let cicd = lines
        .iter()
        .position(|l| l.starts_with("### **CI/CD for ML**"))
        .unwrap();
    let after_cicd = lines
        .iter()
        .position(|l| l.starts_with("----------"))
        .unwrap();
    let mut reordered: Vec<&str> = lines[..tools].to_vec();
    reordered.extend(&lines[cicd..after_cicd]);
    reordered.extend(&lines[tools..cicd]);
    reordered.extend(&lines[after_cicd..]);
    text = reordered.join("\n") + "\n";
    // Deleted, then everything after it renumbered.
    text = delete_block(&text, 7);
    text = renumber(&text, 8, -1);
    // Added at the end of the last section.
    text = replace_once(
        &text,
        "during training.\n\n----------",
        "during training.\n\n100.  **What is a feature flag in model serving?**\n\n-   **Answer:** A switch that routes traffic to a model without a redeploy.\n\n----------",
    );
    text
}

fn build(source: &Path, out: &Path, epoch: Option<&str>) {
    let mut command = deckforge();
    match epoch {
        Some(epoch) => command.env("SOURCE_DATE_EPOCH", epoch),
        None => command.env_remove("SOURCE_DATE_EPOCH"),
    };
    let (code, _, stderr) = run(command.arg("build").arg(source).arg("-o").arg(out));
    assert_eq!(code, 0, "{stderr}");
}

fn by_question(state: &Value) -> std::collections::HashMap<String, Value> {
    state["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["fields"]["Question"].as_str().unwrap().to_string(),
                n.clone(),
            )
        })
        .collect()
}

struct Scenario {
    dir: TempDir,
    source: PathBuf,
}

impl Scenario {
    fn new(name: &str) -> Scenario {
        let dir = TempDir::new(name);
        let source = dir.join("mlops.md");
        fs::copy(seed(), &source).unwrap();
        Scenario { dir, source }
    }

    fn edit(&self) {
        fs::write(&self.source, edited_seed()).unwrap();
    }
}

#[test]
fn an_edited_seed_updates_in_place_and_keeps_every_schedule() {
    let s = Scenario::new("rebuild-apkg");
    let v1 = s.dir.join("v1.apkg");
    let v2 = s.dir.join("v2.apkg");
    build(&s.source, &v1, Some(T1));
    let collection = s.dir.join("collection.anki2");
    let before = anki_check(
        &collection,
        &[format!("apkg:{}", v1.display()), "study:7!".into()],
    );
    assert_eq!(before["counts"]["notes"], 100);
    let revlog = before["counts"]["revlog"].clone();
    let guid_of = |state: &Value, question: &str| by_question(state)[question]["guid"].clone();

    s.edit();
    build(&s.source, &v2, Some(T2));
    let after = anki_check(&collection, &[format!("apkg:{}", v2.display())]);
    let import = &after["imports"][0];
    assert_eq!(import["conflicting"], 0, "{import}");
    assert_eq!(import["new"], 1, "only the added question is new: {import}");
    // 100 surviving or edited + 1 added + the deleted one kept (Anki never deletes).
    assert_eq!(after["counts"]["notes"], 101);
    assert_eq!(after["counts"]["cards"], 101);
    assert_eq!(after["counts"]["revlog"], revlog, "review log untouched");
    let forks: Vec<&Value> = after["notetypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["name"].as_str().unwrap().starts_with("deckforge"))
        .collect();
    assert_eq!(forks.len(), 1, "no forked note type: {forks:?}");

    let notes = by_question(&after);
    let t1: i64 = T1.parse().unwrap();
    let t2: i64 = T2.parse().unwrap();
    let studied = |note: &Value| note["cards"][0]["type"] == 2 && note["cards"][0]["ivl"] == 7;
    // Edited notes keep their GUID and schedule, show the new text, and get the new mod.
    let q1 = &notes["What is MLOps?"];
    assert!(
        q1["fields"]["Answer"]
            .as_str()
            .unwrap()
            .contains("It borrows CI/CD from DevOps.")
    );
    let reworded = [
        (
            "How does MLOps differ from classic DevOps?",
            "How does MLOps differ from DevOps?",
        ),
        (
            "Which components make up a typical MLOps pipeline?",
            "What are the key components of an MLOps pipeline?",
        ),
    ];
    for (new, old) in reworded {
        let note = notes.get(new).unwrap_or_else(|| panic!("{new} shown"));
        assert_eq!(
            note["guid"],
            guid_of(&before, old),
            "{new} kept {old}'s note"
        );
        assert!(!notes.contains_key(old), "{old} no longer shown");
    }
    let emphasised = &notes["What challenges does <em>MLOps</em> address?"];
    let moved = &notes["What is model drift and how do you handle it in MLOps?"];
    assert_eq!(moved["fields"]["Section"], "Machine Learning Lifecycle");
    for note in [
        q1,
        &notes[reworded[0].0],
        &notes[reworded[1].0],
        emphasised,
        moved,
    ] {
        assert!(studied(note), "schedule kept: {note}");
        assert_eq!(note["mod"], t2, "edited note gets the new mod: {note}");
    }
    // The deleted question stays, tagged, with its schedule; the added one is new.
    let deleted = &notes["How do you ensure reproducibility in machine learning experiments?"];
    assert!(
        deleted["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "deckforge::removed"),
        "{deleted}"
    );
    assert!(studied(deleted));
    let added = &notes["What is a feature flag in model serving?"];
    assert_eq!(added["cards"][0]["type"], 0);
    // Everything else (spacing-only edits, reordered sections, renumbered questions) is untouched.
    let untouched: Vec<&Value> = notes
        .values()
        .filter(|n| n["mod"] != t2 && n["guid"] != added["guid"])
        .collect();
    assert_eq!(
        untouched.len(),
        101 - 6 - 1,
        "only the 6 edited notes changed"
    );
    for note in untouched {
        assert_eq!(note["mod"], t1, "{note}");
        assert!(studied(note), "{note}");
    }
    assert_eq!(
        notes["Why is data validation important in MLOps?"]["mod"],
        t1
    );

    // Re-importing the same package changes nothing.
    let again = anki_check(&collection, &[format!("apkg:{}", v2.display())]);
    assert_eq!(again["imports"][0]["new"], 0);
    assert_eq!(again["imports"][0]["updated"], 0);
    assert_eq!(again["counts"]["notes"], 101);
}

#[test]
fn the_same_build_run_twice_gives_identical_bytes_and_lock() {
    let s = Scenario::new("rebuild-twice");
    build(&s.source, &s.dir.join("v1.apkg"), None);
    s.edit();
    let (first, second) = (s.dir.join("a.apkg"), s.dir.join("b.apkg"));
    build(&s.source, &first, None);
    let lock = fs::read_to_string(s.dir.join("mlops.deckforge.lock")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    build(&s.source, &second, None);
    assert_eq!(
        fs::read(&first).unwrap(),
        fs::read(&second).unwrap(),
        "byte-identical packages"
    );
    assert_eq!(
        fs::read_to_string(s.dir.join("mlops.deckforge.lock")).unwrap(),
        lock,
        "lock unchanged"
    );
}

#[test]
fn the_csv_path_updates_in_place_by_guid() {
    let s = Scenario::new("rebuild-csv");
    let (v1, v2) = (s.dir.join("v1.csv"), s.dir.join("v2.csv"));
    build(&s.source, &v1, Some(T1));
    let collection = s.dir.join("collection.anki2");
    let before = anki_check(
        &collection,
        &[format!("csv:{}", v1.display()), "study:7!".into()],
    );
    assert_eq!(before["counts"]["notes"], 100);
    s.edit();
    build(&s.source, &v2, Some(T2));
    let after = anki_check(&collection, &[format!("csv:{}", v2.display())]);
    assert_eq!(after["imports"][0]["new"], 1, "{}", after["imports"][0]);
    assert_eq!(after["counts"]["notes"], 101);
    assert_eq!(after["counts"]["revlog"], before["counts"]["revlog"]);
    let notes = after["notes"].as_array().unwrap();
    let reworded = notes
        .iter()
        .find(|n| n["fields"]["Front"] == "How does MLOps differ from classic DevOps?")
        .expect("the reworded question is shown");
    let original = before["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["fields"]["Front"] == "How does MLOps differ from DevOps?")
        .unwrap();
    assert_eq!(reworded["guid"], original["guid"]);
    for note in notes
        .iter()
        .filter(|n| n["fields"]["Front"] != "What is a feature flag in model serving?")
    {
        assert_eq!(note["cards"][0]["ivl"], 7, "schedule kept: {note}");
    }
}

#[test]
fn a_template_change_updates_the_note_type_without_forking_it() {
    let s = Scenario::new("rebuild-templates");
    let (v1, v2) = (s.dir.join("v1.apkg"), s.dir.join("v2.apkg"));
    build(&s.source, &v1, Some(T1));
    let collection = s.dir.join("collection.anki2");
    anki_check(
        &collection,
        &[format!("apkg:{}", v1.display()), "study:7!".into()],
    );
    let templates = s.dir.join("templates");
    fs::create_dir(&templates).unwrap();
    fs::write(
        templates.join("style.css"),
        ".card { color: rebeccapurple; }\n",
    )
    .unwrap();
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", T2)
        .arg("build")
        .arg(&s.source)
        .arg("--templates")
        .arg(&templates)
        .arg("-o")
        .arg(&v2));
    assert_eq!(code, 0, "{stderr}");
    let after = anki_check(&collection, &[format!("apkg:{}", v2.display())]);
    let deckforge_types: Vec<&Value> = after["notetypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["name"].as_str().unwrap().starts_with("deckforge"))
        .collect();
    assert_eq!(deckforge_types.len(), 1, "{deckforge_types:?}");
    assert_eq!(
        deckforge_types[0]["css"],
        ".card { color: rebeccapurple; }\n"
    );
    assert_eq!(after["imports"][0]["updated"], 0, "notes untouched");
    assert_eq!(after["counts"]["notes"], 100);
}
