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
pub fn edited_seed() -> String {
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

/// Runs `deckforge build SOURCE -o OUT ARGS…` at `epoch`; the exit code and stderr.
fn build_args(source: &Path, out: &Path, epoch: &str, args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", epoch)
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(out)
        .args(args));
    (code, stderr)
}

fn notes_of(state: &Value) -> &Vec<Value> {
    state["notes"].as_array().unwrap()
}

fn has_tag(note: &Value, tag: &str) -> bool {
    note["tags"].as_array().unwrap().iter().any(|t| t == tag)
}

const DAY: i64 = 86_400;

/// Issue 12 item 2: a retired question reaches learners who have it, never gives a new learner
/// a card, and stops coming back after a learner deleted it once its time is over.
#[test]
fn a_removed_question_is_retired_without_becoming_a_studyable_card() {
    let s = Scenario::new("rebuild-retired");
    let out = s.dir.join("deck.apkg");
    let learner = s.dir.join("learner.anki2");
    build(&s.source, &out, Some(T1));
    anki_check(
        &learner,
        &[format!("apkg:{}", out.display()), "study:7!".into()],
    );
    let text = fs::read_to_string(&s.source).unwrap();
    fs::write(&s.source, delete_block(&text, 7)).unwrap();
    let (code, stderr) = build_args(&s.source, &out, T2, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("tag:deckforge::removed"), "{stderr}");
    let question = "How do you ensure reproducibility in machine learning experiments?";

    // The learner who has it: the note is updated and tagged, the card and its history stay.
    let after = anki_check(&learner, &[format!("apkg:{}", out.display())]);
    assert_eq!(after["imports"][0]["updated"], 1, "{}", after["imports"][0]);
    assert_eq!(after["counts"]["cards"], 100);
    let retired = &by_question(&after)[question];
    assert!(has_tag(retired, "deckforge::removed"), "{retired}");
    assert_eq!(retired["cards"][0]["ivl"], 7, "history kept: {retired}");

    // A new learner gets the note but no card to study.
    let newcomer = s.dir.join("newcomer.anki2");
    let fresh = anki_check(&newcomer, &[format!("apkg:{}", out.display())]);
    assert_eq!(fresh["counts"]["notes"], 100);
    assert_eq!(
        fresh["counts"]["cards"], 99,
        "no card for the retired question"
    );
    assert_eq!(
        by_question(&fresh)[question]["cards"],
        serde_json::json!([])
    );

    // The learner deletes it; while it still ships it returns without a card...
    let deleted = anki_check(
        &learner,
        &[
            "delete:tag:deckforge::removed".into(),
            format!("apkg:{}", out.display()),
        ],
    );
    assert_eq!(
        deleted["counts"]["cards"], 99,
        "it never comes back studyable"
    );
    // ...and once its time is over it no longer ships at all.
    let later = (T2.parse::<i64>().unwrap() + 91 * DAY).to_string();
    let (code, stderr) = build_args(&s.source, &out, &later, &[]);
    assert_eq!(code, 0, "{stderr}");
    let gone = anki_check(
        &learner,
        &[
            "delete:tag:deckforge::removed".into(),
            format!("apkg:{}", out.display()),
        ],
    );
    assert_eq!(gone["imports"][1]["new"], 0, "{}", gone["imports"][1]);
    assert_eq!(gone["counts"]["notes"], 99);
    // `deckforge prune` drops the record from the lock.
    let lock = s.dir.join("mlops.deckforge.lock");
    assert!(
        fs::read_to_string(&lock)
            .unwrap()
            .contains("\"removed\":true")
    );
    let (code, _, stderr) = run(deckforge().arg("prune").arg(&lock));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !fs::read_to_string(&lock)
            .unwrap()
            .contains("\"removed\":true")
    );
}

/// Issue 12 item 1: a changed deck id is refused before Anki would refuse every note; a new
/// lock starts a genuinely new deck; the old deck keeps updating.
#[test]
fn a_changed_deck_id_is_refused_and_the_deck_keeps_updating() {
    let s = Scenario::new("rebuild-deck-id");
    let out = s.dir.join("deck.apkg");
    let collection = s.dir.join("collection.anki2");
    build(&s.source, &out, Some(T1));
    anki_check(
        &collection,
        &[format!("apkg:{}", out.display()), "study:7!".into()],
    );
    let before = fs::read(&out).unwrap();
    let (code, stderr) = build_args(&s.source, &out, T2, &["--deck-id", "renamed"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("this lock belongs to deck id"), "{stderr}");
    assert!(stderr.contains("--lock NEW.deckforge.lock"), "{stderr}");
    let text = fs::read_to_string(&s.source).unwrap();
    fs::write(&s.source, format!("---\ndeck_id: renamed\n---\n{text}")).unwrap();
    let (code, stderr) = build_args(&s.source, &out, T2, &[]);
    assert_eq!(code, 1, "front matter too: {stderr}");
    assert_eq!(fs::read(&out).unwrap(), before, "nothing written");
    fs::write(&s.source, edited_seed()).unwrap();
    build(&s.source, &out, Some(T2));
    let after = anki_check(&collection, &[format!("apkg:{}", out.display())]);
    assert_eq!(
        after["imports"][0]["conflicting"], 0,
        "{}",
        after["imports"][0]
    );
    assert!(after["imports"][0]["updated"].as_i64().unwrap() > 0);
    // A genuinely new deck, with its own lock: new notes, no conflict with the old ones.
    let other = s.dir.join("other.apkg");
    // In the scenario's folder: a bare name would leave a lock in the repository.
    let other_lock = s.dir.join("renamed.deckforge.lock");
    let other_lock = other_lock.to_str().unwrap();
    let (code, stderr) = build_args(
        &s.source,
        &other,
        T2,
        &["--deck-id", "renamed", "--lock", other_lock],
    );
    assert_eq!(code, 0, "{stderr}");
    let both = anki_check(&collection, &[format!("apkg:{}", other.display())]);
    assert_eq!(
        both["imports"][0]["conflicting"], 0,
        "{}",
        both["imports"][0]
    );
    assert_eq!(both["imports"][0]["new"], 100);
}

/// Issue 12 item 3 (and issue 18 item 10): decks from files of one name in two folders, and a
/// course and a single-source deck sharing their first file, keep separate memories and notes.
#[test]
fn decks_sharing_a_file_name_or_a_first_source_never_share_notes() {
    let dir = TempDir::new("rebuild-two-decks");
    let collection = dir.join("collection.anki2");
    let mut steps = Vec::new();
    for folder in ["a", "b"] {
        fs::create_dir(dir.join(folder)).unwrap();
        let source = dir.join(folder).join("notes.md");
        fs::copy(seed(), &source).unwrap();
        let out = dir.join(&format!("{folder}.apkg"));
        build(&source, &out, Some(T1));
        steps.push(format!("apkg:{}", out.display()));
    }
    let state = anki_check(&collection, &steps);
    assert_eq!(state["imports"][1]["new"], 100, "{}", state["imports"][1]);
    assert_eq!(state["counts"]["notes"], 200);

    let rust = dir.join("rust.md");
    fs::copy(seed(), &rust).unwrap();
    let git = dir.join("git.md");
    fs::write(
        &git,
        "# Git\n\n1.  **What is a commit?**\n\n-   **Answer:** A snapshot.\n",
    )
    .unwrap();
    let course = dir.join("course.apkg");
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", T1)
        .arg("build")
        .args([&rust, &git])
        .arg("-o")
        .arg(&course));
    assert_eq!(code, 0, "{stderr}");
    let single = dir.join("rust.apkg");
    let (code, stderr) = build_args(&rust, &single, T1, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("removed 0"),
        "the git questions stay in the course: {stderr}"
    );
    assert!(dir.join("rust+git.deckforge.lock").is_file());
    assert!(dir.join("rust.deckforge.lock").is_file());
    let separate = anki_check(
        &dir.join("course.anki2"),
        &[
            format!("apkg:{}", course.display()),
            format!("apkg:{}", single.display()),
        ],
    );
    assert_eq!(
        separate["imports"][1]["updated"], 0,
        "{}",
        separate["imports"][1]
    );
    assert_eq!(separate["counts"]["notes"], 201);
}

/// Issue 12 item 4 (and issue 18 item 4): an output that names a file the build reads is
/// refused, however the path is spelled, and nothing is written.
#[test]
fn an_output_over_a_file_the_build_reads_is_refused() {
    let s = Scenario::new("rebuild-output-over-input");
    build(&s.source, &s.dir.join("deck.apkg"), Some(T1));
    let templates = s.dir.join("design");
    fs::create_dir(&templates).unwrap();
    fs::write(templates.join("style.css"), ".card {}\n").unwrap();
    fs::create_dir(s.dir.join("sub")).unwrap();
    let text = fs::read_to_string(&s.source).unwrap();
    fs::write(s.dir.join("diagram.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let with_image = replace_once(
        &text,
        "and retraining in production.",
        "and retraining in production. ![pipeline](diagram.png)",
    );
    fs::write(&s.source, &with_image).unwrap();
    let lock = fs::read(s.dir.join("mlops.deckforge.lock")).unwrap();
    for (out, role) in [
        ("mlops.md", "an input"),
        ("sub/../mlops.md", "an input"),
        ("./sub/../mlops.deckforge.lock", "the lock file"),
        ("design/style.css", "a template"),
        ("diagram.png", "an image"),
    ] {
        let (code, stderr) = build_args(
            &s.source,
            &s.dir.join(out),
            T2,
            &[
                "--preset",
                "plain",
                "--templates",
                templates.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 1, "{out}: {stderr}");
        assert!(
            stderr.contains(&format!("the output is {role}")),
            "{out}: {stderr}"
        );
    }
    assert_eq!(fs::read_to_string(&s.source).unwrap(), with_image);
    assert_eq!(fs::read(s.dir.join("mlops.deckforge.lock")).unwrap(), lock);
    assert_eq!(
        fs::read(templates.join("style.css")).unwrap(),
        b".card {}\n"
    );
}

/// Issue 12 item 5: building the `.apkg` and the `.csv` of a deck with an image in turn changes
/// no note, so an edit made in Anki survives the next package import.
#[test]
fn alternating_package_and_csv_builds_change_no_note() {
    let s = Scenario::new("rebuild-alternate");
    fs::write(s.dir.join("diagram.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let text = fs::read_to_string(&s.source).unwrap();
    fs::write(
        &s.source,
        replace_once(
            &text,
            "and retraining in production.",
            "and retraining in production. ![pipeline](diagram.png)",
        ),
    )
    .unwrap();
    let (apkg, csv) = (s.dir.join("deck.apkg"), s.dir.join("deck.csv"));
    let collection = s.dir.join("collection.anki2");
    build(&s.source, &apkg, Some(T1));
    anki_check(
        &collection,
        &[
            format!("apkg:{}", apkg.display()),
            "edit:\"Question:What is MLOps?\"|Answer|my own words".into(),
        ],
    );
    for (out, epoch) in [(&csv, T2), (&apkg, "1700200000"), (&csv, "1700300000")] {
        let (code, stderr) = build_args(&s.source, out, epoch, &[]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("updated 0") && stderr.contains("unchanged 100"),
            "{stderr}"
        );
    }
    build(&s.source, &apkg, Some("1700400000"));
    let after = anki_check(&collection, &[format!("apkg:{}", apkg.display())]);
    assert_eq!(after["imports"][0]["updated"], 0, "{}", after["imports"][0]);
    assert_eq!(
        by_question(&after)["What is MLOps?"]["fields"]["Answer"],
        "my own words"
    );
    // A new image (same name, new content) is a change in either format.
    fs::write(s.dir.join("diagram.png"), b"\x89PNG\r\n\x1a\nredrawn").unwrap();
    let (code, stderr) = build_args(&s.source, &csv, "1700500000", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("updated 1"), "{stderr}");
}

/// Issue 12 item 5 and issue 14: a lock written by the release before lock version 2 (which
/// hashed the rendered HTML) migrates without stamping any note newer, so Anki overwrites
/// nothing on the next import.
#[test]
fn a_lock_from_the_previous_release_migrates_without_bumping_a_note() {
    let dir = TempDir::new("rebuild-lock-v1");
    let fixture = crate::support::repo("tests/fixtures/lock-v1");
    let source = dir.join("mlops-interview-questions.md");
    let lock = dir.join("mlops-interview-questions.deckforge.lock");
    fs::copy(fixture.join("mlops-interview-questions.md"), &source).unwrap();
    fs::copy(
        fixture.join("mlops-interview-questions.deckforge.lock"),
        &lock,
    )
    .unwrap();
    let old: Value = serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    let collection = dir.join("collection.anki2");
    // The package that release built, imported and studied.
    anki_check(
        &collection,
        &[
            format!("apkg:{}", fixture.join("v1.apkg").display()),
            "study:7!".into(),
        ],
    );
    let out = dir.join("v2.apkg");
    let (code, stderr) = build_args(&source, &out, T2, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("updated 0") && stderr.contains("unchanged 100"),
        "{stderr}"
    );
    let new: Value = serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    assert_eq!(new["version"], 3);
    assert_eq!(new["deck_id"], old["deck_id"]);
    let stamps = |lock: &Value| -> std::collections::BTreeMap<String, Value> {
        lock["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["guid"].as_str().unwrap().to_string(),
                    n["modified"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        stamps(&new),
        stamps(&old),
        "same GUIDs, same modification times"
    );
    let after = anki_check(&collection, &[format!("apkg:{}", out.display())]);
    let import = &after["imports"][0];
    assert_eq!(
        (import["updated"].as_i64(), import["conflicting"].as_i64()),
        (Some(0), Some(0)),
        "{import}"
    );
    assert_eq!(after["counts"]["notes"], 100);
}

/// Issue 14: a lock written by release 0.1.0 as it stood before the one-way pipeline (lock
/// version 2, its hashes from the source, one question showing an image) is read by this
/// build, which stamps no note newer: the lock comes out byte for byte the same (but for its
/// version), and Anki,
/// holding that release's package, updates nothing on import.
#[test]
fn a_lock_from_the_current_release_is_kept_as_it_is() {
    let dir = TempDir::new("rebuild-lock-v2");
    let fixture = crate::support::repo("tests/fixtures/lock-v2");
    for name in [
        "mlops-interview-questions.md",
        "mlops-interview-questions.deckforge.lock",
        "diagram.png",
    ] {
        fs::copy(fixture.join(name), dir.join(name)).unwrap();
    }
    let source = dir.join("mlops-interview-questions.md");
    let lock = dir.join("mlops-interview-questions.deckforge.lock");
    let old = fs::read_to_string(&lock).unwrap();
    let collection = dir.join("collection.anki2");
    anki_check(
        &collection,
        &[
            format!("apkg:{}", fixture.join("v2.apkg").display()),
            "study:7!".into(),
        ],
    );
    let out = dir.join("next.apkg");
    let (code, stderr) = build_args(&source, &out, T2, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("updated 0") && stderr.contains("unchanged 100"),
        "{stderr}"
    );
    // Only the version moves on (version 3 keys questions after Unicode folding, which
    // changes no key of this ASCII deck), and the card design's record, which follows the
    // built-in templates and CSS a release may improve (the note type then updates in Anki,
    // never forks); every note's record stays.
    let notes_only = |lock: &str| -> Vec<String> {
        lock.lines()
            .filter(|line| !line.starts_with("  \"note_type\":"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        notes_only(&fs::read_to_string(&lock).unwrap()),
        notes_only(&old.replacen("\"version\": 2,", "\"version\": 3,", 1)),
        "the lock is unchanged"
    );
    let after = anki_check(&collection, &[format!("apkg:{}", out.display())]);
    let import = &after["imports"][0];
    assert_eq!(
        (import["updated"].as_i64(), import["conflicting"].as_i64()),
        (Some(0), Some(0)),
        "{import}"
    );
    assert_eq!(after["counts"]["notes"], 100);
}

/// Issue 12 item 9: a renamed source would make every note new; the build says so. Without a
/// lock the summary does not claim notes are added.
#[test]
fn a_renamed_source_is_warned_about_and_no_lock_claims_nothing() {
    let s = Scenario::new("rebuild-renamed");
    build(&s.source, &s.dir.join("deck.apkg"), Some(T1));
    let renamed = s.dir.join("ml.md");
    fs::rename(&s.source, &renamed).unwrap();
    let (code, stderr) = build_args(&renamed, &s.dir.join("deck.apkg"), T2, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("100 of these 100 questions are in")
            && stderr.contains("mlops.deckforge.lock"),
        "{stderr}"
    );
    let (code, stderr) = build_args(&renamed, &s.dir.join("x.apkg"), T2, &["--no-lock"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("added 100"), "{stderr}");
    assert!(stderr.contains("no lock"), "{stderr}");
}

/// Issue 12 items 10 and 11: turning subdecks on later (and renaming the deck) leaves existing
/// cards where they are, which the build says once; nested sections get every parent deck.
#[test]
fn deck_changes_are_noticed_once_and_every_parent_deck_is_written() {
    let s = Scenario::new("rebuild-decks");
    let out = s.dir.join("deck.apkg");
    let collection = s.dir.join("collection.anki2");
    build(&s.source, &out, Some(T1));
    anki_check(
        &collection,
        &[format!("apkg:{}", out.display()), "study:7!".into()],
    );
    let (code, stderr) = build_args(&s.source, &out, T2, &["--subdecks", "--deck", "MLOps"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the deck is now named \"MLOps\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("100 note(s) Anki already has now belong in another deck"),
        "{stderr}"
    );
    let after = anki_check(&collection, &[format!("apkg:{}", out.display())]);
    for note in notes_of(&after) {
        assert_eq!(
            note["cards"][0]["deck"], "Top 100 MLOps interview questions and answers",
            "an import never moves a card: {note}"
        );
    }
    let (code, stderr) = build_args(&s.source, &out, T2, &["--subdecks", "--deck", "MLOps"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("note:"), "said once: {stderr}");

    let nested = s.dir.join("nested.md");
    fs::write(
        &nested,
        "# Deck\n\n## Top\n\n### Mid\n\n1.  **What is nested?**\n\n-   **Answer:** Deep.\n",
    )
    .unwrap();
    let package = s.dir.join("nested.apkg");
    let (code, stderr) = build_args(&nested, &package, T1, &["--subdecks"]);
    assert_eq!(code, 0, "{stderr}");
    let dump = crate::support::dump_apkg(&package);
    let mut names: Vec<&str> = dump["decks"]
        .as_object()
        .unwrap()
        .values()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Deck", "Deck::Top", "Deck::Top::Mid", "Default"]);
    let imported = anki_check(
        &s.dir.join("nested.anki2"),
        &[format!("apkg:{}", package.display())],
    );
    assert_eq!(notes_of(&imported)[0]["cards"][0]["deck"], "Deck::Top::Mid");
}

/// Issue 12 items 6, 7 and 12: a CSV build says once what a CSV cannot do; `--changed-only`
/// writes only changed notes, so re-importing keeps the edits and tags made in Anki elsewhere;
/// a note the author changes gets its tags replaced (what Anki does, documented).
#[test]
fn csv_builds_warn_once_and_changed_only_keeps_anki_edits() {
    let s = Scenario::new("rebuild-csv-edits");
    let (apkg, csv) = (s.dir.join("deck.apkg"), s.dir.join("deck.csv"));
    let collection = s.dir.join("collection.anki2");
    build(&s.source, &apkg, Some(T1));
    let (code, stderr) = build_args(&s.source, &csv, T1, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("Basic note type") && stderr.contains("--changed-only"),
        "{stderr}"
    );
    let (code, stderr) = build_args(&s.source, &csv, T1, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("note:"), "said once: {stderr}");
    anki_check(
        &collection,
        &[
            format!("apkg:{}", apkg.display()),
            "edit:\"Question:What is MLOps?\"|Answer|my own words".into(),
            "tag:\"Question:How does MLOps differ from DevOps?\"|marked".into(),
        ],
    );
    let text = fs::read_to_string(&s.source).unwrap();
    fs::write(
        &s.source,
        replace_once(
            &text,
            "continuous deployment of ML models.",
            "continuous deployment of models.",
        ),
    )
    .unwrap();
    let (code, stderr) = build_args(&s.source, &csv, T2, &["--changed-only"]);
    assert_eq!(code, 0, "{stderr}");
    let rows = fs::read_to_string(&csv).unwrap();
    assert_eq!(
        rows.lines().filter(|l| !l.starts_with('#')).count(),
        1,
        "{rows}"
    );
    let after = anki_check(&collection, &[format!("csv:{}", csv.display())]);
    assert_eq!(after["imports"][0]["updated"], 1, "{}", after["imports"][0]);
    let notes = by_question(&after);
    assert_eq!(notes["What is MLOps?"]["fields"]["Answer"], "my own words");
    let changed = &notes["How does MLOps differ from DevOps?"];
    assert!(
        changed["fields"]["Answer"]
            .as_str()
            .unwrap()
            .contains("deployment of models.")
    );
    assert!(
        !has_tag(changed, "marked"),
        "Anki replaces an updated note's tags: {changed}"
    );
}

/// An editor that re-saves the file with decomposed accents (`e` + U+0301, as some macOS tools
/// write) changes no card a learner sees: no note may be marked updated (Anki would overwrite
/// edits made in it) and the deck keeps its name.
#[test]
fn decomposed_accents_change_nothing() {
    let dir = TempDir::new("rebuild-nfd");
    let source = dir.join("cafe.md");
    let out = dir.join("cafe.apkg");
    let composed = "# Caf\u{e9}\n\n## Qu\u{2019}est-ce qu\u{2019}un caf\u{e9} ?\n\n\
                    Une boisson pr\u{e9}par\u{e9}e \u{e0} partir de grains torr\u{e9}fi\u{e9}s.\n\n\
                    ## O\u{f9} pousse le caf\u{e9}ier ?\n\nDans les r\u{e9}gions tropicales.\n";
    fs::write(&source, composed).unwrap();
    let (code, stderr) = build_args(&source, &out, T1, &[]);
    assert_eq!(code, 0, "{stderr}");
    let decomposed = composed
        .replace('\u{e9}', "e\u{301}")
        .replace('\u{e0}', "a\u{300}")
        .replace('\u{f9}', "u\u{300}");
    fs::write(&source, decomposed).unwrap();
    let (code, stderr) = build_args(&source, &out, T2, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("updated 0") && stderr.contains("unchanged 2"),
        "{stderr}"
    );
    assert!(!stderr.contains("now named"), "{stderr}");
}
