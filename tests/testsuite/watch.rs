//! `deckforge watch` as a child process: a save rebuilds the deck, a broken save keeps the
//! previous output, an image change rebuilds, and with `--push` an edited question reaches a
//! real AnkiConnect-compatible server (tests/testsuite/connect.rs) within a second or two.

use std::fs;
use std::time::{Duration, Instant};

use crate::connect::ConnectServer;
use crate::support::{Running, TempDir, deckforge};

const NOTES: &str = "# Networking\n\n## Transport\n\n\
Q: What does TCP guarantee?\nA: Ordered, reliable delivery.\n\n\
Q: What is a port?\nA: A number naming an endpoint.\n";

/// Starts `deckforge watch ARGS` in `dir` (killed when dropped) once it is watching.
fn start_watch(dir: &TempDir, args: &[&str]) -> Running {
    let watch = Running::spawn(deckforge().current_dir(dir.path()).arg("watch").args(args));
    watch.wait_for("watching", 1);
    watch
}

fn answers(path: &std::path::Path) -> Vec<String> {
    deckforge::inspect::inspect(path)
        .unwrap()
        .notes
        .iter()
        .map(|n| crate::support::visible_text(n.field("Answer").unwrap_or_default()))
        .collect()
}

#[test]
fn a_save_rebuilds_the_deck_and_a_broken_save_keeps_the_previous_output() {
    let dir = TempDir::new("watch");
    fs::write(dir.join("notes.md"), NOTES).unwrap();
    let watch = start_watch(&dir, &["notes.md"]);
    let output = dir.join("notes.apkg");
    assert!(
        watch.stderr().contains("wrote notes.apkg: 2 notes"),
        "{}",
        watch.stderr()
    );

    fs::write(
        dir.join("notes.md"),
        NOTES.replace("Ordered, reliable delivery.", "Ordered delivery."),
    )
    .unwrap();
    watch.wait_for("wrote notes.apkg", 2);
    assert!(watch.stderr().contains("changed: "), "{}", watch.stderr());
    assert!(watch.stderr().contains("updated 1"), "{}", watch.stderr());
    assert!(answers(&output).contains(&"Ordered delivery.".to_string()));

    // A save that breaks the deck: the output stays as it was, and watch says why.
    fs::write(dir.join("notes.md"), "# Networking\n\nNo questions here.\n").unwrap();
    watch.wait_for("is kept", 1);
    assert!(watch.stderr().contains("error:"), "{}", watch.stderr());
    assert!(answers(&output).contains(&"Ordered delivery.".to_string()));

    // An image the deck shows: changing it rebuilds.
    fs::write(dir.join("cat.png"), b"\x89PNG\r\n\x1a\nfirst").unwrap();
    fs::write(
        dir.join("notes.md"),
        NOTES.replace(
            "A number naming an endpoint.",
            "A number. ![a cat](cat.png)",
        ),
    )
    .unwrap();
    watch.wait_for("wrote notes.apkg", 3);
    // The image's own creation may come in a batch of its own: let the builds settle.
    std::thread::sleep(Duration::from_millis(600));
    let builds = watch.stderr().matches("wrote notes.apkg").count();
    fs::write(dir.join("cat.png"), b"\x89PNG\r\n\x1a\nsecond").unwrap();
    watch.wait_for("wrote notes.apkg", builds + 1);
    let stderr = watch.stderr();
    let last = stderr.rsplit("changed: ").next().unwrap();
    let image = dir.path().canonicalize().unwrap().join("cat.png");
    assert!(last.starts_with(&image.display().to_string()), "{stderr}");
    assert!(
        last.contains("updated 1"),
        "the note showing it is updated: {stderr}"
    );
    // Its own output and lock never start a rebuild: nothing more is printed.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        watch.stderr().matches("wrote notes.apkg").count(),
        builds + 1,
        "{}",
        watch.stderr()
    );
}

#[test]
fn with_push_an_edited_question_reaches_anki_within_a_second_or_two_and_a_moved_one_moves() {
    let server = ConnectServer::start();
    let dir = TempDir::new("watch-push");
    fs::write(dir.join("notes.md"), NOTES).unwrap();
    let watch = start_watch(
        &dir,
        &[
            "notes.md",
            "--subdecks",
            "--push",
            "--move",
            "--url",
            &server.url,
        ],
    );
    assert!(
        watch.stderr().contains("pushed to Anki"),
        "{}",
        watch.stderr()
    );
    let port = server.note("What is a port?");
    server.call(
        "addTags",
        serde_json::json!({"notes": [port.id], "tags": "mine"}),
    );

    let saved = Instant::now();
    fs::write(
        dir.join("notes.md"),
        NOTES.replace("What is a port?", "What is a network port?"),
    )
    .unwrap();
    loop {
        let questions: Vec<String> = server.notes().into_iter().map(|n| n.question).collect();
        if questions.contains(&"What is a network port?".to_string()) {
            assert_eq!(
                questions.len(),
                2,
                "the note was updated, not added: {questions:?}"
            );
            break;
        }
        assert!(
            saved.elapsed() < Duration::from_secs(3),
            "the edit did not reach Anki within 3 s; watch printed:\n{}",
            watch.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "the edited question reached Anki {:?} after the save",
        saved.elapsed()
    );
    let port = server.note("What is a network port?");
    assert!(port.tags.contains(&"mine".to_string()), "{port:?}");

    // Moved to a new section: with --move its card follows, and the tag stays.
    let pushes = watch.stderr().matches("pushed to Anki").count();
    let moved = NOTES
        .replace("Q: What is a port?\nA: A number naming an endpoint.\n", "")
        .replace(
            "## Transport",
            "## Ports\n\nQ: What is a network port?\nA: A number naming an endpoint.\n\n## Transport",
        );
    fs::write(dir.join("notes.md"), moved).unwrap();
    watch.wait_for("pushed to Anki", pushes + 1);
    let port = server.note("What is a network port?");
    assert_eq!(port.decks, ["Networking::Ports"], "{}", watch.stderr());
    assert!(port.tags.contains(&"mine".to_string()), "{port:?}");
    assert_eq!(server.notes().len(), 2);
}
