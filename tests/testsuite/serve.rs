//! `deckforge serve` as a child process, looked at by headless Chromium: the page reloads
//! itself when a source changes, math is MathML, and only files of the source folder are served.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::preview::{chromium, run_chromium};
use crate::support::{Running, TempDir, deckforge, run};

const NOTES: &str = "# Geometry\n\n## Circles\n\n\
Q: What is the area of a circle?\nA: $\\pi r^2$, drawn here: ![a circle](img/circle.svg)\n\n\
Q: What is a radius?\nA: Half a diameter.\n";

const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>"#;

fn deck(dir: &TempDir) {
    fs::create_dir_all(dir.join("img")).unwrap();
    fs::write(dir.join("img/circle.svg"), SVG).unwrap();
    fs::write(dir.join("notes.md"), NOTES).unwrap();
    fs::write(
        dir.path().parent().unwrap().join("serve-secret.txt"),
        "secret",
    )
    .unwrap();
}

/// Starts `deckforge serve` on a free port; returns it and its address.
fn serve(dir: &TempDir) -> (Running, String) {
    let server = Running::spawn(
        deckforge()
            .current_dir(dir.path())
            .args(["serve", "notes.md", "--port", "0"]),
    );
    server.wait_for("serving the preview on ", 1);
    let url = server
        .stderr()
        .split("serving the preview on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    (server, url)
}

/// A raw GET of `path` exactly as written (no client normalises `..` away); the status code.
fn status_of(url: &str, path: &str) -> u16 {
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn images_come_from_the_source_folder_only() {
    let dir = TempDir::new("serve-files");
    deck(&dir);
    let (_server, url) = serve(&dir);
    assert_eq!(status_of(&url, "/deck/0/img/circle.svg"), 200);
    assert_eq!(
        status_of(&url, "/deck/0/notes.md"),
        404,
        "only media and page"
    );
    for escape in [
        "/deck/0/../serve-secret.txt",
        "/deck/0/../../serve-secret.txt",
        "/deck/0/img/../../serve-secret.txt",
        "/deck/0/%2e%2e/serve-secret.txt",
        "/deck/0/..%2fserve-secret.txt",
        "/deck/0/..%5cserve-secret.txt",
        "/deck/0//etc/passwd",
        "/deck/1/img/circle.svg",
    ] {
        assert_eq!(status_of(&url, escape), 404, "{escape}");
    }
}

#[test]
fn chromium_shows_math_as_mathml_and_the_page_reloads_itself_on_a_rebuild() {
    let browser = chromium();
    let dir = TempDir::new("serve-reload");
    deck(&dir);
    let (server, url) = serve(&dir);

    let dom = run_chromium(
        browser,
        &TempDir::new("chromium-profile"),
        &["--dump-dom", "--virtual-time-budget=5000"],
        &url,
    );
    assert!(dom.contains("<math"), "no MathML on the page:\n{dom}");
    assert!(!dom.contains("\\pi"), "MathJax source left on the page");
    assert!(dom.contains(r#"src="img/circle.svg""#), "{dom}");
    assert_eq!(dir.entries(), ["img", "notes.md"], "serve writes nothing");
    // The Anki cards keep MathJax's delimiters.
    let (code, _, stderr) =
        run(deckforge()
            .current_dir(dir.path())
            .args(["build", "notes.md", "-o", "notes.apkg"]));
    assert_eq!(code, 0, "{stderr}");
    let notes = deckforge::inspect::inspect(&dir.join("notes.apkg"))
        .unwrap()
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n.field("Answer").unwrap().contains(r"\(\pi r^2\)"))
    );

    // A browser left open on the page: it loads it once, then again by itself after a save.
    let profile = TempDir::new("chromium-profile");
    let _browser = Running::spawn(
        Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .args([
                "--disable-background-networking",
                "--disable-component-update",
            ])
            .arg(format!("--user-data-dir={}", profile.join("p").display()))
            .arg(&url),
    );
    server.wait_for("served deck 0's page", 1);
    std::thread::sleep(Duration::from_millis(700));
    let loads = server.stderr().matches("served deck 0's page").count();
    let saved = Instant::now();
    fs::write(
        dir.join("notes.md"),
        NOTES.replace("Half a diameter.", "Half of a diameter."),
    )
    .unwrap();
    let started = Instant::now();
    while server.stderr().matches("served deck 0's page").count() == loads {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the page did not reload itself after the save:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.stderr().contains("rendered 2 cards"),
        "{}",
        server.stderr()
    );
    eprintln!("the page reloaded {:?} after the save", saved.elapsed());
}
