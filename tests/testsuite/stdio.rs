//! Standard input as INPUT and standard output as OUT: read and written as streams, never as
//! files in `/dev`, with the lock named or left out.

use std::fs;
use std::io::Write;
use std::process::Stdio;

use crate::support::{TempDir, deckforge, run};

const DECK: &str = "# Streams\n\n## What is a pipe?\n\nA stream between two programs.\n";

/// Runs `deckforge` with `args` in `dir`, `stdin` fed to it; (exit code, stdout, stderr).
fn run_with_stdin(dir: &TempDir, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = deckforge()
        .current_dir(dir.path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A refused build may stop reading early: a closed pipe is not the test's failure.
    let _ = input.write_all(stdin);
    drop(input);
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Issue 18 item 5: `-o -` created a file named `-`, and `-o /dev/stdout` (as root) replaced
/// the device's link with a file. Both write the text output to standard output; the lock
/// beside the source is kept as for a file.
#[test]
fn a_text_output_goes_to_standard_output() {
    let dir = TempDir::new("stdio-out");
    fs::write(dir.join("pipes.md"), DECK).unwrap();
    let (code, file_csv, stderr) =
        run(deckforge()
            .current_dir(dir.path())
            .args(["build", "pipes.md", "-o", "pipes.csv"]));
    assert_eq!(code, 0, "{stderr}");
    let file_csv = fs::read_to_string(dir.join("pipes.csv")).unwrap() + &file_csv;
    fs::remove_file(dir.join("pipes.csv")).unwrap();

    let (code, stdout, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["build", "pipes.md", "-o", "-"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, file_csv, "Anki's CSV, as a .csv file holds it");
    assert!(
        stderr.contains("wrote standard output: 1 notes"),
        "{stderr}"
    );
    assert_eq!(dir.entries(), ["pipes.deckforge.lock", "pipes.md"]);

    let link = fs::symlink_metadata("/dev/stdout")
        .map(|m| m.file_type().is_symlink())
        .ok();
    for out in ["/dev/stdout", "/dev/fd/1", "-"] {
        let (code, stdout, stderr) = run(deckforge()
            .current_dir(dir.path())
            .args(["build", "pipes.md", "-o", out, "--preset", "plain"]));
        assert_eq!(code, 0, "{out}: {stderr}");
        assert!(stdout.contains("What is a pipe?"), "{out}: {stdout}");
        assert!(!stdout.contains("#separator"), "the plain preset: {stdout}");
    }
    assert_eq!(
        fs::symlink_metadata("/dev/stdout")
            .map(|m| m.file_type().is_symlink())
            .ok(),
        link,
        "/dev/stdout is left as it was"
    );
    assert_eq!(dir.entries(), ["pipes.deckforge.lock", "pipes.md"]);

    // Two things cannot share standard output.
    let (code, stdout, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["build", "pipes.md", "-o", "-", "--json"]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("--json and a text output on standard output"),
        "{stderr}"
    );
}

/// `/dev/stdin` as INPUT wrote `/dev/stdin.deckforge.lock`. Standard input is read to its end
/// (within the input limit), and its lock must be named or turned off.
#[test]
fn standard_input_is_read_with_a_named_lock_or_none() {
    let dir = TempDir::new("stdio-in");
    for input in ["-", "/dev/stdin"] {
        let (code, stdout, stderr) =
            run_with_stdin(&dir, &["build", input, "-o", "out.csv"], DECK.as_bytes());
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains(&format!(
                "{input}: cannot read the input: standard input has no folder to keep the deck's \
                 lock in: name the lock with --lock PATH"
            )),
            "{stderr}"
        );
        assert!(
            !std::path::Path::new("/dev/stdin.deckforge.lock").exists()
                && !std::path::Path::new("/dev/-.deckforge.lock").exists()
        );
        assert!(dir.entries().is_empty(), "{:?}", dir.entries());
    }

    let (code, _, stderr) = run_with_stdin(
        &dir,
        &[
            "build",
            "/dev/stdin",
            "-o",
            "out.csv",
            "--lock",
            "streams.lock",
        ],
        DECK.as_bytes(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dir.entries(), ["out.csv", "streams.lock"]);
    assert!(
        fs::read_to_string(dir.join("out.csv"))
            .unwrap()
            .contains("What is a pipe?")
    );
    // Piped through: standard input in, standard output out.
    let (code, stdout, stderr) = run_with_stdin(
        &dir,
        &["build", "-", "-o", "-", "--no-lock"],
        DECK.as_bytes(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"What is a pipe?\""), "{stdout}");

    // Bounded: more than the input limit is refused, not read on.
    let big = DECK.repeat(100);
    let (code, stdout, stderr) = run_with_stdin(
        &dir,
        &["build", "-", "-o", "-", "--no-lock"],
        big.as_bytes(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("What is a pipe?"));
    let mut limited = deckforge();
    limited.env("DECKFORGE_MAX_INPUT_BYTES", "1000");
    let mut child = limited
        .current_dir(dir.path())
        .args(["build", "-", "-o", "-", "--no-lock"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(big.as_bytes());
    drop(input);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains(
            "-: cannot read the input: standard input holds more than the 1000-byte limit"
        ),
        "{stderr}"
    );
}

/// A reader that stops early (`deckforge build … -o - | head`) leaves the output incomplete:
/// the build fails and the lock is not replaced, so the next build compares with what was
/// last delivered whole.
#[test]
fn a_closed_standard_output_fails_the_build_and_keeps_the_lock() {
    let dir = TempDir::new("stdio-closed");
    let mut markdown = String::from("# Many\n");
    for i in 0..3000 {
        markdown.push_str(&format!("\n## What is item {i}?\n\nAnswer {i}.\n"));
    }
    fs::write(dir.join("many.md"), &markdown).unwrap();
    let (code, _, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["build", "many.md", "-o", "-"]));
    assert_eq!(code, 0, "{stderr}");
    let lock = fs::read(dir.join("many.deckforge.lock")).unwrap();
    fs::write(
        dir.join("many.md"),
        markdown.replace("Answer 7.", "Answer seven."),
    )
    .unwrap();
    let mut child = deckforge()
        .current_dir(dir.path())
        .args(["build", "many.md", "-o", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Far more than a pipe holds is written, and nothing reads it.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("-: cannot write the output: Broken pipe"),
        "{stderr}"
    );
    assert_eq!(fs::read(dir.join("many.deckforge.lock")).unwrap(), lock);
    assert_eq!(dir.entries(), ["many.deckforge.lock", "many.md"]);
}

/// Only a text build writes standard output; another command given `-o -` says so instead of
/// writing a file named `-` (as `preview` did).
#[test]
fn other_commands_refuse_a_dash_output() {
    let dir = TempDir::new("stdio-preview");
    fs::write(dir.join("pipes.md"), DECK).unwrap();
    let (code, stdout, stderr) = run(deckforge()
        .current_dir(dir.path())
        .args(["preview", "pipes.md", "-o", "-"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("-: cannot write the output: `-` is standard output, which takes only the text output of `deckforge build`"),
        "{stderr}"
    );
    assert_eq!(dir.entries(), ["pipes.md"]);
}
