//! The command line as a user meets it: exit codes, messages that name the file, nothing written on failure.

use std::fs;

use crate::support::{TempDir, deckforge, run, seed, seed_in};

#[test]
fn build_writes_a_package_and_reports_it() {
    let dir = TempDir::new("cli-build");
    let out = dir.join("mlops.apkg");
    let (code, stdout, stderr) = run(deckforge()
        .arg("build")
        .arg(seed_in(&dir))
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("100 notes"), "{stderr}");
    assert!(out.is_file());
    assert_eq!(
        dir.entries(),
        [
            "mlops-interview-questions.deckforge.lock",
            "mlops-interview-questions.md",
            "mlops.apkg"
        ],
        "the package and the lock beside the source; no temporary files left behind"
    );
    assert!(
        stderr.contains("added 100, updated 0, reworded 0, removed 0, unchanged 0"),
        "{stderr}"
    );
}

#[test]
fn help_lists_build_with_an_example() {
    let (code, stdout, _) = run(deckforge().arg("--help"));
    assert_eq!(code, 0);
    assert!(stdout.contains("build"), "{stdout}");
    let (code, stdout, _) = run(deckforge().args(["build", "--help"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("deckforge build examples/mlops-interview-questions.md -o mlops.apkg"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = run(deckforge().args(["build", "x.md"]));
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = run(deckforge().arg("frobnicate"));
    assert_eq!(code, 2);
}

/// Runs a failing build into `dir/out.apkg` and checks exit 1, the message, and that nothing was written.
fn assert_fails(
    dir: &TempDir,
    input: &std::path::Path,
    output: &std::path::Path,
    expected_message: &str,
) {
    let before = dir.entries();
    let (code, stdout, stderr) = run(deckforge().arg("build").arg(input).arg("-o").arg(output));
    assert_eq!(code, 1, "stderr: {stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(
        stderr.contains(expected_message),
        "expected {expected_message:?} in {stderr:?}"
    );
    assert_eq!(dir.entries(), before, "nothing written");
}

#[test]
fn a_missing_input_names_the_file() {
    let dir = TempDir::new("cli-missing");
    let input = dir.join("nope.md");
    assert_fails(
        &dir,
        &input,
        &dir.join("out.apkg"),
        "nope.md: cannot read the input",
    );
}

#[test]
fn an_input_without_questions_names_the_file() {
    let dir = TempDir::new("cli-empty");
    let empty = dir.join("empty.md");
    fs::write(&empty, "").unwrap();
    assert_fails(
        &dir,
        &empty,
        &dir.join("out.apkg"),
        "empty.md: no questions found: the file is empty",
    );
    let prose = dir.join("prose.md");
    fs::write(&prose, "# Notes\n\nJust some prose.\n").unwrap();
    assert_fails(
        &dir,
        &prose,
        &dir.join("out.apkg"),
        "prose.md: no questions found",
    );
}

#[test]
fn an_input_that_is_not_utf8_names_the_line() {
    let dir = TempDir::new("cli-utf8");
    let input = dir.join("latin1.md");
    fs::write(&input, b"1. **Caf\xe9?**\n").unwrap();
    assert_fails(
        &dir,
        &input,
        &dir.join("out.apkg"),
        "latin1.md:1: not valid UTF-8",
    );
}

#[test]
fn a_missing_output_folder_is_an_error() {
    let dir = TempDir::new("cli-folder");
    assert_fails(
        &dir,
        &seed(),
        &dir.join("missing/out.apkg"),
        "the output folder does not exist",
    );
}

#[test]
fn an_unknown_output_extension_is_a_usage_error() {
    let dir = TempDir::new("cli-ext");
    let (code, stdout, stderr) = run(deckforge()
        .arg("build")
        .arg(seed())
        .arg("-o")
        .arg(dir.join("out.docx")));
    assert_eq!(
        code, 2,
        "a mistake in the command line, as clap's: {stderr}"
    );
    assert!(stdout.is_empty());
    assert!(stderr.contains("use a .apkg or .csv extension"), "{stderr}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

#[test]
fn a_failed_build_keeps_the_previous_output() {
    let dir = TempDir::new("cli-keep");
    let out = dir.join("deck.apkg");
    fs::write(&out, "previous").unwrap();
    let empty = dir.join("empty.md");
    fs::write(&empty, "\n").unwrap();
    assert_fails(&dir, &empty, &out, "no questions found");
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous");
}

#[test]
fn an_invalid_source_date_epoch_is_an_error() {
    let dir = TempDir::new("cli-epoch");
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .arg("build")
        .arg(seed_in(&dir))
        .arg("-o")
        .arg(dir.join("x.apkg")));
    assert_eq!(code, 1);
    assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{stderr}");
}

#[test]
fn locked_fails_when_the_lock_would_change_and_passes_when_current() {
    let dir = TempDir::new("cli-locked");
    let source = seed_in(&dir);
    let out = dir.join("deck.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--locked")
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 1, "no lock yet: {stderr}");
    assert!(stderr.contains("--locked"), "{stderr}");
    assert!(!out.exists(), "nothing written");
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--locked")
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("unchanged 100"), "{stderr}");
}

#[test]
fn no_lock_writes_no_lock_file_and_a_custom_lock_path_is_used() {
    let dir = TempDir::new("cli-nolock");
    let source = seed_in(&dir);
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--no-lock")
        .arg("-o")
        .arg(dir.join("a.apkg")));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !dir.join("mlops-interview-questions.deckforge.lock")
            .exists()
    );
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--lock")
        .arg(dir.join("custom.lock"))
        .arg("-o")
        .arg(dir.join("b.apkg")));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        fs::read_to_string(dir.join("custom.lock"))
            .unwrap()
            .contains("/mlops-interview-questions\""),
        "a new deck's default id is its folder and name"
    );
}

#[test]
fn duplicate_questions_warn_with_both_places_and_strict_refuses() {
    let dir = TempDir::new("cli-dupes");
    let source = dir.join("dupes.md");
    fs::write(
        &source,
        "1.  **What is X?**\n\n-   **Answer:** one\n\n2.  **What is *X*?**\n\n-   **Answer:** two\n",
    )
    .unwrap();
    let out = dir.join("dupes.apkg");
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("dupes.md:5:1: warning: duplicate question, also at"),
        "{stderr}"
    );
    assert!(stderr.contains("dupes.md:1"), "{stderr}");
    let dump = crate::support::dump_apkg(&out);
    assert_ne!(dump["notes"][0]["guid"], dump["notes"][1]["guid"]);
    fs::remove_file(&out).unwrap();
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--strict")
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--strict"), "{stderr}");
    assert!(
        stderr.contains("warning: duplicate question"),
        "the warnings are shown: {stderr}"
    );
    assert!(!out.exists());
}

/// `-q` and `--color` are accepted before or after every subcommand; `--layout` by every
/// command that reads Markdown; each default is printed once.
#[test]
fn every_subcommand_shares_the_global_options() {
    for command in [
        "build",
        "check",
        "preview",
        "inspect",
        "diff",
        "prune",
        "push",
        "watch",
        "serve",
        "templates",
        "completions",
    ] {
        let (code, help, _) = run(deckforge().args([command, "--help"]));
        assert_eq!(code, 0, "{command}");
        assert!(help.contains("-q, --quiet"), "{command}: {help}");
        assert!(help.contains("--color <WHEN>"), "{command}");
        let reads_markdown = matches!(
            command,
            "build" | "check" | "preview" | "diff" | "push" | "watch" | "serve"
        );
        assert_eq!(
            help.contains("--layout <NAME>"),
            reads_markdown,
            "{command}"
        );
        for line in help.lines() {
            assert!(line.matches("[default:").count() <= 1, "{command}: {line}");
        }
    }
    let (code, stdout, stderr) = run(deckforge().args(["-q", "check"]).arg(seed()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "quiet: {stderr}");
    assert!(stdout.contains("warning"), "results still print: {stdout}");
    let (_, _, stderr) = run(deckforge().arg("check").arg(seed()));
    assert!(stderr.contains("read as answer-label"), "{stderr}");
}

#[test]
fn check_strict_fails_on_warnings() {
    let (code, _, _) = run(deckforge().arg("check").arg(seed()));
    assert_eq!(code, 0);
    let (code, stdout, _) = run(deckforge().args(["check", "--strict"]).arg(seed()));
    assert_eq!(code, 1, "the seed has a warning: {stdout}");
}

/// A Markdown file where a deck belongs is a usage mistake with a way forward, not an
/// unrelated "output format" error.
#[test]
fn markdown_given_to_inspect_or_diff_with_a_deck_is_explained() {
    let dir = TempDir::new("cli-md-deck");
    let (code, stdout, stderr) = run(deckforge().arg("inspect").arg(seed()));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("deckforge check"), "{stderr}");
    assert!(!stderr.contains("--preset"), "{stderr}");

    let deck = dir.join("deck.apkg");
    let (code, _, stderr) = run(deckforge()
        .args(["build", "--no-lock", "-q"])
        .arg(seed())
        .arg("-o")
        .arg(&deck));
    assert_eq!(code, 0, "{stderr}");
    for (old, new) in [(seed(), deck.clone()), (deck.clone(), seed())] {
        let (code, _, stderr) = run(deckforge().arg("diff").arg(&old).arg(&new));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("not one of each"), "{stderr}");
        assert!(stderr.contains("deckforge build"), "{stderr}");
    }
}

/// `--layout` reaches the reader in `preview` and `diff` as in `build`.
#[test]
fn preview_and_diff_read_with_the_layout_given() {
    let dir = TempDir::new("cli-layout");
    let page = dir.join("page.html");
    let (code, _, stderr) = run(deckforge()
        .arg("preview")
        .arg(seed())
        .arg("-o")
        .arg(&page)
        .args(["--layout", "q-a"]));
    assert_eq!(code, 1, "no Q:/A: lines in the seed: {stderr}");
    assert!(stderr.contains("q-a"), "{stderr}");
    let (code, _, stderr) = run(deckforge()
        .arg("diff")
        .arg(seed())
        .arg(seed())
        .args(["--layout", "q-a"]));
    assert_eq!(code, 1, "{stderr}");
    let (code, stdout, stderr) = run(deckforge().arg("diff").arg(seed()).arg(seed()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("removed 0, unchanged"), "{stdout}");
}

/// The summary of each build of an edit history: the counts add up to the notes written
/// (retired notes included in a package, left out of a CSV), and a change of the card design
/// (and its revert) is named.
#[test]
fn build_summaries_add_up_and_name_a_design_change() {
    let dir = TempDir::new("cli-summary");
    let source = dir.join("n.md");
    let three = "1.  **Q one?**\n\n-   **Answer:** One.\n\n2.  **Q two?**\n\n-   **Answer:** Two.\n\n3.  **Q three?**\n\n-   **Answer:** Three.\n";
    let design = dir.join("design");
    fs::create_dir(&design).unwrap();
    fs::write(design.join("style.css"), ".card { color: teal; }\n").unwrap();
    let build = |out: &str, extra: &[&str]| -> (usize, String, serde_json::Value) {
        let (code, stdout, stderr) = run(deckforge()
            .arg("build")
            .arg(&source)
            .arg("-o")
            .arg(dir.join(out))
            .args(extra)
            .arg("--json"));
        assert_eq!(code, 0, "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let line = stderr
            .lines()
            .find(|l| l.starts_with("wrote "))
            .unwrap()
            .to_string();
        let c = &report["counts"];
        let sum = [
            "added",
            "updated",
            "reworded",
            "removed",
            "unchanged",
            "retired",
        ]
        .iter()
        .map(|k| c[k].as_u64().unwrap() as usize)
        .sum::<usize>();
        let notes = report["notes"].as_u64().unwrap() as usize;
        let left_out = if out.ends_with(".csv") {
            c["removed"].as_u64().unwrap() as usize
        } else {
            0
        };
        assert_eq!(sum - left_out, notes, "{line}");
        (notes, line, report)
    };
    fs::write(&source, three).unwrap();
    build("n.apkg", &[]);
    let (_, line, report) = build("n.apkg", &["--templates", design.to_str().unwrap()]);
    assert!(
        line.ends_with(
            "unchanged 3; card design changed (templates or CSS): an import updates the note type)"
        ),
        "{line}"
    );
    assert_eq!(report["design_changed"], true);
    let (_, line, _) = build("n.apkg", &[]);
    assert!(
        line.contains("card design changed"),
        "the revert is a change too: {line}"
    );
    let (_, line, report) = build("n.apkg", &[]);
    assert!(!line.contains("design"), "{line}");
    assert_eq!(report["design_changed"], false);

    fs::write(
        &source,
        three.replace("2.  **Q two?**\n\n-   **Answer:** Two.\n\n", ""),
    )
    .unwrap();
    let (notes, line, _) = build("n.apkg", &[]);
    assert_eq!(notes, 3);
    assert!(line.contains("removed 1, unchanged 2)"), "{line}");
    let (notes, line, _) = build("n.apkg", &[]);
    assert_eq!(notes, 3);
    assert!(
        line.contains("removed 0, unchanged 2, retired 1)"),
        "{line}"
    );
    fs::write(
        &source,
        three.replace("1.  **Q one?**\n\n-   **Answer:** One.\n\n", ""),
    )
    .unwrap();
    let (notes, line, _) = build("n.csv", &[]);
    assert_eq!(notes, 2);
    assert!(
        line.contains("removed 1 (left out of a text deck), unchanged 1"),
        "{line}"
    );
}
