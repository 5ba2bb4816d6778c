//! `deckforge push` against a real AnkiConnect-compatible server on the real Anki engine
//! (tests/testsuite/connect.rs), and its messages when Anki cannot be reached, against small
//! stand-ins that answer as a missing, old, refusing or silent add-on would.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::connect::ConnectServer;
use crate::support::{TempDir, deckforge, run};

/// A deck of three questions in two sections, built with one subdeck per section.
const NOTES: &str = "# Networking\n\n## Transport\n\n\
Q: What does TCP guarantee?\nA: Ordered, reliable delivery.\n\n\
Q: What is a port?\nA: A number naming an endpoint.\n\n\
## Links\n\n\
Q: What is a MAC address?\nA: A link-layer address.\n";

fn push(dir: &TempDir, server: &ConnectServer, extra: &[&str]) -> (i32, String) {
    push_at(dir, server, extra, crate::support::EPOCH)
}

fn push_at(dir: &TempDir, server: &ConnectServer, extra: &[&str], epoch: &str) -> (i32, String) {
    let (code, _, stderr) = run(deckforge()
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", epoch)
        .args(["push", "notes.md", "--subdecks", "--url", &server.url])
        .args(extra)
        .stdin(Stdio::null()));
    (code, stderr)
}

fn write_notes(dir: &TempDir, text: &str) {
    fs::write(dir.join("notes.md"), text).unwrap();
}

#[test]
fn push_adds_updates_moves_and_prunes_only_when_asked_and_keeps_the_learners_tags() {
    let server = ConnectServer::start();
    let dir = TempDir::new("push-live");
    write_notes(&dir, NOTES);

    let (code, stderr) = push(&dir, &server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("Anki: created the deck's note type"),
        "{stderr}"
    );
    assert!(stderr.contains("added 3, updated 0, moved 0"), "{stderr}");
    let tcp = server.note("What does TCP guarantee?");
    assert_eq!(tcp.decks, ["Networking::Transport"]);
    assert!(tcp.model.starts_with("deckforge-"), "{tcp:?}");
    assert!(
        dir.join("notes.apkg").exists(),
        "push builds the output as build does"
    );

    // The learner tags a note in Anki (which makes Anki's copy newer than the package's).
    server.call(
        "addTags",
        json!({"notes": [tcp.id], "tags": "hard exam::week1"}),
    );
    write_notes(
        &dir,
        &NOTES.replace(
            "Ordered, reliable delivery.",
            "Ordered, reliable, checked delivery.",
        ),
    );
    let (code, stderr) = push(&dir, &server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("Anki: updated \"What does TCP guarantee?\""),
        "{stderr}"
    );
    let tcp = server.note("What does TCP guarantee?");
    assert_eq!(tcp.answer, "Ordered, reliable, checked delivery.");
    for tag in ["hard", "exam::week1"] {
        assert!(tcp.tags.contains(&tag.to_string()), "{tag} lost: {tcp:?}");
    }

    // An image added to a note Anki kept (it is newer): the file reaches Anki's media folder.
    fs::write(
        dir.join("dot.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><circle cx="2" cy="2" r="2"/></svg>"#,
    )
    .unwrap();
    write_notes(
        &dir,
        &NOTES.replace(
            "Ordered, reliable delivery.",
            "Ordered, reliable, checked delivery. ![a dot](dot.svg)",
        ),
    );
    let (code, stderr) = push(&dir, &server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("Anki: updated \"What does TCP guarantee?\""),
        "{stderr}"
    );
    assert!(stderr.contains("Anki: stored the media file "), "{stderr}");
    let info = server.call("notesInfo", json!({"notes": [tcp.id]}));
    let answer = info[0]["fields"]["Answer"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let name = answer
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let stored = server.call("retrieveMediaFile", json!({ "filename": name }));
    assert!(
        stored.as_str().is_some_and(|data| !data.is_empty()),
        "{name} is not in Anki's media: {stored}"
    );
    write_notes(
        &dir,
        &NOTES.replace(
            "Ordered, reliable delivery.",
            "Ordered, reliable, checked delivery.",
        ),
    );
    let (code, stderr) = push(&dir, &server, &[]);
    assert_eq!(code, 0, "{stderr}");

    // A question moved to the other section: its card moves only with --move.
    let moved = NOTES
        .replace(
            "Q: What is a port?\nA: A number naming an endpoint.\n\n",
            "",
        )
        .replace(
            "## Links\n\n",
            "## Links\n\nQ: What is a port?\nA: A number naming an endpoint.\n\n",
        );
    write_notes(&dir, &moved);
    let (code, stderr) = push(&dir, &server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("--move moves them"), "{stderr}");
    assert_eq!(
        server.note("What is a port?").decks,
        ["Networking::Transport"]
    );
    let (code, stderr) = push(&dir, &server, &["--move"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "Anki: moved \"What is a port?\" from Networking::Transport to Networking::Links"
        ),
        "{stderr}"
    );
    assert_eq!(server.note("What is a port?").decks, ["Networking::Links"]);

    // A retired question stays, tagged, until --prune; --prune without a terminal asks for --yes.
    let retired = moved.replace("Q: What is a MAC address?\nA: A link-layer address.\n", "");
    write_notes(&dir, &retired);
    let (code, stderr) = push(&dir, &server, &[]);
    assert_eq!(code, 0, "{stderr}");
    let mac = server.note("What is a MAC address?");
    assert!(
        mac.tags.contains(&"deckforge::removed".to_string()),
        "{mac:?}"
    );
    let (code, stderr) = push(&dir, &server, &["--prune"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("add --yes"), "{stderr}");
    assert_eq!(server.notes().len(), 3, "nothing deleted without --yes");
    let (code, stderr) = push(&dir, &server, &["--prune", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("prune: 1 retired note(s) in Anki"),
        "{stderr}"
    );
    assert!(stderr.contains("\"What is a MAC address?\""), "{stderr}");
    let left: Vec<String> = server.notes().into_iter().map(|n| n.question).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(&"What is a MAC address?".to_string()));
    // The learner's tags are still there after all of it.
    assert!(
        server
            .note("What does TCP guarantee?")
            .tags
            .contains(&"hard".to_string())
    );
}

#[test]
fn tags_the_import_replaced_are_put_back_when_the_package_is_newer() {
    let server = ConnectServer::start();
    let dir = TempDir::new("push-newer");
    write_notes(&dir, NOTES);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (code, stderr) = push_at(&dir, &server, &[], &now.to_string());
    assert_eq!(code, 0, "{stderr}");
    let port = server.note("What is a port?");
    server.call("addTags", json!({"notes": [port.id], "tags": "mine"}));
    // A build stamped a day later: Anki's import updates the note and replaces its tags.
    write_notes(
        &dir,
        &NOTES.replace("naming an endpoint", "naming a socket's endpoint"),
    );
    let later = (now + 86_400).to_string();
    let (code, stderr) = push_at(&dir, &server, &[], &later);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("Anki: kept the learner's tags on \"What is a port?\""),
        "{stderr}"
    );
    let port = server.note("What is a port?");
    assert_eq!(port.answer, "A number naming a socket's endpoint.");
    assert!(port.tags.contains(&"mine".to_string()), "{port:?}");
}

/// How a stand-in answers an action: a whole HTTP response, or `None` for silence.
type Reply = fn(&str) -> Option<String>;

/// A stand-in that answers every request with `reply(action)` (or never, for `None`).
fn stand_in(reply: Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buffer = [0u8; 65536];
            // Headers, then a body as long as Content-Length says.
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&request).into_owned();
            let action = text
                .split("\"action\":\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_string();
            match reply(&action) {
                Some(response) => {
                    let _ = stream.write_all(response.as_bytes());
                }
                // Silent: hold the connection open past the client's timeout.
                None => std::thread::sleep(std::time::Duration::from_secs(5)),
            }
        }
    });
    url
}

fn http(status: &str, body: &str) -> Option<String> {
    Some(format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

fn push_to(url: &str) -> (i32, String) {
    let dir = TempDir::new("push-fail");
    write_notes(&dir, NOTES);
    let (code, _, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["push", "notes.md", "--timeout", "1", "--url", url])
        .stdin(Stdio::null()));
    (code, stderr)
}

#[test]
fn each_way_anki_cannot_take_a_push_is_one_clear_message() {
    // Nothing listens: a port just freed.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, stderr) = push_to(&format!("http://{free}"));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("nothing answers at") && stderr.contains("start Anki"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing was built, and nothing was changed in Anki"),
        "{stderr}"
    );

    let cases: [(Reply, &str); 4] = [
        (
            |_| http("200 OK", "<html>a web page</html>"),
            "answers, but not as AnkiConnect",
        ),
        (
            |_| http("200 OK", r#"{"result": 5, "error": null}"#),
            "speaks version 5; deckforge needs version 6",
        ),
        (|_| http("403 Forbidden", ""), "refused access"),
        (|_| None, "did not answer within 1 s"),
    ];
    for (reply, message) in cases {
        let (code, stderr) = push_to(&stand_in(reply));
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains(message), "expected {message:?} in {stderr}");
        assert_eq!(
            stderr.matches("error:").count(),
            1,
            "one message, not a cascade: {stderr}"
        );
    }
}

#[test]
fn a_push_that_fails_halfway_says_what_anki_had_done() {
    let url = stand_in(|action| match action {
        "version" => http("200 OK", r#"{"result": 6, "error": null}"#),
        "modelNames" => http("200 OK", r#"{"result": [], "error": null}"#),
        "importPackage" => http("200 OK", r#"{"result": true, "error": null}"#),
        "notesInfo" => {
            static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            if CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                http("200 OK", r#"{"result": [], "error": null}"#)
            } else {
                http(
                    "200 OK",
                    r#"{"result": null, "error": "the collection was closed"}"#,
                )
            }
        }
        _ => http("200 OK", r#"{"result": null, "error": "unexpected"}"#),
    });
    let (code, stderr) = push_to(&url);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Anki refused `notesInfo`: the collection was closed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("before it stopped, Anki had imported the package"),
        "{stderr}"
    );
}
