//! A new user's first steps: every command's help as a snapshot, `init` then `build`, the man
//! page, and inputs as Windows users and folders of notes give them.

use std::fs;
use std::path::Path;

use crate::support::{TempDir, deckforge, dump_apkg, repo, run};

/// Every command's `--help`, compared with tests/snapshots/help/*.txt by snapbox; after an
/// intended change, `SNAPSHOTS=overwrite cargo test --test testsuite start::` rewrites them.
#[test]
fn every_help_matches_its_snapshot() {
    // The commands as `--help` lists them, so a new command cannot go without a snapshot.
    let (_, listed, _) = run(deckforge().arg("--help"));
    let mut commands: Vec<Vec<String>> = vec![vec![]];
    let names = listed
        .split("Commands:\n")
        .nth(1)
        .expect("a command list")
        .lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string);
    for name in names {
        if name == "templates" {
            commands.push(vec![name.clone(), "export".to_string()]);
        }
        commands.push(vec![name]);
    }
    assert!(commands.len() > 10, "{listed}");
    for command in &commands {
        let (code, help, stderr) = run(deckforge().args(command).arg("--help"));
        assert_eq!(code, 0, "{command:?}: {stderr}");
        let name = if command.is_empty() {
            "deckforge".to_string()
        } else {
            command.join("-")
        };
        let snapshot = repo(&format!("tests/snapshots/help/{name}.txt"));
        snapbox::Assert::new()
            .action_env("SNAPSHOTS")
            .eq(help, snapbox::Data::read_from(&snapshot, None));
    }
    let snapshots = fs::read_dir(repo("tests/snapshots/help")).unwrap().count();
    assert_eq!(
        snapshots,
        commands.len(),
        "a snapshot for every command, no stale ones"
    );
}

#[test]
fn init_starts_a_project_that_builds_and_refuses_to_overwrite() {
    let dir = TempDir::new("start-init");
    let project = dir.join("my-deck");
    let (code, _, stderr) = run(deckforge().arg("init").arg(&project));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("next: cd"), "{stderr}");

    // The starter's output folder `build/` does not exist: the project build creates it.
    let (code, _, stderr) = run(deckforge().arg("build").current_dir(&project));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("warning"),
        "the starter builds cleanly: {stderr}"
    );
    let notes = dump_apkg(&project.join("build/notes.apkg"))["notes"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(notes, 3);
    let (code, _, stderr) = run(deckforge().arg("check").arg(project.join("notes.md")));
    assert_eq!(code, 0);
    assert!(stderr.contains("3 cards, read as answer-label"), "{stderr}");

    let notes_before = fs::read_to_string(project.join("notes.md")).unwrap();
    fs::write(project.join("notes.md"), "mine").unwrap();
    fs::remove_file(project.join("deckforge.toml")).unwrap();
    let (code, _, stderr) = run(deckforge().arg("init").arg(&project));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("notes.md exists already"), "{stderr}");
    assert_eq!(
        fs::read_to_string(project.join("notes.md")).unwrap(),
        "mine"
    );
    assert!(
        !project.join("deckforge.toml").exists(),
        "nothing written at all"
    );
    assert!(notes_before.contains("Answer:"));
}

#[test]
fn man_pages_are_roff_for_deckforge_and_each_command() {
    let (code, page, _) = run(deckforge().arg("man"));
    assert_eq!(code, 0);
    assert!(page.contains(".TH deckforge 1"), "{page}");
    for command in ["build", "check", "init"] {
        assert!(page.contains(&format!("deckforge\\-{command}")) || page.contains(command));
    }
    let (code, page, _) = run(deckforge().args(["man", "build"]));
    assert_eq!(code, 0);
    assert!(
        page.contains(".TH deckforge\\-build 1") || page.contains(".TH deckforge-build 1"),
        "{page}"
    );
    assert!(page.contains("\\-\\-locked"), "{page}");
    let (code, _, stderr) = run(deckforge().args(["man", "nope"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("no command"), "{stderr}");
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A folder stands for its Markdown files (sorted, hidden ones and `--exclude` left out), a
/// quoted glob is expanded by deckforge, and `img\a.png` finds the image as on Windows.
#[test]
fn folders_globs_and_backslash_image_links() {
    let dir = TempDir::new("start-inputs");
    let notes = dir.join("notes");
    write(&notes.join("b.md"), "1. **Bee?**\n   - Answer: Yes.\n");
    write(
        &notes.join("a.md"),
        "1. **Ant?**\n   - Answer: ![ant](img\\ant.png) Small.\n",
    );
    write(
        &notes.join("drafts/c.md"),
        "1. **Draft?**\n   - Answer: Not yet.\n",
    );
    write(
        &notes.join(".hidden/d.md"),
        "1. **Hidden?**\n   - Answer: Never.\n",
    );
    fs::create_dir_all(notes.join("img")).unwrap();
    fs::write(notes.join("img/ant.png"), b"\x89PNG\r\n\x1a\n ant").unwrap();

    let questions = |apkg: &Path| -> Vec<String> {
        dump_apkg(apkg)["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["fields"][0].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let out = dir.join("folder.apkg");
    let (code, _, stderr) = run(deckforge()
        .args(["build", "--no-lock"])
        .arg(&notes)
        .args(["--exclude", "drafts/**", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let found = questions(&out);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("Ant") && found[1].contains("Bee"),
        "sorted: {found:?}"
    );
    let dump = dump_apkg(&out);
    assert_eq!(
        dump["media"].as_object().map_or(0, |m| m.len()),
        1,
        "img\\ant.png packed: {dump}"
    );

    let out = dir.join("glob.apkg");
    let (code, _, stderr) = run(deckforge()
        .args(["build", "--no-lock"])
        .arg(notes.join("**").join("*.md"))
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(questions(&out).len(), 3, "drafts included, hidden left out");

    let (code, _, stderr) = run(deckforge().arg("check").arg(notes.join("*.txt")));
    assert_eq!(code, 1);
    assert!(stderr.contains("no file matches"), "{stderr}");
}

/// The README's `deckforge.toml` example, taken from the README itself, builds as written
/// once its templates folder is exported: output and lock folders are created.
#[test]
fn the_readme_project_example_builds_as_written() {
    let readme = fs::read_to_string(repo("README.md")).unwrap();
    let section = &readme[readme.find("## Projects: deckforge.toml").unwrap()..];
    let toml = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml block in the Projects section");
    let dir = TempDir::new("start-readme-project");
    fs::create_dir(dir.join("notes")).unwrap();
    fs::copy(
        repo("examples/mlops-interview-questions.md"),
        dir.join("notes/mlops.md"),
    )
    .unwrap();
    fs::write(dir.join("deckforge.toml"), toml).unwrap();
    let (code, _, stderr) = run(deckforge().arg("build").current_dir(dir.path()));
    assert_eq!(code, 1, "no templates folder yet: {stderr}");
    assert!(
        stderr.contains(
            "card-design: no such templates folder; `deckforge templates export card-design`"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(deckforge()
        .args(["templates", "export", "card-design"])
        .current_dir(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(deckforge().arg("build").current_dir(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    for file in [
        "build/mlops.apkg",
        "build/mlops-quizlet.txt",
        "locks/mlops.deckforge.lock",
    ] {
        assert!(dir.join(file).is_file(), "{file}: {stderr}");
    }
}
