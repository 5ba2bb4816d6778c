//! Identity under look-alike text and large edits (issue 18 items 7-9), checked through the
//! binary and the real Anki engine: re-saved Unicode and search-and-replace edits update notes
//! in place, and a lock from the release before the new normalisation keeps every note.

use std::fs;
use std::path::Path;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::support::{TempDir, anki_check, deckforge, repo, run, seed};

const T1: &str = "1700000000";
const T2: &str = "1700100000";

/// Runs `deckforge build SOURCE -o OUT` at `epoch`; the exit code and stderr.
fn build(source: &Path, out: &Path, epoch: &str) -> (i32, String) {
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", epoch)
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(out));
    (code, stderr)
}

/// GUID → modification time of a lock file's notes.
fn stamps(lock: &Path) -> std::collections::BTreeMap<String, i64> {
    let lock: Value = serde_json::from_str(&fs::read_to_string(lock).unwrap()).unwrap();
    lock["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let guid = n["guid"].as_str().unwrap().to_string();
            (guid, n["modified"].as_i64().unwrap())
        })
        .collect()
}

/// The questions of a `Q:`/`A:` or seed document rewritten by `edit`, answers untouched.
fn edit_questions(text: &str, edit: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.split_inclusive('\n') {
        let question = line.strip_prefix("Q: ").map(|q| ("Q: ", q)).or_else(|| {
            let (number, rest) = line.split_once(".  **")?;
            number.parse::<u32>().ok()?;
            Some((&line[..number.len() + 5], rest))
        });
        match question {
            Some((prefix, question)) => {
                out.push_str(prefix);
                out.push_str(&edit(question));
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Issue 18 item 7: a lock written by the release before the new normalisation, from a
/// document full of look-alike text (NFD, zero-width and bidi characters, a soft hyphen,
/// full-width letters, a BOM, `snake_case` next to `snakecase`), keeps every note: same GUID,
/// same modification time, nothing updated in Anki.
#[test]
fn a_lock_from_the_release_before_unicode_folding_keeps_every_note() {
    let dir = TempDir::new("identity-release-lock");
    let fixture = repo("tests/fixtures/lookalike");
    let source = dir.join("lookalike.md");
    let lock = dir.join("lookalike.deckforge.lock");
    fs::copy(fixture.join("lookalike.md"), &source).unwrap();
    fs::copy(fixture.join("release.deckforge.lock"), &lock).unwrap();
    let old = stamps(&lock);
    assert_eq!(old.len(), 13);
    let collection = dir.join("collection.anki2");
    let before = anki_check(
        &collection,
        &[
            format!("apkg:{}", fixture.join("release.apkg").display()),
            "study:7!".into(),
        ],
    );
    let out = dir.join("next.apkg");
    let (code, stderr) = build(&source, &out, T2);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("unchanged 13"), "{stderr}");
    assert!(
        !stderr.contains("duplicate question"),
        "snake_case and snakecase are two questions now: {stderr}"
    );
    assert_eq!(stamps(&lock), old, "same GUIDs, same modification times");
    let after = anki_check(&collection, &[format!("apkg:{}", out.display())]);
    let import = &after["imports"][0];
    assert_eq!(
        (import["new"].as_i64(), import["updated"].as_i64()),
        (Some(0), Some(0)),
        "{import}"
    );
    assert_eq!(after["counts"]["notes"], 13);
    assert_eq!(after["counts"]["revlog"], before["counts"]["revlog"]);

    // Re-saved in NFC without the invisible characters: the same notes, updated in place.
    let cleaned: String = fs::read_to_string(&source)
        .unwrap()
        .nfc()
        .filter(|c| !matches!(c, '\u{200b}' | '\u{ad}' | '\u{200f}' | '\u{feff}'))
        .collect();
    fs::write(&source, cleaned).unwrap();
    let (code, stderr) = build(&source, &out, "1700200000");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("added 0") && stderr.contains("removed 0"),
        "{stderr}"
    );
    let resaved = stamps(&lock);
    assert_eq!(
        resaved.keys().collect::<Vec<_>>(),
        old.keys().collect::<Vec<_>>()
    );
}

/// Issue 18 items 7 and 8: the seed re-saved in NFD with zero-width characters inside its
/// questions, then a search-and-replace over 2,001 questions, update in place in real Anki:
/// no duplicates, every schedule and the review log kept.
#[test]
fn resaved_unicode_and_a_2001_question_search_and_replace_update_in_place() {
    let dir = TempDir::new("identity-resaved");
    let source = dir.join("mlops.md");
    let text = fs::read_to_string(seed()).unwrap();
    fs::write(&source, &text).unwrap();
    let v1 = dir.join("v1.apkg");
    assert_eq!(build(&source, &v1, T1).0, 0);
    let collection = dir.join("collection.anki2");
    let before = anki_check(
        &collection,
        &[format!("apkg:{}", v1.display()), "study:7!".into()],
    );
    let resaved = edit_questions(&text, |q| {
        q.replacen(' ', " \u{200b}", 2).replace("e", "e\u{200d}")
    })
    .nfd()
    .collect::<String>();
    assert_ne!(resaved, text);
    fs::write(&source, resaved).unwrap();
    let v2 = dir.join("v2.apkg");
    let (code, stderr) = build(&source, &v2, T2);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("added 0") && stderr.contains("removed 0"),
        "{stderr}"
    );
    let after = anki_check(&collection, &[format!("apkg:{}", v2.display())]);
    assert_eq!(after["imports"][0]["new"], 0, "{}", after["imports"][0]);
    assert_eq!(after["counts"]["notes"], 100);
    assert_eq!(after["counts"]["revlog"], before["counts"]["revlog"]);
    let studied = |note: &Value| note["cards"][0]["type"] == 2 && note["cards"][0]["ivl"] == 7;
    assert!(after["notes"].as_array().unwrap().iter().all(studied));

    let large = dir.join("large.md");
    let question = |i: usize| {
        format!(
            "What does the function parse_{i} return for the input {}?",
            i * 7919 % 100_003
        )
    };
    let document: String = (0..2001)
        .map(|i| format!("Q: {}\nA: Value {i}.\n\n", question(i)))
        .collect();
    fs::write(&large, &document).unwrap();
    let l1 = dir.join("l1.apkg");
    assert_eq!(build(&large, &l1, T1).0, 0);
    let big = dir.join("big.anki2");
    let first = anki_check(&big, &[format!("apkg:{}", l1.display()), "study:7!".into()]);
    assert_eq!(first["counts"]["notes"], 2001);
    fs::write(&large, document.replace("the function", "the procedure")).unwrap();
    let l2 = dir.join("l2.apkg");
    let (code, stderr) = build(&large, &l2, T2);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("reworded 2001") && stderr.contains("added 0"),
        "{stderr}"
    );
    let second = anki_check(&big, &[format!("apkg:{}", l2.display())]);
    let import = &second["imports"][0];
    assert_eq!(
        (import["new"].as_i64(), import["updated"].as_i64()),
        (Some(0), Some(2001)),
        "{import}"
    );
    assert_eq!(second["counts"]["notes"], 2001);
    assert_eq!(second["counts"]["revlog"], first["counts"]["revlog"]);
    assert!(second["notes"].as_array().unwrap().iter().all(studied));
}

/// Issue 18 item 9: a new question whose only likeness to a vanished one is the answer does
/// not take its note (and its review history).
#[test]
fn an_unrelated_question_with_the_same_answer_is_a_new_note() {
    let dir = TempDir::new("identity-same-answer");
    let source = dir.join("quiz.md");
    let out = dir.join("quiz.apkg");
    fs::write(
        &source,
        "Q: Is Python compiled?\nA: No.\n\nQ: What is the capital of France?\nA: Paris.\n\n\
         Q: What are the key components of an MLOps pipeline?\nA: Ingest, train, serve.\n",
    )
    .unwrap();
    assert_eq!(build(&source, &out, T1).0, 0);
    fs::write(
        &source,
        "Q: Is Rust garbage collected?\nA: No.\n\nQ: Where is the Louvre?\nA: Paris.\n\n\
         Q: Which components make up a typical MLOps pipeline?\nA: Ingest, train, serve.\n",
    )
    .unwrap();
    let (code, stderr) = build(&source, &out, T2);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("added 2") && stderr.contains("reworded 1") && stderr.contains("removed 2"),
        "{stderr}"
    );
}

/// Issue 18 item 7: a lock whose GUID is empty is refused with the lock's name and line, and
/// the build writes nothing.
#[test]
fn a_lock_with_an_empty_guid_is_refused_naming_its_line() {
    let dir = TempDir::new("identity-bad-guid");
    let source = dir.join("deck.md");
    fs::write(&source, "Q: What is X?\nA: X.\n").unwrap();
    let out = dir.join("deck.apkg");
    assert_eq!(build(&source, &out, T1).0, 0);
    let lock = dir.join("deck.deckforge.lock");
    let text = fs::read_to_string(&lock).unwrap();
    let guid = stamps(&lock).into_keys().next().unwrap();
    fs::write(&lock, text.replace(&format!("\"{guid}\""), "\"\"")).unwrap();
    fs::remove_file(&out).unwrap();
    let (code, stderr) = build(&source, &out, T2);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("deck.deckforge.lock:10:") && stderr.contains("GUID is empty"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// The GUID and tags of each row of a CSV deckforge wrote (columns 7 and 6).
fn csv_guids_and_tags(csv: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(csv).unwrap();
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[6].to_string(), r[5].to_string())
        })
        .collect()
}

/// Issue 18 item 10: `--deck-id 'ML Ops'` and `'ml-ops'` got different GUIDs but one tag and
/// one lock. Each id gets its own lock and tag root; a lock an older release kept under the
/// shared name is taken over by the deck whose id it records, GUIDs and tags kept.
#[test]
fn deck_ids_that_slug_alike_get_their_own_lock_and_tags() {
    let dir = TempDir::new("identity-deck-ids");
    let source = dir.join("ops.md");
    fs::write(
        &source,
        "# Ops\n\n## What is MLOps?\n\nOperations for ML.\n",
    )
    .unwrap();
    let build_as = |id: &str, out: &str| {
        let (code, _, stderr) = run(deckforge().current_dir(dir.path()).args([
            "build",
            "ops.md",
            "-o",
            out,
            "--deck-id",
            id,
        ]));
        assert_eq!(code, 0, "{stderr}");
        (csv_guids_and_tags(&dir.join(out)), stderr)
    };
    let (spaced, _) = build_as("ML Ops", "spaced.csv");
    let (plain, _) = build_as("ml-ops", "plain.csv");
    assert_ne!(spaced[0].0, plain[0].0, "GUIDs differ");
    assert_eq!(spaced[0].1, "ml-ops-499b4f");
    assert_eq!(plain[0].1, "ml-ops");
    assert!(dir.join("ml-ops-499b4f.deckforge.lock").is_file());
    assert!(dir.join("ml-ops.deckforge.lock").is_file());

    // An older release kept `ML Ops`'s lock as ml-ops.deckforge.lock, with tag root ml-ops.
    fs::remove_file(dir.join("ml-ops.deckforge.lock")).unwrap();
    let old = fs::read_to_string(dir.join("ml-ops-499b4f.deckforge.lock"))
        .unwrap()
        .replace(
            "\"tag_root\": \"ml-ops-499b4f\"",
            "\"tag_root\": \"ml-ops\"",
        );
    assert!(old.contains("\"tag_root\": \"ml-ops\""), "{old}");
    fs::write(dir.join("ml-ops.deckforge.lock"), old).unwrap();
    fs::remove_file(dir.join("ml-ops-499b4f.deckforge.lock")).unwrap();
    // A preview reads it too: the old lock's tags, not a new deck's.
    let (code, _, stderr) = run(deckforge().current_dir(dir.path()).args([
        "preview",
        "ops.md",
        "-o",
        "page.html",
        "--deck-id",
        "ML Ops",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let page = fs::read_to_string(dir.join("page.html")).unwrap();
    assert!(page.contains("ml-ops") && !page.contains("ml-ops-499b4f"));
    let (kept, stderr) = build_as("ML Ops", "kept.csv");
    assert!(
        stderr.contains("read this deck's lock from") && stderr.contains("ml-ops.deckforge.lock"),
        "{stderr}"
    );
    assert_eq!(
        kept[0],
        (spaced[0].0.clone(), "ml-ops".to_string()),
        "GUID and tags kept"
    );
    assert!(dir.join("ml-ops-499b4f.deckforge.lock").is_file());
    let (again, stderr) = build_as("ML Ops", "kept.csv");
    assert!(!stderr.contains("read this deck's lock"), "once: {stderr}");
    assert_eq!(again, kept);
}

/// Two Latin-1 file names that differ only in bytes that are not UTF-8 shared one lock (both
/// read as `caf\u{fffd}`). Each gets its own; the lock an older release kept under the lossy
/// name goes to the deck whose questions it knows.
#[cfg(unix)]
#[test]
fn latin_1_file_names_get_their_own_locks() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("identity-latin-1");
    let acute = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    let grave = std::ffi::OsStr::from_bytes(b"caf\xe8.md");
    fs::write(
        dir.path().join(acute),
        "## What is a latte?\n\nMilk coffee.\n",
    )
    .unwrap();
    fs::write(
        dir.path().join(grave),
        "## What is a mocha?\n\nChocolate coffee.\n",
    )
    .unwrap();
    let build_one = |input: &std::ffi::OsStr, out: &str| {
        let (code, _, stderr) = run(deckforge()
            .current_dir(dir.path())
            .arg("build")
            .arg(input)
            .args(["-o", out]));
        assert_eq!(code, 0, "{stderr}");
        (csv_guids_and_tags(&dir.join(out)), stderr)
    };
    let locks = || -> Vec<String> {
        dir.entries()
            .into_iter()
            .filter(|n| n.ends_with(".deckforge.lock"))
            .collect()
    };
    let (latte, _) = build_one(acute, "latte.csv");
    let (mocha, _) = build_one(grave, "mocha.csv");
    assert_eq!(locks().len(), 2, "{:?}", locks());
    assert_ne!(latte[0].0, mocha[0].0);

    // An older release's lossy name: the latte deck's lock, which the mocha deck must not take.
    let latte_lock = locks()
        .into_iter()
        .find(|n| fs::read_to_string(dir.join(n)).unwrap().contains("latte"))
        .unwrap();
    for lock in locks() {
        if lock != latte_lock {
            fs::remove_file(dir.join(&lock)).unwrap();
        }
    }
    fs::rename(
        dir.join(&latte_lock),
        dir.join("caf\u{fffd}.deckforge.lock"),
    )
    .unwrap();
    let (mocha_again, stderr) = build_one(grave, "mocha.csv");
    assert!(!stderr.contains("read this deck's lock"), "{stderr}");
    assert_eq!(
        mocha_again, mocha,
        "a new deck as before, with its own namespace"
    );
    let (latte_again, stderr) = build_one(acute, "latte.csv");
    assert!(stderr.contains("read this deck's lock from"), "{stderr}");
    assert_eq!(latte_again, latte, "the latte deck keeps its GUID");
}
