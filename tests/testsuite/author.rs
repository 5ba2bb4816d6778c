//! The author's command line: help and examples, completions, build's --quiet/--verbose/--json,
//! diagnostics with snippets, `templates export`, and deckforge.toml projects.

use std::fs;

use serde_json::Value;

use crate::support::{TempDir, deckforge, dump_apkg, repo, run, seed_in};

const SUBCOMMANDS: [&str; 7] = [
    "build",
    "inspect",
    "diff",
    "preview",
    "templates",
    "templates export",
    "completions",
];

#[test]
fn every_subcommand_has_help_with_an_example() {
    let (code, stdout, _) = run(deckforge().arg("--help"));
    assert_eq!(code, 0);
    for listed in [
        "build",
        "inspect",
        "diff",
        "preview",
        "templates",
        "completions",
    ] {
        assert!(
            stdout.contains(&format!("\n  {listed} ")),
            "--help lists {listed}: {stdout}"
        );
    }
    for subcommand in SUBCOMMANDS {
        let mut command = deckforge();
        command.args(subcommand.split(' ')).arg("--help");
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains("Examples:") && stdout.contains(&format!("deckforge {subcommand} ")),
            "{subcommand} --help shows an example: {stdout}"
        );
    }
}

#[test]
fn version_and_completions() {
    let (code, stdout, _) = run(deckforge().arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("deckforge {}", env!("CARGO_PKG_VERSION"))
    );
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, stderr) = run(deckforge().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(
            stdout.contains("deckforge")
                && stdout.contains("preview")
                && stdout.contains("subdecks")
                && stdout.contains("allow-html"),
            "{shell} completes subcommands and options"
        );
    }
    let (code, _, _) = run(deckforge().args(["completions", "tcsh"]));
    assert_eq!(code, 2);
}

#[test]
fn build_is_quiet_verbose_or_json_on_request() {
    let dir = TempDir::new("author-verbosity");
    let source = seed_in(&dir);
    let out = dir.join("mlops.apkg");
    let (code, stdout, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .arg("--verbose"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.matches("\nadded: \"").count() + usize::from(stderr.starts_with("added: \"")),
        100,
        "{stderr}"
    );
    assert!(stderr.contains("added: \"What is MLOps?\""), "{stderr}");
    assert!(stderr.contains("lock: "), "{stderr}");

    fs::write(
        &source,
        fs::read_to_string(&source)
            .unwrap()
            .replace("What is MLOps?", "What is MLOps, in one sentence?"),
    )
    .unwrap();
    let (code, stdout, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .arg("--quiet")
        .arg("--json"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "quiet: {stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["notes"], 100);
    assert_eq!(report["counts"]["reworded"], 1);
    assert_eq!(report["counts"]["unchanged"], 99);
    assert_eq!(report["changes"][0]["previous"], "What is MLOps?");
    assert_eq!(report["output"], out.to_str().unwrap());

    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .args(["--quiet", "--verbose"]));
    assert_eq!(code, 2, "{stderr}");
}

/// A source whose question 2 repeats question 1, indented by a tab on line 7.
const DUPLICATE: &str = "# Dup\n\n1.  **What is X?**\n\n-   **Answer:** A.\n\n2.\t**What is X?**\n\n-   **Answer:** B.\n";

#[test]
fn diagnostics_are_plain_in_pipes_and_coloured_with_a_snippet_on_request() {
    let dir = TempDir::new("author-diagnostics");
    let source = dir.join("dup.md");
    fs::write(&source, DUPLICATE).unwrap();
    let build = |extra: &[&str], no_color: bool| {
        let mut command = deckforge();
        command
            .arg("build")
            .arg(&source)
            .arg("-o")
            .arg(dir.join("dup.apkg"))
            .arg("--no-lock")
            .args(extra);
        if no_color {
            command.env("NO_COLOR", "1");
        }
        let (code, _, stderr) = run(&mut command);
        assert_eq!(code, 0, "{stderr}");
        stderr
    };
    let plain = build(&[], false);
    let first = plain.lines().next().unwrap();
    let place = format!("{}:7:", source.display());
    assert!(
        first.starts_with(&place) && first.contains(": warning: duplicate question"),
        "{plain}"
    );
    assert!(!plain.contains('\x1b') && !plain.contains(" | "), "{plain}");
    assert_eq!(build(&[], true), plain, "NO_COLOR and a pipe: plain");
    assert_eq!(build(&["--color", "never"], false), plain);

    let coloured = build(&["--color", "always"], false);
    assert!(coloured.contains("\x1b["), "{coloured}");
    let stripped = strip_ansi(&coloured);
    let mut lines = stripped.lines();
    assert_eq!(lines.next(), Some(first), "the first line is unchanged");
    assert_eq!(lines.next(), Some("  |"));
    assert_eq!(
        lines.next(),
        Some("7 | 2.  **What is X?**"),
        "tabs expanded"
    );
    let caret = lines.next().unwrap();
    let column: usize = first[place.len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        caret,
        format!("  | {}^", " ".repeat(column - 1)),
        "{stripped}"
    );
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn templates_export_writes_the_defaults_and_never_overwrites_without_force() {
    let dir = TempDir::new("author-export");
    let design = dir.join("design");
    let (code, _, stderr) = run(deckforge().args(["templates", "export"]).arg(&design));
    assert_eq!(code, 0, "{stderr}");
    for name in ["front.html", "back.html", "style.css"] {
        assert_eq!(
            fs::read_to_string(design.join(name)).unwrap(),
            fs::read_to_string(repo(&format!("templates/{name}"))).unwrap()
        );
    }
    fs::write(design.join("style.css"), ".card { color: teal; }\n").unwrap();
    fs::remove_file(design.join("back.html")).unwrap();
    let (code, _, stderr) = run(deckforge().args(["templates", "export"]).arg(&design));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(!design.join("back.html").exists(), "nothing written");
    assert_eq!(
        fs::read_to_string(design.join("style.css")).unwrap(),
        ".card { color: teal; }\n"
    );

    // The edited design reaches the note type of a package.
    let apkg = dir.join("mlops.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(seed_in(&dir))
        .arg("-o")
        .arg(&apkg)
        .arg("--templates")
        .arg(&design));
    assert_eq!(code, 0, "{stderr}");
    let dump = dump_apkg(&apkg);
    let model = dump["models"].as_object().unwrap().values().next().unwrap();
    assert_eq!(model["css"], ".card { color: teal; }\n");
    assert_eq!(
        model["tmpls"][0]["qfmt"],
        fs::read_to_string(repo("templates/front.html")).unwrap()
    );

    let (code, _, stderr) = run(deckforge()
        .args(["templates", "export", "--force"])
        .arg(&design));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        fs::read_to_string(design.join("style.css")).unwrap(),
        fs::read_to_string(repo("templates/style.css")).unwrap()
    );
}

const PROJECT: &str = r#"# Two outputs of one source
[[deck]]
sources = ["notes/mlops-interview-questions.md"]
output = "build/mlops.apkg"
name = "MLOps"
subdecks = true
templates = "design"

[[deck]]
sources = ["notes/mlops-interview-questions.md"]
output = "build/mlops-quizlet.txt"
preset = "quizlet"
lock = false
"#;

/// A project folder: deckforge.toml, notes/, design/, build/.
fn project(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::write(dir.join("deckforge.toml"), PROJECT).unwrap();
    let notes = TempDir::new(&format!("{name}-notes"));
    fs::create_dir(dir.join("notes")).unwrap();
    fs::copy(
        seed_in(&notes),
        dir.join("notes/mlops-interview-questions.md"),
    )
    .unwrap();
    fs::create_dir(dir.join("design")).unwrap();
    fs::write(dir.join("design/style.css"), ".card { color: navy; }\n").unwrap();
    fs::create_dir(dir.join("build")).unwrap();
    dir
}

#[test]
fn build_without_input_builds_every_deck_of_the_nearest_config() {
    let dir = project("author-project");
    let (code, stdout, stderr) = run(deckforge()
        .current_dir(dir.join("notes"))
        .args(["build", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    let reports: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 2);
    assert_eq!(
        reports[0]["output"], "../build/mlops.apkg",
        "paths relative to the config"
    );
    assert_eq!(reports[0]["deck_name"], "MLOps");
    assert_eq!(reports[1]["lock"], Value::Null);
    assert!(
        stderr.contains("wrote ../build/mlops.apkg: 100 notes in deck \"MLOps\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("wrote ../build/mlops-quizlet.txt: 100 notes"),
        "{stderr}"
    );
    assert!(
        dir.join("notes/mlops-interview-questions.deckforge.lock")
            .is_file()
    );
    let dump = dump_apkg(&dir.join("build/mlops.apkg"));
    assert_eq!(
        dump["decks"].as_object().unwrap().len(),
        23,
        "subdecks (and Default)"
    );
    let model = dump["models"].as_object().unwrap().values().next().unwrap();
    assert_eq!(model["css"], ".card { color: navy; }\n");
    let quizlet = fs::read_to_string(dir.join("build/mlops-quizlet.txt")).unwrap();
    assert_eq!(quizlet.lines().count(), 100);

    // CI: the committed lock is current, then a source edit makes --locked fail.
    let (code, _, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["build", "--locked", "--quiet"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let source = dir.join("notes/mlops-interview-questions.md");
    fs::write(
        &source,
        fs::read_to_string(&source)
            .unwrap()
            .replace("What is MLOps?", "What is MLOps really?"),
    )
    .unwrap();
    let (code, _, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["build", "--locked"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--locked"), "{stderr}");
}

#[test]
fn project_mistakes_are_named_precisely() {
    let dir = project("author-project-errors");
    fs::write(
        dir.join("deckforge.toml"),
        PROJECT.replace("subdecks = true", "subdeck = true"),
    )
    .unwrap();
    let (code, _, stderr) = run(deckforge().current_dir(dir.path()).arg("build"));
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: deckforge.toml:6:1: unknown field `subdeck`, expected one of"),
        "{stderr}"
    );
    assert_eq!(
        dir.entries(),
        ["build", "deckforge.toml", "design", "notes"]
    );
    assert!(
        fs::read_dir(dir.join("build")).unwrap().next().is_none(),
        "nothing built"
    );

    let (code, _, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["build", "--deck", "X"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--deck applies to a deck built from INPUT"),
        "{stderr}"
    );

    let empty = TempDir::new("author-no-project");
    let (code, _, stderr) = run(deckforge().current_dir(empty.path()).arg("build"));
    assert_eq!(code, 2);
    assert!(stderr.contains("no deckforge.toml"), "{stderr}");

    fs::write(empty.join("other.toml"), PROJECT).unwrap();
    let (code, _, stderr) =
        run(deckforge()
            .current_dir(empty.path())
            .args(["build", "--config", "other.toml"]));
    assert_eq!(code, 1, "the sources are missing: {stderr}");
    assert!(
        stderr.contains("notes/mlops-interview-questions.md: cannot read"),
        "{stderr}"
    );
}

#[test]
fn inspect_explains_a_damaged_package_of_the_newer_format() {
    use std::io::Write;
    let dir = TempDir::new("author-anki21b");
    let package = dir.join("new.apkg");
    let mut zip = zip::ZipWriter::new(fs::File::create(&package).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("collection.anki21b", options).unwrap();
    zip.write_all(b"(zstd)").unwrap();
    zip.start_file("meta", options).unwrap();
    zip.write_all(b"\x08\x03").unwrap();
    zip.finish().unwrap();
    let (code, stdout, stderr) = run(deckforge().arg("inspect").arg(&package));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("new.apkg")
            && stderr.contains("collection.anki21b is not a zstd-compressed collection"),
        "{stderr}"
    );
}
