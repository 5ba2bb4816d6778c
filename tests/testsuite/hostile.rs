//! Bad and hostile input: clear errors that write nothing, bounded work on pathological
//! documents, sanitised fields, media that stays inside the source folder, and packages from
//! strangers read without trusting them.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::support::{TempDir, deckforge, dump_apkg, run, seed, seed_in};

// ---------------------------------------------------------------------------------------------
// Clear errors, nothing written
// ---------------------------------------------------------------------------------------------

/// Runs `deckforge build` with `args`, expects exit 1 with one message containing `expected`,
/// and checks that `dir` is unchanged: no output, no lock, no `.deckforge-*` temporary file.
fn assert_build_fails(dir: &TempDir, args: &[&std::ffi::OsStr], expected: &str) -> String {
    let before = dir.entries();
    let (code, stdout, stderr) = run(deckforge().arg("build").args(args));
    assert_eq!(code, 1, "stderr: {stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(dir.entries(), before, "nothing written or left behind");
    assert_no_temporary_files(dir.path());
    stderr
}

fn assert_no_temporary_files(folder: &Path) {
    for entry in fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains(".deckforge-"), "temporary file left: {name}");
        if path.is_dir() {
            assert_no_temporary_files(&path);
        }
    }
}

/// Whether this process can read files regardless of their permission bits (root, or a
/// capability such as CAP_DAC_OVERRIDE): then permission tests cannot fail the way they should.
fn ignores_permissions(dir: &TempDir) -> bool {
    let probe = dir.join("probe");
    fs::write(&probe, "x").unwrap();
    set_mode(&probe, 0o000);
    let readable = fs::File::open(&probe).is_ok();
    set_mode(&probe, 0o644);
    fs::remove_file(&probe).unwrap();
    readable
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn input_errors_name_the_file_and_write_nothing() {
    let dir = TempDir::new("hostile-input");
    let out = dir.join("out.apkg");
    // A folder stands for the Markdown files below it; one without any is named.
    let folder = dir.join("notes.md");
    fs::create_dir(&folder).unwrap();
    assert_build_fails(
        &dir,
        &[folder.as_os_str(), "-o".as_ref(), out.as_os_str()],
        "notes.md: the folder holds no Markdown (.md) file",
    );

    let blank = dir.join("blank.md");
    fs::write(&blank, " \n\t\n").unwrap();
    assert_build_fails(
        &dir,
        &[blank.as_os_str(), "-o".as_ref(), out.as_os_str()],
        "blank.md: no questions found: the file is empty",
    );

    // The first bad byte is on line 3, at byte offset 23.
    let latin1 = dir.join("latin1.md");
    fs::write(&latin1, b"Q: What?\nA: Yes.\nQ: Caf\xe9?\nA: No.\n").unwrap();
    assert_build_fails(
        &dir,
        &[latin1.as_os_str(), "-o".as_ref(), out.as_os_str()],
        "latin1.md:3: not valid UTF-8 (first bad byte at offset 23)",
    );

    // A second input that fails stops the build even though the first one was fine.
    let good = seed_in(&dir);
    let missing = dir.join("missing.md");
    assert_build_fails(
        &dir,
        &[
            good.as_os_str(),
            missing.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        "missing.md: cannot read the input",
    );
}

#[test]
#[cfg(unix)]
fn an_unreadable_input_is_an_error() {
    let dir = TempDir::new("hostile-unreadable");
    // Running as root (as in many containers), mode 000 does not stop reads: nothing to test.
    if ignores_permissions(&dir) {
        eprintln!("skipped: this process reads files whatever their mode (root)");
        return;
    }
    let secret = seed_in(&dir);
    set_mode(&secret, 0o000);
    let out = dir.join("out.apkg");
    assert_build_fails(
        &dir,
        &[secret.as_os_str(), "-o".as_ref(), out.as_os_str()],
        "cannot read the input: Permission denied",
    );
    set_mode(&secret, 0o644);
}

#[test]
fn output_errors_are_clear_and_write_nothing() {
    let dir = TempDir::new("hostile-output");
    let source = seed_in(&dir);

    let folder = dir.join("deck.apkg");
    fs::create_dir(&folder).unwrap();
    assert_build_fails(
        &dir,
        &[source.as_os_str(), "-o".as_ref(), folder.as_os_str()],
        "deck.apkg: is a folder; name a file to write",
    );

    let missing = dir.join("missing/deck.apkg");
    assert_build_fails(
        &dir,
        &[source.as_os_str(), "-o".as_ref(), missing.as_os_str()],
        "the output folder does not exist",
    );

    // A lock path that cannot be written fails before the output is replaced.
    let out = dir.join("out.csv");
    let lock_folder = dir.join("lock-folder");
    fs::create_dir(&lock_folder).unwrap();
    for (lock, message) in [
        (
            lock_folder.clone(),
            "lock-folder: cannot read the lock file",
        ),
        (
            dir.join("no/such/deck.lock"),
            "the output folder does not exist",
        ),
    ] {
        assert_build_fails(
            &dir,
            &[
                source.as_os_str(),
                "--lock".as_ref(),
                lock.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ],
            message,
        );
    }
}

#[test]
#[cfg(unix)]
fn a_read_only_output_or_lock_folder_writes_nothing() {
    let dir = TempDir::new("hostile-readonly");
    // Running as root, a read-only folder is still writable: nothing to test.
    if ignores_permissions(&dir) {
        eprintln!("skipped: this process writes files whatever their mode (root)");
        return;
    }
    let source = seed_in(&dir);
    let locked = dir.join("locked");
    fs::create_dir(&locked).unwrap();
    set_mode(&locked, 0o555);
    let out = locked.join("deck.apkg");
    assert_build_fails(
        &dir,
        &[source.as_os_str(), "-o".as_ref(), out.as_os_str()],
        "cannot create a file in the output folder",
    );
    // The output folder is writable but the lock's is not: the output is not written either.
    let lock = locked.join("deck.lock");
    let out = dir.join("deck.apkg");
    assert_build_fails(
        &dir,
        &[
            source.as_os_str(),
            "--lock".as_ref(),
            lock.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        "deck.lock: cannot create a file in the output folder",
    );
    set_mode(&locked, 0o755);
}

#[test]
fn out_of_range_times_are_errors_not_panics() {
    // Anki keeps the collection's time in milliseconds: i64::MAX seconds used to overflow.
    let dir = TempDir::new("hostile-time");
    let source = seed_in(&dir);
    let out = dir.join("deck.apkg");
    let before = dir.entries();
    let (code, _, stderr) = run(deckforge()
        .env("SOURCE_DATE_EPOCH", i64::MAX.to_string())
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("SOURCE_DATE_EPOCH must be a number of seconds between"));
    assert_eq!(dir.entries(), before);

    // A damaged lock holding such a time is refused the same way, naming the lock and the line
    // (line 8 holds the note type's time).
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let lock = dir.join("mlops-interview-questions.deckforge.lock");
    let text = fs::read_to_string(&lock).unwrap();
    let at = text.find("\"modified\":").unwrap() + "\"modified\":".len();
    let end = at + text[at..].find([',', '}']).unwrap();
    fs::write(
        &lock,
        format!("{}{}{}", &text[..at], i64::MAX, &text[end..]),
    )
    .unwrap();
    assert_build_fails(
        &dir,
        &[source.as_os_str(), "-o".as_ref(), out.as_os_str()],
        "deckforge.lock:8: the lock file is damaged (modification time 9223372036854775807",
    );
}

#[test]
fn check_survives_a_closed_standard_output() {
    let dir = TempDir::new("hostile-pipe");
    let source = dir.join("dupes.md");
    let mut text = String::new();
    for i in 1..=2000 {
        text.push_str(&format!("Q: Same question {}?\nA: Answer\n\n", i % 2));
    }
    fs::write(&source, text).unwrap();
    let mut child = deckforge()
        .arg("check")
        .arg(&source)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing our end first is `deckforge check … | head -0`: every write hits a closed pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_failing_writer_keeps_the_previous_file_and_no_temporary_file() {
    use deckforge::write::atomic::{PendingFile, write_error, write_file};
    let dir = TempDir::new("hostile-atomic");
    let target = dir.join("deck.csv");
    fs::write(&target, "previous").unwrap();
    let result = write_file(&target, |out| {
        out.write_all(&vec![b'x'; 1 << 20])
            .map_err(write_error(&target))?;
        Err(deckforge::Error::Syntax {
            path: target.clone(),
            line: 1,
            message: "interrupted mid-way".into(),
        })
    });
    assert!(result.unwrap_err().to_string().contains("interrupted"));
    assert_eq!(fs::read_to_string(&target).unwrap(), "previous");
    assert_eq!(dir.entries(), ["deck.csv"]);

    // A pending file that is never written (the build failed in between) leaves nothing.
    let pending = PendingFile::create(&dir.join("deck.lock")).unwrap();
    assert_eq!(
        dir.entries().len(),
        2,
        "the temporary file exists meanwhile"
    );
    drop(pending);
    assert_eq!(dir.entries(), ["deck.csv"]);

    // The lock goes through the same atomic path.
    let lock = deckforge::lock::Lock::new("deck");
    lock.write(&dir.join("deck.lock")).unwrap();
    assert_eq!(dir.entries(), ["deck.csv", "deck.lock"]);
    let error = lock.write(&dir.join("missing/deck.lock")).unwrap_err();
    assert!(matches!(
        error,
        deckforge::Error::OutputFolderMissing { .. }
    ));
    let error = lock.write(dir.path()).unwrap_err();
    assert!(matches!(error, deckforge::Error::OutputIsFolder { .. }));
    assert_no_temporary_files(dir.path());
}

// ---------------------------------------------------------------------------------------------
// Pathological documents: built in bounded time and memory, never a stack overflow
// ---------------------------------------------------------------------------------------------

/// Builds `markdown` into an `.apkg` and a `.csv` and returns the package's notes.
fn builds(name: &str, markdown: &str) -> Vec<Value> {
    let dir = TempDir::new(name);
    let source = dir.join("doc.md");
    fs::write(&source, markdown).unwrap();
    let out = dir.join("doc.apkg");
    for output in [out.clone(), dir.join("doc.csv")] {
        let (code, _, stderr) = run(deckforge()
            .arg("build")
            .arg(&source)
            .arg("--no-lock")
            .arg("-q")
            .arg("-o")
            .arg(&output));
        assert_eq!(code, 0, "{name}: {}", &stderr[..stderr.len().min(2000)]);
    }
    let (code, _, stderr) = run(deckforge().arg("check").arg(&source));
    assert!(code == 0 || code == 1, "{name}: {stderr}");
    dump_apkg(&out)["notes"].as_array().unwrap().clone()
}

const ONE_CARD: &str =
    "1.  **What is the first question?**\n\n-   **Answer:** The first answer.\n\n";

#[test]
fn thousands_of_nested_block_quotes() {
    let quotes = format!(
        "{ONE_CARD}2.  **Deep?**\n\n-   **Answer:** {} deep\n",
        ">".repeat(3000)
    );
    assert_eq!(builds("deep-quotes", &quotes).len(), 2);
    let staircase: String = (1..=3000)
        .map(|i| format!("{} x\n", ">".repeat(i)))
        .collect();
    let headings = format!("### What is deep?\n\n{staircase}");
    assert_eq!(builds("deep-quote-staircase", &headings).len(), 1);
}

#[test]
fn a_thousand_nested_lists() {
    let lists: String = (0..1000)
        .map(|i| format!("{}- x\n", "  ".repeat(i + 2)))
        .collect();
    let markdown = format!("{ONE_CARD}2.  **Deep?**\n\n-   **Answer:** deep\n{lists}");
    assert_eq!(builds("deep-lists", &markdown).len(), 2);
    let ordered: String = (0..1000)
        .map(|i| format!("{}1. x\n", "   ".repeat(i)))
        .collect();
    assert_eq!(
        builds("deep-ordered", &format!("### Ordered?\n\n{ordered}")).len(),
        1
    );
}

#[test]
fn deeply_nested_raw_html() {
    let markdown = format!(
        "### Divs?\n\n{}x{}\n\n### Spans?\n\n{}y{}\n",
        "<div>".repeat(5000),
        "</div>".repeat(5000),
        "<span><b><i>".repeat(5000),
        "</i></b></span>".repeat(5000)
    );
    assert_eq!(builds("deep-html", &markdown).len(), 2);
}

#[test]
fn a_two_megabyte_line() {
    let line = "word ".repeat(400_000);
    let markdown = format!("{ONE_CARD}2.  **Long?**\n\n-   **Answer:** {line}\n");
    let notes = builds("long-line", &markdown);
    assert!(notes[1]["fields"][1].as_str().unwrap().len() > 2_000_000);
}

#[test]
fn twenty_thousand_cards() {
    let markdown: String = (1..=20_000)
        .map(|i| format!("{i}.  **Question number {i}?**\n\n-   **Answer:** Answer {i}.\n\n"))
        .collect();
    assert_eq!(builds("many-cards", &markdown).len(), 20_000);
}

#[test]
fn huge_tables_and_pathological_inline_markup() {
    let header = format!("|{}\n|{}\n", "h|".repeat(300), "-|".repeat(300));
    let rows = format!("|{}\n", "`c` *x*|".repeat(300)).repeat(300);
    let markdown = format!(
        "### Table?\n\n{header}{rows}\n### Emphasis?\n\n{}\n\n### Brackets?\n\n{}x{}{}\n\n### Links?\n\n{}\n\n### Backticks?\n\n{}\n",
        "*a **b _c ".repeat(20_000),
        "[".repeat(50_000),
        "](".repeat(20_000),
        ")".repeat(50_000),
        "[a](<b>)[c]: ".repeat(20_000),
        "`` ` ``` ".repeat(20_000),
    );
    assert_eq!(builds("pathological-inline", &markdown).len(), 5);
}

#[test]
fn thousands_of_images_and_unclosed_tags() {
    // Each image used to lower-case the rest of the answer again (quadratic); each unclosed
    // `<style>` searched the rest for `</style>` again (65 s for 320 KB in a text preset).
    let markdown = format!(
        "### Images?\n\n{}\n\n### Tags?\n\n<div>\n{}{}\n</div>\n",
        "![a](missing.png) <img src=\"gone.png\"> ".repeat(10_000),
        "<style> <script> ".repeat(20_000),
        "<!-- ".repeat(20_000),
    );
    assert_eq!(builds("many-images", &markdown).len(), 2);
    let dir = TempDir::new("many-tags-text");
    let source = dir.join("doc.md");
    fs::write(&source, &markdown).unwrap();
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .args(["--no-lock", "-q", "--preset", "quizlet", "-o"])
        .arg(dir.join("doc.txt")));
    assert_eq!(code, 0, "{}", &stderr[..stderr.len().min(2000)]);
}

// ---------------------------------------------------------------------------------------------
// HTML safety: nothing that runs script reaches Anki
// ---------------------------------------------------------------------------------------------

/// A document in the headings layout (which carries a Source link and sections) full of
/// script-injection attempts, in the question, the answer, headings and front matter.
const HOSTILE: &str = r#"---
title: <script>alert('deck')</script>Evil <img src=x onerror=alert(1)> deck
---

# Title <img src=x onerror=alert(1)>

## Section <script>alert(2)</script> <b onclick="x()">bold</b> &lt;script&gt;alert(3)&lt;/script&gt;

#### 1) What is <img src=x onerror=alert(1)> [x](javascript:alert(1)) <a href="javascript:alert(1)" onclick="y()">this</a> <svg onload=alert(1)>? [[src](javascript:alert(9))]

<script>alert(4)</script>
<iframe src="https://evil.example"></iframe>
<object data="x.swf"></object><embed src="x.swf">
<style>body{display:none}</style><link rel=stylesheet href=//evil.example/x.css>
<svg><script>alert(5)</script></svg>
<math><mi xlink:href="javascript:alert(6)">x</mi><maction actiontype="statusline#http://x">y</maction></math>

<a href="javascript&#58;alert(7)">ent</a> <a href="&#106;avascript:alert(1)">ent2</a> <a href="&#x6A;avascript&colon;alert(1)">ent3</a>
<a href="vbscript:msgbox(1)">vb</a> <a href="data:text/html,<script>alert(1)</script>">data</a>
[md](javascript:alert(8)) ![img](javascript:alert(1)) <javascript:alert(1)> [ent](javascript&#58;alert(1))
[ref][r] ![dataimg](data:text/html;base64,PHNjcmlwdD4=)
<img src="data:text/html;base64,PHNjcmlwdD4=" onload=alert(1)>
<div style="background:url(javascript:alert(1))" onmouseover="alert(1)">styled</div>
<form action="javascript:alert(1)"><input type=submit formaction="javascript:alert(1)"></form>
<a href=" JaVaScRiPt:alert(1)">case</a> <a href="java&#x09;script:alert(1)">tab</a> <a href="java
script:alert(1)">newline</a>
<base href="javascript:alert(1)//"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<IMG SRC=JaVaScRiPt:alert(1)> <img src=`javascript:alert(1)`> <img """><script>alert(1)</script>">
<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>
<template><script>alert(1)</script></template> <xmp><script>alert(1)</script></xmp>
<details open ontoggle=alert(1)><summary>s</summary></details> <video><source onerror=alert(1)></video>
<a href="https://ok.example" target="_blank" onfocus=alert(1) autofocus>fine link</a>

[r]: javascript:alert(10)

#### 2) Plain question with a `<script>` in code?

`<script>alert(1)</script>` and

```html
<script>alert(1)</script>
```
"#;

/// Elements that must never reach a field.
const FORBIDDEN_ELEMENTS: [&str; 15] = [
    "script", "iframe", "object", "embed", "style", "link", "svg", "math", "form", "base", "meta",
    "noscript", "template", "xmp", "frame",
];

/// Asserts that `html` (a sanitiser's output, where every literal `<` starts a tag) holds no
/// element, attribute or URL that could run script.
fn assert_safe(what: &str, html: &str) {
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let end = tag_end(rest).unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(
            !FORBIDDEN_ELEMENTS.contains(&name.as_str()),
            "{what}: <{name}> in {html}"
        );
        for (attribute, value) in attributes(tag) {
            assert!(
                !attribute.starts_with("on"),
                "{what}: event handler {attribute}= in {html}"
            );
            assert!(attribute != "style", "{what}: style= in {html}");
            if matches!(
                attribute.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href" | "data" | "srcset"
            ) {
                let url: String = decode(&value)
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:text/html", "data:"] {
                    assert!(
                        !url.starts_with(scheme),
                        "{what}: {attribute}={value:?} in {html}"
                    );
                }
            }
        }
    }
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "{what}: {html}"
    );
}

/// The end of a tag whose `<` was just consumed, quotes respected.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The attributes of a serialised tag (name and value, the value undecoded).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let body = tag.split_once(char::is_whitespace).map_or("", |(_, b)| b);
    let mut chars = body.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() || c == '/' {
            continue;
        }
        let mut end = body.len();
        let mut value = String::new();
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                end = i;
                break;
            }
            chars.next();
        }
        let name = body[start..end].to_ascii_lowercase();
        if let Some(&(_, '=')) = chars.peek() {
            chars.next();
            let quote = chars.peek().map(|&(_, c)| c);
            if let Some(q @ ('"' | '\'')) = quote {
                chars.next();
                for (_, c) in chars.by_ref() {
                    if c == q {
                        break;
                    }
                    value.push(c);
                }
            } else {
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((name, value));
    }
    out
}

/// Decodes the character references a browser would before reading a URL.
fn decode(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(rest.len());
        let entity = &rest[..end];
        let decoded = match entity {
            "colon" => Some(':'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "tab" => Some('\t'),
            "newline" => Some('\n'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_safety_checker_catches_what_it_should() {
    for unsafe_html in [
        "<script>x</script>",
        "<p onclick=\"x\">a</p>",
        "<a href=\"javascript&#58;x\">a</a>",
        "<a href=\" java&#x09;script:x\">a</a>",
        "<img src=\"data:text/html,x\">",
        "<iframe src=\"x\"></iframe>",
        "<p style=\"x\">a</p>",
    ] {
        let caught = std::panic::catch_unwind(|| assert_safe("probe", unsafe_html)).is_err();
        assert!(caught, "the checker missed {unsafe_html}");
    }
    assert_safe(
        "probe",
        "<p><a href=\"https://a.example\" rel=\"noopener noreferrer\">x</a> &lt;script&gt; on=x</p>",
    );
}

#[test]
fn hostile_markdown_yields_only_safe_fields_deck_names_and_tags() {
    let dir = TempDir::new("hostile-html");
    let source = dir.join("evil.md");
    fs::write(&source, HOSTILE).unwrap();
    let apkg = dir.join("evil.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--subdecks")
        .arg("-o")
        .arg(&apkg));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("unsafe HTML will be removed"),
        "the author is told: {stderr}"
    );
    let dump = dump_apkg(&apkg);
    // In source order (the dump lists notes by id, which follows the GUIDs).
    let mut notes = dump["notes"].as_array().unwrap().clone();
    notes.sort_by_key(|note| note["card"]["due"].as_i64());
    assert_eq!(notes.len(), 2);
    for note in &notes {
        for (i, field) in note["fields"].as_array().unwrap().iter().enumerate() {
            assert_safe(&format!("field {i}"), field.as_str().unwrap());
        }
        let tags = note["tags"].as_str().unwrap();
        assert!(
            tags.chars()
                .all(|c| c.is_alphanumeric() || " -:_".contains(c)),
            "{tags}"
        );
    }
    let question = notes[0]["fields"][0].as_str().unwrap();
    assert!(question.starts_with("What is "), "{question}");
    assert!(question.contains("this</a>"), "text survives: {question}");
    let source_field = notes[0]["fields"][4].as_str().unwrap();
    assert!(!source_field.contains("href"), "{source_field}");
    let answer = notes[0]["fields"][1].as_str().unwrap();
    assert!(
        answer.contains("href=\"https://ok.example\""),
        "safe links stay: {answer}"
    );
    let code_answer = notes[1]["fields"][1].as_str().unwrap();
    assert!(
        code_answer.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "code shows the tag as text: {code_answer}"
    );
    let section = notes[0]["fields"][2].as_str().unwrap();
    assert!(section.starts_with("Section"), "{section}");
    for deck in dump["decks"].as_object().unwrap().values() {
        let name = deck["name"].as_str().unwrap();
        assert!(!name.contains(['<', '>']), "deck name {name:?}");
    }
    let deck_names: Vec<&str> = dump["decks"]
        .as_object()
        .unwrap()
        .values()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        deck_names
            .iter()
            .any(|n| n.starts_with("Evil x deck::Section")),
        "{deck_names:?}"
    );
    for model in dump["models"].as_object().unwrap().values() {
        assert!(!model["name"].as_str().unwrap().contains(['<', '>']));
    }

    // The CSV carries the same sanitised fields; read back with `inspect --json`.
    let csv = dir.join("evil.csv");
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&csv));
    assert_eq!(code, 0, "{stderr}");
    for file in [&csv, &apkg] {
        let (code, stdout, stderr) = run(deckforge().arg("inspect").arg(file).arg("--json"));
        assert_eq!(code, 0, "{stderr}");
        let inspected: Value = serde_json::from_str(&stdout).unwrap();
        for note in inspected["notes"].as_array().unwrap() {
            for (name, value) in note["fields"].as_object().unwrap() {
                assert_safe(name, value.as_str().unwrap());
            }
            assert!(!note["deck"].as_str().unwrap().contains(['<', '>']));
        }
    }
}

#[test]
fn hostile_questions_in_every_layout_are_sanitised() {
    let evil = r#"<img src=x onerror=alert(1)> <a href="javascript:alert(1)">a</a> <script>alert(1)</script>"#;
    let documents = [
        format!("1.  **What is {evil}?**\n\n-   **Answer:** {evil}\n"),
        format!("Q: What is {evil}?\nA: {evil}\n"),
        format!("1.  ### What is {evil}?\n\n    {evil}\n"),
        format!("<details><summary>What is {evil}?</summary>\n\n{evil}\n\n</details>\n"),
        format!("**What is {evil}?**\n\n{evil}\n"),
        format!("### What is {evil}?\n\n{evil}\n"),
    ];
    for (i, markdown) in documents.iter().enumerate() {
        let notes = builds(&format!("hostile-layout-{i}"), markdown);
        assert_eq!(notes.len(), 1, "layout {i}");
        for field in notes[0]["fields"].as_array().unwrap() {
            assert_safe(&format!("layout {i}"), field.as_str().unwrap());
        }
    }
}

#[test]
fn allow_html_is_documented_as_the_opt_out() {
    let (code, stdout, _) = run(deckforge().args(["build", "--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("--allow-html"), "{stdout}");
    assert!(stdout.contains("trusted sources only"), "{stdout}");
    let readme = fs::read_to_string(crate::support::repo("README.md")).unwrap();
    assert!(readme.contains("## Safety"), "README has a Safety section");
    assert!(readme.contains("--allow-html"));

    let dir = TempDir::new("hostile-allow");
    let source = dir.join("trusted.md");
    fs::write(
        &source,
        "### What?\n\n<span onclick=\"reveal()\">trusted</span>\n",
    )
    .unwrap();
    let out = dir.join("trusted.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--allow-html")
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let dump = dump_apkg(&out);
    assert!(
        dump["notes"][0]["fields"][1]
            .as_str()
            .unwrap()
            .contains("onclick=\"reveal()\""),
        "kept as written"
    );
}

// ---------------------------------------------------------------------------------------------
// Media: only files inside the source's folder, under content-hash names, size-capped
// ---------------------------------------------------------------------------------------------

#[test]
fn media_comes_only_from_inside_the_source_folder() {
    let dir = TempDir::new("hostile-media");
    let notes = dir.join("notes");
    fs::create_dir_all(notes.join("img")).unwrap();
    fs::write(notes.join("img/ok.PNG"), b"\x89PNG\r\n\x1a\n inside").unwrap();
    fs::write(dir.join("secret.png"), b"outside the source folder").unwrap();
    let big = fs::File::create(notes.join("big.png")).unwrap();
    big.set_len(deckforge::render::media::MAX_IMAGE_BYTES + 1)
        .unwrap();
    fs::create_dir(notes.join("folder.png")).unwrap();
    let secret = dir.join("secret.png");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, notes.join("link.png")).unwrap();
        std::os::unix::fs::symlink(dir.path(), notes.join("up")).unwrap();
        // A named pipe would block a naive reader forever.
        let made = std::process::Command::new("mkfifo")
            .arg(notes.join("pipe.png"))
            .status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    }
    let absolute = secret.display().to_string();
    let refused = [
        "../secret.png",
        "img/../../secret.png",
        "%2e%2e/secret.png",
        "..%2fsecret.png",
        absolute.as_str(),
        "file:///etc/passwd",
        "link.png",
        "up/secret.png",
        "big.png",
        "folder.png",
        "pipe.png",
        "/etc/passwd",
        "\\\\server\\share\\x.png",
    ];
    let mut markdown =
        String::from("### Which images?\n\n![ok](img/ok.PNG) ![again](./img/ok.PNG)\n\n");
    for (i, src) in refused.iter().enumerate() {
        markdown.push_str(&format!("![r{i}](<{src}>)\n<img src=\"{src}\">\n\n"));
    }
    let source = notes.join("deck.md");
    fs::write(&source, &markdown).unwrap();
    let out = dir.join("deck.apkg");
    for allow_html in [false, true] {
        let mut command = deckforge();
        command.arg("build").arg(&source).arg("--no-lock");
        if allow_html {
            command.arg("--allow-html");
        }
        let (code, _, stderr) = run(command.arg("-o").arg(&out));
        assert_eq!(code, 0, "refused images are warnings: {stderr}");
        for reason in [
            "outside the source's folder",
            "absolute path",
            "more than the 10485760-byte limit",
            "not a regular file",
        ] {
            assert!(stderr.contains(reason), "{reason:?} in {stderr}");
        }
        let dump = dump_apkg(&out);
        let media = dump["media"].as_object().unwrap();
        assert_eq!(media.len(), 1, "only the image inside: {media:?}");
        let name = media["0"].as_str().unwrap();
        assert_eq!(name.len(), 64 + 4, "{name}");
        assert!(name.ends_with(".png"));
        assert!(name[..64].chars().all(|c| c.is_ascii_hexdigit()));
        let answer = dump["notes"][0]["fields"][1].as_str().unwrap();
        assert_eq!(answer.matches(name).count(), 2, "both references: {answer}");
        assert!(
            !dump["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m.as_str().unwrap().contains(['/', '\\'])),
            "flat member names"
        );
    }
    // Nothing from outside the folder is in the package's bytes.
    let bytes = fs::read(&out).unwrap();
    let needle = b"outside the source folder";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn secrets_and_non_media_next_to_the_source_are_never_packed() {
    let dir = TempDir::new("hostile-secrets");
    let secrets: [(&str, &[u8]); 7] = [
        (
            ".git/config",
            b"[remote \"origin\"]\n\turl = https://TOKEN@x.example/r.git\n",
        ),
        (
            ".ssh/id_ed25519",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET\n",
        ),
        (".env", b"API_KEY=SECRET\n"),
        // Dot-files and dot-folders are refused whatever they hold, PNG included.
        (".hidden.png", b"\x89PNG\r\n\x1a\n SECRET"),
        (".cache/a.png", b"\x89PNG\r\n\x1a\n SECRET"),
        // An image name over text: the content decides.
        ("key.png", b"-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET\n"),
        ("notes.txt", b"SECRET\n"),
    ];
    for (name, data) in secrets {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }
    fs::write(dir.join("photo.jpg"), b"\xff\xd8\xff\xe0 a real jpeg head").unwrap();
    let outside = TempDir::new("hostile-secrets-outside");
    fs::write(outside.join("linked.png"), b"\x89PNG\r\n\x1a\n SECRET").unwrap();
    fs::hard_link(outside.join("linked.png"), dir.join("linked.png")).unwrap();
    let mut markdown = String::from("### Which files?\n\n![ok](photo.jpg)\n\n");
    for src in
        secrets
            .iter()
            .map(|(name, _)| *name)
            .chain(["deck.md", "linked.png", "./.git/../.env"])
    {
        markdown.push_str(&format!("![x]({src})\n\n"));
    }
    let source = dir.join("deck.md");
    fs::write(&source, &markdown).unwrap();
    let out = dir.join("deck.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--no-lock")
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    for reason in [
        "image \".git/config\" is a hidden file or inside a hidden folder",
        "image \".ssh/id_ed25519\" is a hidden file or inside a hidden folder",
        "image \".env\" is a hidden file",
        "image \".cache/a.png\" is a hidden file",
        "image \"key.png\" does not hold PNG data",
        "image \"notes.txt\" is not an image, audio or video file by its extension",
        "image \"deck.md\" is not an image",
        "image \"linked.png\" has other hard links",
    ] {
        assert!(stderr.contains(reason), "{reason:?} in {stderr}");
    }
    let dump = dump_apkg(&out);
    let media = dump["media"].as_object().unwrap();
    assert_eq!(media.len(), 1, "only the photo: {media:?}");
    assert!(media["0"].as_str().unwrap().ends_with(".jpg"));
    let bytes = fs::read(&out).unwrap();
    for needle in [&b"SECRET"[..], b"TOKEN"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{needle:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// inspect: packages from strangers
// ---------------------------------------------------------------------------------------------

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `haystack` with every `from` replaced by `to` (of the same length); panics if none is found.
fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = haystack.to_vec();
    let mut found = 0;
    for i in 0..=out.len().saturating_sub(from.len()) {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            found += 1;
        }
    }
    assert!(found > 0, "{from:?} not found");
    out
}

fn inspect_dirs() -> Vec<PathBuf> {
    let prefix = format!("deckforge-inspect-{}-", std::process::id());
    fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect()
}

#[test]
fn a_zip_bomb_stops_at_the_cap_and_leaves_nothing() {
    // 64 MiB of zeros deflate to about 64 KiB; the cap is lowered to 1 MiB for the test.
    let bomb = zip_with(&[("collection.anki2", &vec![0u8; 64 << 20])]);
    assert!(bomb.len() < 128 << 10, "{}", bomb.len());
    let error = deckforge::inspect::read_package_with_limit(
        Cursor::new(&bomb),
        Path::new("bomb.apkg"),
        1 << 20,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("larger than 1048576 bytes once decompressed"),
        "{error}"
    );
    assert!(inspect_dirs().is_empty(), "the private folder is removed");
    // Under the default cap, the same bytes are read to the end and refused as not SQLite.
    let error =
        deckforge::inspect::read_package(Cursor::new(&bomb), Path::new("bomb.apkg")).unwrap_err();
    assert!(error.to_string().contains("not a valid Anki package"));
    assert!(inspect_dirs().is_empty());
}

/// A package deckforge built, with its collection changed by `sql` (or replaced by `bytes`).
fn doctored(dir: &TempDir, name: &str, sql: &str) -> PathBuf {
    let apkg = dir.join("good.apkg");
    if !apkg.exists() {
        let (code, _, stderr) = run(deckforge()
            .arg("build")
            .arg(seed())
            .arg("--no-lock")
            .arg("-o")
            .arg(&apkg));
        assert_eq!(code, 0, "{stderr}");
    }
    let mut zip = zip::ZipArchive::new(fs::File::open(&apkg).unwrap()).unwrap();
    let mut collection = Vec::new();
    std::io::copy(
        &mut zip.by_name("collection.anki2").unwrap(),
        &mut collection,
    )
    .unwrap();
    let db_path = dir.join(&format!("{name}.anki2"));
    fs::write(&db_path, collection).unwrap();
    let db = rusqlite::Connection::open(&db_path).unwrap();
    db.execute_batch(sql).unwrap();
    drop(db);
    let collection = fs::read(&db_path).unwrap();
    fs::remove_file(&db_path).unwrap();
    let out = dir.join(&format!("{name}.apkg"));
    fs::write(
        &out,
        zip_with(&[("collection.anki2", &collection), ("media", b"{}")]),
    )
    .unwrap();
    out
}

#[test]
fn malformed_packages_are_refused_with_a_message() {
    let dir = TempDir::new("hostile-inspect");
    let mut cases: Vec<(PathBuf, &str)> = vec![
        (
            doctored(&dir, "bad-models", "update col set models = '{not json'"),
            "col.models is not valid JSON",
        ),
        (
            doctored(&dir, "bad-decks", "update col set decks = '[[[['"),
            "col.decks is not valid JSON",
        ),
        (
            doctored(&dir, "no-notes", "drop table notes"),
            "no such table: notes",
        ),
        (
            doctored(&dir, "no-col", "drop table col"),
            "no such table: col",
        ),
        (
            doctored(&dir, "empty-col", "delete from col"),
            "not a valid Anki package",
        ),
        (
            doctored(
                &dir,
                "few-fields",
                "update notes set flds = 'only one' where id = (select min(id) from notes)",
            ),
            "has 1 fields, but its note type has 5",
        ),
        (
            doctored(
                &dir,
                "unknown-type",
                "update notes set mid = 42 where id = (select min(id) from notes)",
            ),
            "uses note type 42, which the collection does not define",
        ),
        (
            doctored(
                &dir,
                "blob-fields",
                "update notes set flds = x'ff00' where id = (select min(id) from notes)",
            ),
            "not a valid Anki package",
        ),
        (
            doctored(
                &dir,
                "wrong-schema",
                "drop table notes; create table notes (guid text)",
            ),
            "not a valid Anki package",
        ),
        (
            // Reading this view never ends: an endless recursive query behind `notes`.
            doctored(
                &dir,
                "endless-view",
                "drop table notes; create view notes(id, guid, mid, mod, tags, flds) as \
                 with recursive r(x) as (select 1 union all select x + 1 from r) \
                 select x, 'g' || x, 1, 0, '', 'q' from r",
            ),
            "notes is a view, not a plain table",
        ),
        (
            doctored(
                &dir,
                "view-col",
                "alter table col rename to col2; create view col as select * from col2",
            ),
            "col is a view, not a plain table",
        ),
        (
            doctored(
                &dir,
                "trigger",
                "create trigger t after update on cards begin select 1; end",
            ),
            "cards has a trigger (t)",
        ),
    ];
    let good = fs::read(dir.join("good.apkg")).unwrap();
    let truncated = dir.join("truncated.apkg");
    fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    cases.push((truncated, "not a valid Anki package"));
    let garbage_db = dir.join("garbage-db.apkg");
    fs::write(
        &garbage_db,
        zip_with(&[(
            "collection.anki2",
            b"SQLite format 3\0not really a database",
        )]),
    )
    .unwrap();
    cases.push((garbage_db, "not a valid Anki package"));
    let wrong_member = dir.join("anki21b.apkg");
    fs::write(&wrong_member, zip_with(&[("collection.anki21b", b"zstd")])).unwrap();
    cases.push((wrong_member, "collection.anki21b"));
    // The zip writer refuses a name twice, so the second name is made equal afterwards; the
    // CRCs cover the data, not the names.
    let twice = zip_with(&[
        ("collection.anki2", &good[..100]),
        ("collection.anki3", b"x"),
    ]);
    let twice = replace_bytes(&twice, b"collection.anki3", b"collection.anki2");
    let duplicate = dir.join("duplicate.apkg");
    fs::write(&duplicate, twice).unwrap();
    cases.push((duplicate, "an entry name appears twice"));

    for (file, message) in cases {
        let before = dir.entries();
        let (code, stdout, stderr) = run(deckforge()
            .current_dir(dir.path())
            .arg("inspect")
            .arg(&file)
            .arg("--json"));
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(&name) && stderr.contains(message),
            "{name}: expected {message:?} in {stderr}"
        );
        assert_eq!(dir.entries(), before, "{name}: nothing written");
    }
}

// ---------------------------------------------------------------------------------------------
// Crashes, full disks and concurrent builds
// ---------------------------------------------------------------------------------------------

/// Builds `source` into `out` (with its lock beside it) and returns the report's counts line.
fn build_report(source: &Path, out: &Path, fault: Option<&str>) -> (i32, String) {
    let mut command = deckforge();
    command
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(out);
    if let Some(fault) = fault {
        command.env("DECKFORGE_FAULT", fault);
    }
    let (code, _, stderr) = run(&mut command);
    let report = stderr
        .lines()
        .find(|l| l.starts_with("wrote "))
        .unwrap_or(&stderr)
        .to_string();
    (code, report)
}

/// A copy of the seed in `dir` with its first question reworded and one question added.
fn edit_seed(source: &Path) {
    let text = fs::read_to_string(source).unwrap();
    let edited = text.replacen("What is MLOps?", "What is MLOps, in one sentence?", 1);
    assert_ne!(edited, text);
    fs::write(source, edited).unwrap();
}

#[test]
fn a_build_killed_at_any_point_leaves_package_and_lock_agreeing() {
    // `written`: both temporary files complete, no journal yet; `before-renames`: the journal
    // written; `between-renames`: the package replaced, the lock not yet.
    for (point, recovered) in [
        ("written", false),
        ("before-renames", true),
        ("between-renames", true),
    ] {
        let dir = TempDir::new("hostile-kill");
        let source = seed_in(&dir);
        let out = dir.join("out.apkg");
        assert_eq!(build_report(&source, &out, None).0, 0);
        edit_seed(&source);
        let (code, _) = build_report(&source, &out, Some(&format!("abort:{point}")));
        assert_ne!(code, 0, "{point}: the build was killed");
        // The next build finishes what the killed one had committed to, or starts over.
        let (code, report) = build_report(&source, &out, None);
        assert_eq!(code, 0, "{point}: {report}");
        let expected = if recovered {
            "reworded 0, removed 0, unchanged 100"
        } else {
            "reworded 1, removed 0, unchanged 99"
        };
        assert!(report.contains(expected), "{point}: {report}");
        assert_no_temporary_files(dir.path());
        // Package and lock agree: one more build changes nothing.
        let (_, report) = build_report(&source, &out, None);
        assert!(report.contains("unchanged 100"), "{point}: {report}");
        let questions = dump_apkg(&out);
        assert!(
            format!("{questions:?}").contains("What is MLOps, in one sentence?"),
            "{point}"
        );
    }
}

#[test]
fn a_full_disk_while_writing_the_lock_replaces_neither_file() {
    let dir = TempDir::new("hostile-full");
    let source = seed_in(&dir);
    let out = dir.join("out.apkg");
    assert_eq!(build_report(&source, &out, None).0, 0);
    let lock = dir.join("mlops-interview-questions.deckforge.lock");
    let (package_before, lock_before) = (fs::read(&out).unwrap(), fs::read(&lock).unwrap());
    edit_seed(&source);
    let (code, report) = build_report(&source, &out, Some("full:lock"));
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("mlops-interview-questions.deckforge.lock"),
        "{report}"
    );
    assert_eq!(fs::read(&out).unwrap(), package_before, "package kept");
    assert_eq!(fs::read(&lock).unwrap(), lock_before, "lock kept");
    assert_no_temporary_files(dir.path());
    let (code, report) = build_report(&source, &out, None);
    assert_eq!(code, 0);
    assert!(report.contains("reworded 1"), "{report}");
}

#[test]
fn temporary_files_of_killed_builds_are_removed_and_others_kept() {
    let dir = TempDir::new("hostile-stale");
    let source = seed_in(&dir);
    let out = dir.join("out.apkg");
    let stale = [
        ".out.apkg.deckforge-999999-0.anki2",
        ".out.apkg.deckforge-999999-1.tmp",
        ".mlops-interview-questions.deckforge.lock.deckforge-999999-2.tmp",
    ];
    // Another target's temporary file may belong to a build running now; a file that only
    // looks similar is the author's.
    let kept = [
        ".other.apkg.deckforge-999999-0.tmp",
        ".out.apkg.deckforge-notes.tmp",
    ];
    for name in stale.iter().chain(&kept) {
        fs::write(dir.join(name), vec![0u8; 4096]).unwrap();
    }
    assert_eq!(build_report(&source, &out, None).0, 0);
    for name in stale {
        assert!(!dir.join(name).exists(), "{name} removed");
    }
    for name in kept {
        assert!(dir.join(name).exists(), "{name} kept");
    }
}

#[test]
fn a_second_build_of_the_deck_waits_for_the_first() {
    let dir = TempDir::new("hostile-concurrent");
    let source = seed_in(&dir);
    let out = dir.join("out.apkg");
    // The folder's lock, as a running build holds it.
    let folder = fs::File::open(dir.path()).unwrap();
    fs4::FileExt::lock(&folder).unwrap();
    let child = deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(!out.exists(), "the second build waits");
    fs4::FileExt::unlock(&folder).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("waiting for another deckforge build in the same folder to finish"),
        "{stderr}"
    );
    assert!(out.exists());
}

#[test]
fn an_output_name_of_240_bytes_builds_and_its_temporary_names_fit() {
    let dir = TempDir::new("hostile-long-name");
    let source = seed_in(&dir);
    let name = format!("{}.apkg", "n".repeat(235));
    let out = dir.join(&name);
    let (code, report) = build_report(&source, &out, None);
    assert_eq!(code, 0, "{report}");
    assert!(out.exists());
    assert_no_temporary_files(dir.path());
    // Past the file system's limit: a clear error naming the file, nothing left behind.
    let too_long = dir.join(&format!("{}.apkg", "n".repeat(260)));
    let (code, report) = build_report(&source, &too_long, None);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("File name too long"), "{report}");
    assert_no_temporary_files(dir.path());
}

// ---------------------------------------------------------------------------------------------
// Terminal safety
// ---------------------------------------------------------------------------------------------

#[test]
fn escape_sequences_from_sources_and_packages_never_reach_the_terminal() {
    let dir = TempDir::new("hostile-terminal");
    // OSC 52 writes the clipboard, CSI 2J clears the screen; `&#27;` is ESC once decoded.
    let mut text = String::from(
        "# Deck \x1b[31mred\n\n\
         1. **What is \x1b]52;c;aGVsbG8=\x07 this &#27;[31m red?**\n   - Answer: It is \x1b[2J cleared.\n\n",
    );
    for i in 0..30 {
        text.push_str(&format!(
            "{}. **Unanswered \x1b[5m question {i}?**\n\n",
            i + 2
        ));
    }
    let source = dir.join("e\x1b[1m.md");
    fs::write(&source, text).unwrap();
    let out = dir.join("e.apkg");
    let (code, stdout, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    for printed in [&stdout, &stderr] {
        assert!(
            !printed.contains('\x1b') && !printed.contains('\x07'),
            "{printed:?}"
        );
    }
    assert!(
        stderr.contains("Unanswered \\u{1b}[5m question 0?"),
        "{stderr}"
    );
    assert!(stderr.contains("e\\u{1b}[1m.md:"), "{stderr}");
    // 30 of one kind: the first 20, then a count.
    assert_eq!(
        stderr.matches("question has no answer").count(),
        21,
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: and 10 more like \"question has no answer and was left out\""),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(deckforge().arg("inspect").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("What is \\u{1b}]52;c;aGVsbG8=\\u{7} this \\u{1b}[31m red?"),
        "{stdout}"
    );
    let (code, stdout, _) = run(deckforge().arg("check").arg(&source));
    assert!(code == 0 || code == 1);
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(stdout.contains("\\u{1b}"), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs that are not regular files
// ---------------------------------------------------------------------------------------------

/// Runs `command` and fails the test if it has not finished within 20 seconds.
fn run_bounded(command: &mut std::process::Command) -> (i32, String, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() > 20 {
            child.kill().unwrap();
            panic!("still running after 20 s: {command:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn pipes_devices_and_huge_inputs_are_refused_at_once() {
    let dir = TempDir::new("hostile-inputs");
    let source = seed_in(&dir);
    let fifo = dir.join("fifo.md");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let out = dir.join("out.apkg");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec![fifo.as_os_str(), "-o".as_ref(), out.as_os_str()],
            "fifo.md: cannot read the input: it is a named pipe",
        ),
        (
            vec!["/dev/zero".as_ref(), "-o".as_ref(), out.as_os_str()],
            "/dev/zero: cannot read the input: it is a device, not a regular file",
        ),
        (
            vec![
                source.as_os_str(),
                "--lock".as_ref(),
                fifo.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ],
            "fifo.md: cannot write the lock file: it is a device or pipe",
        ),
    ];
    for (args, expected) in cases {
        let before = dir.entries();
        let (code, _, stderr) = run_bounded(deckforge().arg("build").args(&args));
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
        assert_eq!(dir.entries(), before, "nothing written");
    }
    let (code, stdout, _) = run_bounded(deckforge().arg("check").arg(&fifo));
    assert_eq!(code, 1);
    assert!(stdout.contains("it is a named pipe"), "{stdout}");
    // The size limit, lowered for the test.
    let (code, _, stderr) = run_bounded(
        deckforge()
            .env("DECKFORGE_MAX_INPUT_BYTES", "1000")
            .arg("build")
            .arg(&source)
            .arg("-o")
            .arg(&out),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("more than the 1000-byte limit (DECKFORGE_MAX_INPUT_BYTES raises it)"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[cfg(unix)]
#[test]
fn outputs_that_are_devices_or_symlinks_are_refused() {
    let dir = TempDir::new("hostile-outputs");
    let source = seed_in(&dir);
    let elsewhere = dir.join("elsewhere.csv");
    fs::write(&elsewhere, "mine").unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("link.csv")).unwrap();
    // `-` and /dev/stdout are standard output (tests/testsuite/stdio.rs).
    for (output, expected) in [
        ("/dev/null", "it is a device or pipe, not a regular file"),
        ("link.csv", "it is a symbolic link"),
    ] {
        let (code, stdout, stderr) = run_bounded(
            deckforge()
                .current_dir(dir.path())
                .arg("build")
                .arg(&source)
                .args(["--no-lock", "--preset", "plain", "-o", output]),
        );
        assert_eq!(code, 1, "{output}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(expected), "{output}: {stderr}");
    }
    assert!(!dir.join("-").exists());
    assert!(
        fs::symlink_metadata(dir.join("link.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "mine");
    assert!(
        fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_template_naming_an_unknown_field_fails_the_build_with_file_and_line() {
    let dir = TempDir::new("hostile-template");
    let source = seed_in(&dir);
    let design = dir.join("design");
    fs::create_dir(&design).unwrap();
    fs::write(
        design.join("front.html"),
        "<div>\n{{Question}}\n<span>{{Nope}}</span>\n</div>\n",
    )
    .unwrap();
    let out = dir.join("out.apkg");
    assert_build_fails(
        &dir,
        &[
            source.as_os_str(),
            "--templates".as_ref(),
            design.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        "front.html:3: {{Nope}} names no field of the note type; its fields are Question, Answer",
    );
    fs::write(design.join("front.html"), "{{#Section}}{{Section}}\n").unwrap();
    assert_build_fails(
        &dir,
        &[
            source.as_os_str(),
            "--templates".as_ref(),
            design.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        "front.html:1: {{#Section}} is never closed",
    );
    fs::write(design.join("front.html"), "{{text:Question}} {{Tags}}\n").unwrap();
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--templates")
        .arg(&design)
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
}

/// MathJax 3 from npm, installed once under the target folder; `None` without npm.
fn mathjax() -> PathBuf {
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mathjax");
    let script = prefix.join("node_modules/mathjax/es5/tex-chtml.js");
    if !script.exists() {
        let remedy = format!(
            "install npm, or run `npm install --prefix {} mathjax@3`",
            prefix.display()
        );
        crate::support::before_installing(
            &format!(
                "MathJax 3 from npm into {} (about 25 MB, once)",
                prefix.display()
            ),
            &remedy,
        );
        let installed = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("mathjax@3")
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()) && script.exists(),
            "the MathJax test could not install MathJax: {remedy}"
        );
    }
    script
}

/// The `<mjx-math>` element MathJax typeset inside the element with id `id` of `dom`.
fn typeset_math<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom.find(&format!("id=\"{id}\"")).unwrap();
    let math = start
        + dom[start..]
            .find("<mjx-math")
            .expect("MathJax typeset the math");
    let end = math + dom[math..].find("</mjx-math>").unwrap();
    &dom[math..end]
}

#[test]
fn mathjax_renders_the_emitted_math_without_links_or_styles() {
    let (browser, mathjax) = (crate::preview::chromium(), mathjax());
    let dir = TempDir::new("hostile-mathjax");
    let attack = r"$\href{javascript:alert(1)}{\style{position:fixed;top:0;left:0;width:100vw;height:100vh;opacity:0}{x}} \class{c}{y} \cssId{i}{z} \unicode{x41}$";
    let source = dir.join("math.md");
    fs::write(
        &source,
        format!("# Math\n\n1. **Which math?**\n   - Answer: See {attack} here.\n"),
    )
    .unwrap();
    let out = dir.join("math.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("--no-lock")
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let answer = dump_apkg(&out)["notes"][0]["fields"][1]
        .as_str()
        .unwrap()
        .to_string();
    // The same math as an author would write it, unprotected: proof that this MathJax acts
    // on these commands, so finding nothing below means something.
    let raw = attack.trim_matches('$');
    let page = dir.join("page.html");
    fs::write(
        &page,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><script>window.MathJax = {{tex: \
             {{displayMath: [[\"\\\\[\", \"\\\\]\"]], processEscapes: false}}}};</script>\
             <script src=\"file://{}\"></script></head><body><div id=\"emitted\">{answer}</div>\
             <div id=\"raw\">\\({raw}\\)</div></body></html>",
            mathjax.display()
        ),
    )
    .unwrap();
    let dom = crate::preview::run_chromium(
        browser,
        &dir,
        &[
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ],
        &format!("file://{}", page.display()),
    );
    let unprotected = typeset_math(&dom, "raw");
    assert!(
        unprotected.contains("href=\"javascript:alert(1)\""),
        "{unprotected}"
    );
    assert!(unprotected.contains("style=\""), "{unprotected}");
    let emitted = typeset_math(&dom, "emitted");
    assert!(!emitted.contains("href"), "a link: {emitted}");
    assert!(!emitted.contains("style="), "a style attribute: {emitted}");
    assert!(
        !emitted.contains("class=\"c\"") && !emitted.contains("id=\"i\""),
        "{emitted}"
    );
}
