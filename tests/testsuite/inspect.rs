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
