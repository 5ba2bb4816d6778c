//! `inspect` and `diff`: reading packages back (safely) and listing changes by question.

use std::fs;
use std::io::Write;

use serde_json::Value;

use crate::rebuild::edited_seed;
use crate::support::{TempDir, deckforge, run, seed_in};

fn build(dir: &TempDir, source: &std::path::Path, out: &str, epoch: &str) -> std::path::PathBuf {
    let out = dir.join(out);
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", epoch)
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    out
}

fn json_of(args: &[&std::ffi::OsStr]) -> Value {
    let (code, stdout, stderr) = run(deckforge().args(args));
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn inspect_json_lists_every_note_of_a_package_and_a_csv() {
    let dir = TempDir::new("inspect-json");
    let source = seed_in(&dir);
    let apkg = build(&dir, &source, "mlops.apkg", "1700000000");
    let csv = build(&dir, &source, "mlops.csv", "1700000000");
    let from_apkg = json_of(&["inspect".as_ref(), apkg.as_os_str(), "--json".as_ref()]);
    let from_csv = json_of(&["inspect".as_ref(), csv.as_os_str(), "--json".as_ref()]);
    let notes = from_apkg["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 100);
    let q1 = notes
        .iter()
        .find(|n| n["fields"]["Question"] == "What is MLOps?")
        .unwrap();
    assert_eq!(q1["deck"], "Top 100 MLOps interview questions and answers");
    assert_eq!(
        q1["tags"][0],
        "mlops-interview-questions::general-mlops-concepts"
    );
    assert!(
        q1["fields"]["Answer"]
            .as_str()
            .unwrap()
            .contains("Machine Learning Operations")
    );
    let guids = |v: &Value| {
        let mut g: Vec<String> = v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["guid"].as_str().unwrap().to_string())
            .collect();
        g.sort();
        g
    };
    assert_eq!(guids(&from_apkg), guids(&from_csv));
}

#[test]
fn diff_of_sources_and_of_packages_lists_the_changes() {
    let dir = TempDir::new("diff");
    let old = seed_in(&dir);
    let new = dir.join("edited.md");
    fs::write(&new, edited_seed()).unwrap();
    let report = json_of(&[
        "diff".as_ref(),
        old.as_os_str(),
        new.as_os_str(),
        "--json".as_ref(),
    ]);
    let counts = &report["counts"];
    assert_eq!(
        (
            counts["added"].as_i64(),
            counts["updated"].as_i64(),
            counts["reworded"].as_i64(),
            counts["removed"].as_i64()
        ),
        (Some(1), Some(3), Some(2), Some(1)),
        "{report:#}"
    );
    let reworded = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["change"] == "reworded")
        .unwrap();
    assert_eq!(reworded["previous"], "How does MLOps differ from DevOps?");
    assert_eq!(
        reworded["question"],
        "How does MLOps differ from classic DevOps?"
    );

    // Packages, by GUID: the same story (the lock carries identities from v1 to v2).
    let v1 = build(&dir, &old, "v1.apkg", "1700000000");
    fs::write(&old, edited_seed()).unwrap();
    let v2 = build(&dir, &old, "v2.apkg", "1700100000");
    let report = json_of(&[
        "diff".as_ref(),
        v1.as_os_str(),
        v2.as_os_str(),
        "--json".as_ref(),
    ]);
    let counts = &report["counts"];
    assert_eq!(
        (
            counts["added"].as_i64(),
            counts["reworded"].as_i64(),
            counts["removed"].as_i64()
        ),
        (Some(1), Some(2), Some(1)),
        "{report:#}"
    );
    let (code, stdout, _) = run(deckforge().arg("diff").arg(&v1).arg(&v2));
    assert_eq!(code, 0);
    assert!(stdout.contains("reworded  How does MLOps differ from DevOps? -> How does MLOps differ from classic DevOps?"), "{stdout}");
}

#[test]
fn hostile_packages_are_refused_without_writing_anything() {
    let dir = TempDir::new("inspect-hostile");
    let evil = dir.join("evil.apkg");
    let mut zip = zip::ZipWriter::new(fs::File::create(&evil).unwrap());
    for name in ["collection.anki2", "../escaped.txt"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"payload").unwrap();
    }
    zip.finish().unwrap();
    let garbage = dir.join("garbage.apkg");
    fs::write(&garbage, b"PK\x03\x04 not really").unwrap();
    for (file, message) in [
        (&evil, "path components"),
        (&garbage, "not a valid Anki package"),
    ] {
        let before = dir.entries();
        let (code, stdout, stderr) =
            run(deckforge().current_dir(dir.path()).arg("inspect").arg(file));
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains(message)
                && stderr.contains(file.file_name().unwrap().to_str().unwrap()),
            "{stderr}"
        );
        assert_eq!(dir.entries(), before);
    }
    assert!(!dir.path().parent().unwrap().join("escaped.txt").exists());
}

/// The names of a zip's entries, in order.
fn entry_names(path: &std::path::Path) -> Vec<String> {
    let zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    zip.file_names().map(|n| n.unwrap().into_owned()).collect()
}

#[test]
fn inspect_and_diff_read_the_package_anki_itself_exports() {
    let dir = TempDir::new("inspect-anki21b");
    let source = seed_in(&dir);
    let ours = build(&dir, &source, "mlops.apkg", "1700000000");
    let exported = dir.join("exported.apkg");
    let collection = dir.join("collection.anki2");
    let steps = [
        format!("apkg:{}", ours.display()),
        format!("export:{}", exported.display()),
    ];
    crate::support::anki_check(&collection, &steps);
    let names = entry_names(&exported);
    assert!(
        names.iter().any(|n| n == "collection.anki21b")
            && names.iter().any(|n| n == "collection.anki2"),
        "Anki writes the new collection beside its placeholder: {names:?}"
    );
    let theirs = json_of(&["inspect".as_ref(), exported.as_os_str(), "--json".as_ref()]);
    let mine = json_of(&["inspect".as_ref(), ours.as_os_str(), "--json".as_ref()]);
    let notes = theirs["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 100, "the real notes, not the placeholder");
    let key = |v: &Value| {
        let mut notes: Vec<(String, String, String, String)> = v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let field = |name: &str| n["fields"][name].as_str().unwrap().to_string();
                (
                    n["guid"].as_str().unwrap().to_string(),
                    n["deck"].as_str().unwrap().to_string(),
                    field("Question"),
                    field("Answer"),
                )
            })
            .collect();
        notes.sort();
        notes
    };
    assert_eq!(key(&theirs), key(&mine));
    assert_eq!(notes[0]["notetype"], mine["notes"][0]["notetype"]);

    let report = json_of(&[
        "diff".as_ref(),
        ours.as_os_str(),
        exported.as_os_str(),
        "--json".as_ref(),
    ]);
    let counts = &report["counts"];
    for change in ["added", "updated", "reworded", "removed"] {
        assert_eq!(counts[change].as_i64(), Some(0), "{change}: {report:#}");
    }

    // Without the new collection only the placeholder is left: refused with the reason.
    let placeholder = dir.join("placeholder.apkg");
    let mut zip = zip::ZipArchive::new(fs::File::open(&exported).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(fs::File::create(&placeholder).unwrap());
    for name in names.iter().filter(|n| *n != "collection.anki21b") {
        out.raw_copy_file(zip.by_name(name).unwrap()).unwrap();
    }
    out.finish().unwrap();
    for command in ["inspect", "diff"] {
        let mut args = vec![command.as_ref(), placeholder.as_os_str()];
        if command == "diff" {
            args.insert(1, ours.as_os_str());
        }
        let (code, stdout, stderr) = run(deckforge().args(&args));
        assert_eq!(code, 1, "{command}: {stdout}{stderr}");
        assert!(
            stderr.contains("placeholder.apkg") && stderr.contains("placeholder collection"),
            "{command}: {stderr}"
        );
    }
}

/// Every format `build` writes is read back by `inspect`, told by its content, with the notes
/// in the order of the source; a text file in no such format is refused, naming the formats.
#[test]
fn inspect_reads_every_preset_in_deck_order() {
    let dir = TempDir::new("inspect-presets");
    let source = seed_in(&dir);
    let expected = crate::support::seed_expectations();
    for (name, preset, format) in [
        ("mlops.apkg", None, "apkg"),
        ("mlops.csv", None, "anki-csv"),
        ("quizlet.txt", Some("quizlet"), "quizlet"),
        ("plain.csv", Some("plain"), "plain"),
        ("supermemo.txt", Some("supermemo"), "supermemo"),
        ("brainscape.csv", Some("brainscape"), "brainscape"),
        ("mnemosyne.tsv", Some("mnemosyne"), "mnemosyne"),
    ] {
        let out = dir.join(name);
        let mut command = deckforge();
        command
            .arg("build")
            .arg(&source)
            .arg("-o")
            .arg(&out)
            .arg("--no-lock");
        if let Some(preset) = preset {
            command.args(["--preset", preset]);
        }
        let (code, _, stderr) = run(&mut command);
        assert_eq!(code, 0, "{name}: {stderr}");
        let value = json_of(&["inspect".as_ref(), out.as_os_str(), "--json".as_ref()]);
        assert_eq!(value["format"], format, "{name}");
        let notes = value["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 100, "{name}");
        for (note, card) in notes.iter().zip(&expected) {
            let question =
                crate::support::visible_text(note["fields"]["Question"].as_str().unwrap());
            assert_eq!(
                question, card.question,
                "{name}: note {} out of order",
                card.number
            );
        }
        let (code, text, stderr) = run(deckforge().arg("inspect").arg(&out));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            text.ends_with(&format!("100 notes in {} ({format})\n", out.display())),
            "{text}"
        );
    }
    let prose = dir.join("prose.txt");
    fs::write(&prose, "Some notes.\nNot a deck.\n").unwrap();
    let (code, _, stderr) = run(deckforge().arg("inspect").arg(&prose));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("prose.txt: cannot tell which kind of deck this is"),
        "{stderr}"
    );
    // Without ids two versions cannot be matched note for note: diff says so.
    let brainscape = dir.join("brainscape.csv");
    let (code, _, stderr) = run(deckforge()
        .arg("diff")
        .arg(&brainscape)
        .arg(dir.join("mlops.apkg")));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("a brainscape file holds no note ids"),
        "{stderr}"
    );
}

#[test]
fn inspect_keeps_table_cells_and_plain_lines_apart() {
    let dir = TempDir::new("inspect-table");
    let source = dir.join("t.md");
    fs::write(
        &source,
        "1.  **What is in the table?**\n\n-   **Answer:** This:\n\n    | a | b |\n    |---|---|\n    | c1 | c2 |\n",
    )
    .unwrap();
    for (name, preset, answer) in [
        ("t.apkg", None, "Answer: This: a | b / c1 | c2"),
        ("t.csv", Some("plain"), "Answer: This: / a | b / c1 | c2"),
    ] {
        let out = dir.join(name);
        let mut command = deckforge();
        command
            .arg("build")
            .arg(&source)
            .arg("-o")
            .arg(&out)
            .arg("--no-lock");
        if let Some(preset) = preset {
            command.args(["--preset", preset]);
        }
        assert_eq!(run(&mut command).0, 0);
        let (code, text, stderr) = run(deckforge().arg("inspect").arg(&out));
        assert_eq!(code, 0, "{stderr}");
        assert!(text.contains(answer), "{name}: {text}");
    }
}
