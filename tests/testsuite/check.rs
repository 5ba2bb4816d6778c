//! `deckforge check` and the diagnostics `build` prints, through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::root;

fn deckforge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deckforge"))
        .args(args)
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run deckforge")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder under the system's temp dir for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("deckforge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write input");
    path.display().to_string()
}

#[test]
fn check_flags_the_seeds_truncated_answer_and_exits_0() {
    let out = deckforge(&["check", "examples/mlops-interview-questions.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "examples/mlops-interview-questions.md:446:1: warning: answer looks truncated (it stops without punctuation): How do you deal with regulatory audits that require transparency in model decisions?\n"
    );
}

#[test]
fn check_reports_numbering_gaps_repeats_and_missing_answers() {
    let out = deckforge(&[
        "check",
        "tests/fixtures/corpus/reactjs-interview-questions.md",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let path = "tests/fixtures/corpus/reactjs-interview-questions.md";
    for line in [
        format!("{path}:2115:1: warning: question number 53 is missing (from 52 to 54)"),
        format!("{path}:7415:1: warning: question number 290 is repeated"),
        format!("{path}:8277:1: warning: question number 317 is repeated"),
        format!("{path}:8324:1: warning: question number 318 is missing (from 317 to 319)"),
        format!(
            "{path}:6350:1: warning: question has no answer and was left out: What are the benefits of preventing the direct state mutations?"
        ),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?} in:\n{stdout}"
        );
    }
    // Numbering restarts at 1 in the "Old Q&A" section without a warning.
    assert!(!stdout.contains("comes after"), "{stdout}");
}

#[test]
fn check_reports_duplicates_placeholders_and_unsafe_html() {
    let dir = scratch("check");
    let input = write(
        &dir,
        "notes.md",
        "# Notes\n\n### What is X?\n\nX is <b onclick=\"steal()\">y</b>.\n\n### What is Y?\n\nTODO\n\n### What is  x?\n\nAgain <script>alert(1)</script>.\n\n### Why?\n\nSee [this](javascript:alert(1)).\n",
    );
    let out = deckforge(&["check", &input]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let expected = [
        format!(
            "{input}:3:1: warning: unsafe HTML will be removed from the card (onclick= on <b>)"
        ),
        format!(
            "{input}:7:1: warning: answer is a placeholder (\"todo\"); the question was left out: What is Y?"
        ),
        format!(
            "{input}:11:1: warning: duplicate question, also at {input}:3; it gets its own GUID"
        ),
        format!(
            "{input}:11:1: warning: unsafe HTML will be removed from the card (<script> and its content)"
        ),
        format!(
            "{input}:15:1: warning: unsafe HTML will be removed from the card (link to \"javascript:alert(1)\")"
        ),
    ];
    for line in &expected {
        assert!(
            stdout.lines().any(|l| l.starts_with(line.as_str())),
            "missing {line:?} in:\n{stdout}"
        );
    }
    assert_eq!(stdout.lines().count(), expected.len(), "{stdout}");
}

#[test]
fn check_exits_1_on_a_file_without_questions() {
    let dir = scratch("noq");
    let input = write(&dir, "prose.md", "# Just prose\n\nNothing to ask here.\n");
    let out = deckforge(&["check", &input]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with(&format!("{input}:1:1: error: no questions found")));
}

#[test]
fn build_prints_the_same_diagnostics() {
    let dir = scratch("build");
    let output = dir.join("mlops.csv").display().to_string();
    let out = deckforge(&[
        "build",
        "examples/mlops-interview-questions.md",
        "-o",
        &output,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "examples/mlops-interview-questions.md:446:1: warning: answer looks truncated"
        )
    );
}

#[test]
fn build_layout_can_be_forced() {
    let dir = scratch("layout");
    let output = dir.join("out.csv").display().to_string();
    let out = deckforge(&[
        "build",
        "examples/mlops-interview-questions.md",
        "-o",
        &output,
        "--layout",
        "headings",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nothing in the `headings` layout"),
        "{}",
        text(&out.stderr)
    );

    let out = deckforge(&["build", "x.md", "-o", &output, "--layout", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    // clap lists the names, as shell completion offers them.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid value 'nope'"), "{stderr}");
    assert!(stderr.contains("answer-label, q-a"), "{stderr}");
}

#[test]
fn local_images_are_packed_and_escapes_refused() {
    let dir = scratch("media");
    std::fs::create_dir_all(dir.join("img")).expect("img dir");
    std::fs::write(dir.join("img/plot.png"), b"\x89PNG\r\n\x1a\n plot").expect("image");
    std::fs::write(dir.parent().expect("parent").join("secret.png"), b"secret").expect("outside");
    let input = write(
        &dir,
        "deck.md",
        "### What does the plot show?\n\n![plot](img/plot.png) and <img src=\"./img/plot.png\" alt=\"again\">\n\n### What is outside?\n\n![x](../secret.png) ![r](https://example.com/r.png)\n",
    );
    let output = dir.join("deck.apkg").display().to_string();
    let out = deckforge(&["build", &input, "-o", &output]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("image \"../secret.png\" is outside the source's folder"),
        "{}",
        text(&out.stderr)
    );
    let file = std::fs::File::open(&output).expect("apkg");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    let media: serde_json::Value = {
        let entry = zip.by_name("media").expect("media map");
        serde_json::from_reader(entry).expect("media json")
    };
    let names: Vec<&str> = media
        .as_object()
        .expect("map")
        .values()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(names.len(), 1, "{media}");
    assert!(
        names[0].ends_with(".png") && names[0].len() == 68,
        "{}",
        names[0]
    );
}

#[test]
fn check_names_the_layout_and_card_count_of_each_file() {
    let out = deckforge(&[
        "check",
        "examples/mlops-interview-questions.md",
        "tests/fixtures/wild/table-columns.md",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("examples/mlops-interview-questions.md: 100 cards, read as answer-label"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tests/fixtures/wild/table-columns.md: 8 cards, read as table"),
        "{stderr}"
    );
}

#[test]
fn check_json_reports_files_and_diagnostics() {
    let dir = scratch("check-json");
    let empty = write(&dir, "empty.md", "Just prose, no questions here.\n");
    let out = deckforge(&[
        "check",
        "--json",
        "tests/fixtures/layouts/q-a/input.md",
        &empty,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["layout"], "q-a");
    assert_eq!(files[0]["cards"], 5);
    assert_eq!(files[1]["layout"], serde_json::Value::Null);
    assert_eq!(files[1]["cards"], 0);
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert!(diagnostics.iter().any(|d| {
        d["severity"] == "warning"
            && d["line"] == 29
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("What is NAT?"))
    }));
    assert!(
        diagnostics
            .iter()
            .any(|d| d["severity"] == "error" && d["path"].as_str() == Some(empty.as_str()))
    );
}

#[test]
fn an_unclosed_code_fence_that_swallows_questions_is_warned() {
    let dir = scratch("fence");
    let source = write(
        &dir,
        "fence.md",
        "### What is X?\n\nX is:\n\n```sh\nx --help\n\n### What is Y?\n\nY.\n\n### What is Z?\n\nZ.\n",
    );
    let out = deckforge(&["check", &source]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!(
            "{source}:5:1: warning: this code block is never closed, so the rest of the file is code: 2 question-like lines"
        )),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn check_gives_the_media_warnings_build_gives() {
    let dir = scratch("check-media");
    std::fs::write(dir.join("fake.png"), b"not a png at all").expect("image");
    let input = write(
        &dir,
        "deck.md",
        "### What is missing?\n\n![a](missing.png) and ![s](gone.mp3)\n\n### What is fake?\n\n![f](fake.png)\n\n### What is plain?\n\nNothing to pack.\n",
    );
    let warnings = |out: &Output, stream: &[u8]| -> Vec<String> {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(stream)
            .lines()
            .filter(|l| l.contains("warning:"))
            .map(str::to_string)
            .collect()
    };
    let checked = deckforge(&["check", &input]);
    let checked = warnings(&checked, &checked.stdout);
    assert_eq!(checked.len(), 3, "{checked:?}");
    assert!(
        checked[0]
            .ends_with("deck.md:1:1: warning: image \"missing.png\" not found next to the source"),
        "{checked:?}"
    );
    assert!(
        checked[1]
            .ends_with("deck.md:1:1: warning: sound \"gone.mp3\" not found next to the source"),
        "{checked:?}"
    );
    assert!(
        checked[2].contains("deck.md:5:1: warning:") && checked[2].contains("fake.png"),
        "{checked:?}"
    );
    let output = dir.join("deck.apkg").display().to_string();
    let built = deckforge(&["build", &input, "-o", &output]);
    assert_eq!(warnings(&built, &built.stderr), checked);
    // Under --strict the warnings fail the check, as they fail the build.
    let strict = deckforge(&["check", "--strict", &input]);
    assert_eq!(strict.status.code(), Some(1));
}

/// A cloze note makes one card per cloze number and a reversed note two: `check` counts cards
/// as a build makes them, and the notes they come from.
#[test]
fn check_counts_the_cards_cloze_and_reversed_notes_make() {
    let dir = scratch("check-kinds");
    let file = write(
        &dir,
        "kinds.md",
        "# Kinds\n\nThe capital of France is ==Paris== and of Spain ==Madrid==.\n\n\
         Capital of Italy:::Rome\n\n## What is 2 + 2?\n\n4\n",
    );
    let out = deckforge(&["check", "--json", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["files"][0]["notes"], 3, "{report}");
    assert_eq!(report["files"][0]["cards"], 5, "{report}");
    let out = deckforge(&["check", &file]);
    assert!(
        text(&out.stderr).contains("kinds.md: 5 cards from 3 notes, read as"),
        "{}",
        text(&out.stderr)
    );
}
