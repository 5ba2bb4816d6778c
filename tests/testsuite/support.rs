//! Shared helpers for the integration tests: running the binary, temporary folders, golden
//! files, reading packages back, and the real Anki engine in a cached virtual environment.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use deckforge::source::{self, Document, LayoutChoice};
use serde_json::{Value, json};

/// The build time every test uses, so outputs are reproducible.
pub const EPOCH: &str = "1700000000";

/// The pinned Anki engine the round-trip tests import with.
pub const ANKI_VERSION: &str = "26.9.3";

/// A path inside the repository.
pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The seed document shipped as the bundled example.
pub fn seed() -> PathBuf {
    repo("examples/mlops-interview-questions.md")
}

/// A copy of the seed in `dir`, so its lock file lands there and tests stay independent.
pub fn seed_in(dir: &TempDir) -> PathBuf {
    let copy = dir.join("mlops-interview-questions.md");
    fs::copy(seed(), &copy).expect("copy the seed");
    copy
}

/// Builds a copy of the seed in `dir` into `dir/name` (the format from its extension) and
/// returns the output's path; the build must succeed.
pub fn build_seed(dir: &TempDir, name: &str) -> PathBuf {
    let out = dir.join(name);
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(seed_in(dir))
        .arg("-o")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    out
}

/// The `deckforge` binary with a scrubbed, reproducible environment.
pub fn deckforge() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deckforge"));
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.env("SOURCE_DATE_EPOCH", EPOCH);
    command
}

/// Runs a command and returns (exit code, stdout, stderr).
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A folder under `target/` removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// File names in the folder, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .expect("read the folder")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Compares `actual` with the golden file at `relative`; `SNAPSHOTS=overwrite` re-blesses it.
pub fn assert_golden(relative: &str, actual: &str) {
    let path = repo(relative);
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("missing golden file {relative}; run with SNAPSHOTS=overwrite to create it")
    });
    if expected != actual {
        let first_difference = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .unwrap_or_else(|| "the files differ in length".to_string());
        panic!(
            "{relative} does not match ({first_difference}); run with SNAPSHOTS=overwrite after reviewing"
        );
    }
}

/// Reads an `.apkg` back: its zip members and the collection's content as JSON (never raw bytes).
pub fn dump_apkg(path: &Path) -> Value {
    let file = fs::File::open(path).expect("open the package");
    let mut zip = zip::ZipArchive::new(file).expect("the package is a zip");
    let members: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    let mut media = String::new();
    zip.by_name("media")
        .expect("a media member")
        .read_to_string(&mut media)
        .unwrap();
    let scratch = TempDir::new("dump");
    let db_path = scratch.join("collection.anki2");
    let mut db_bytes = Vec::new();
    zip.by_name("collection.anki2")
        .expect("a collection.anki2 member")
        .read_to_end(&mut db_bytes)
        .unwrap();
    fs::write(&db_path, db_bytes).unwrap();
    let db = rusqlite::Connection::open(&db_path).unwrap();
    let (ver, models, decks): (i64, String, String) = db
        .query_row("select ver, models, decks from col", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    let mut statement = db
        .prepare("select n.guid, n.id, n.mid, n.mod, n.tags, n.flds, n.sfld, n.csum, c.id, c.did, c.ord, c.due from notes n join cards c on c.nid = n.id order by c.due, c.ord")
        .unwrap();
    let notes: Vec<Value> = statement
        .query_map([], |r| {
            let fields: String = r.get(5)?;
            Ok(json!({
                "guid": r.get::<_, String>(0)?, "id": r.get::<_, i64>(1)?, "mid": r.get::<_, i64>(2)?,
                "mod": r.get::<_, i64>(3)?, "tags": r.get::<_, String>(4)?,
                "fields": fields.split('\x1f').collect::<Vec<_>>(),
                "sfld": r.get::<_, String>(6)?, "csum": r.get::<_, i64>(7)?,
                "card": {"id": r.get::<_, i64>(8)?, "did": r.get::<_, i64>(9)?, "ord": r.get::<_, i64>(10)?, "due": r.get::<_, i64>(11)?},
            }))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let card_count: i64 = db
        .query_row("select count(*) from cards", [], |r| r.get(0))
        .unwrap();
    json!({
        "members": members,
        "media": serde_json::from_str::<Value>(&media).unwrap(),
        "ver": ver,
        "models": serde_json::from_str::<Value>(&models).unwrap(),
        "decks": serde_json::from_str::<Value>(&decks).unwrap(),
        "notes": notes,
        "card_count": card_count,
    })
}

/// Set (to anything but `0`) to forbid every install the tests would make; a test that needs
/// what is missing then fails, naming it and how to provide it.
pub const NO_INSTALL: &str = "DECKFORGE_NO_INSTALL";

fn installs_forbidden() -> bool {
    std::env::var_os(NO_INSTALL).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Called right before a test installs `what` (named with where it comes from, its size and
/// how long it takes): announces it on the terminal, or with `DECKFORGE_NO_INSTALL` set
/// fails the test naming `what` and `remedy`, the way to provide it by hand.
pub fn before_installing(what: &str, remedy: &str) {
    if installs_forbidden() {
        panic!("{what} is missing, and {NO_INSTALL} forbids installing it: {remedy}");
    }
    // libtest captures `eprintln!` of a passing test (shown only with --nocapture), but not
    // writes to the standard error handle itself: this shows while the install runs.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\ndeckforge tests: installing {what}; set {NO_INSTALL}=1 to fail instead ({remedy})"
    );
}

/// The Python interpreter of a virtual environment with the pinned `anki` package, created
/// under `target/` on first use (announced first; see [`before_installing`]). A missing Python
/// or pip fails loudly: never a silent skip.
pub fn anki_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("anki-venv-{ANKI_VERSION}"));
        let python = venv.join("bin").join("python");
        let ready = venv.join(".deckforge-ready");
        if ready.exists() {
            return python;
        }
        let system_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
        before_installing(
            &format!(
                "the real-Anki environment {} (anki=={ANKI_VERSION} from PyPI, about 65 MB and a minute, once)",
                venv.display()
            ),
            &format!(
                "create it with `{system_python} -m venv DIR && DIR/bin/pip install anki=={ANKI_VERSION}`, \
                 then `echo {ANKI_VERSION} > DIR/.deckforge-ready`"
            ),
        );
        let created = Command::new(&system_python).args(["-m", "venv"]).arg(&venv).status();
        match created {
            Ok(status) if status.success() => {}
            other => panic!(
                "the real-Anki tests need `{system_python} -m venv` (Python 3.9+ with venv and pip) \
                 to create {}; got {other:?}. Install python3 and python3-venv, or set PYTHON.",
                venv.display()
            ),
        }
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("anki=={ANKI_VERSION}"))
            .status();
        match installed {
            Ok(status) if status.success() => {}
            other => panic!("pip could not install anki=={ANKI_VERSION} into {}: {other:?}", venv.display()),
        }
        fs::write(&ready, ANKI_VERSION).unwrap();
        python
    })
}

/// Runs `tests/anki/anki_check.py` on a collection with the given steps (`apkg:PATH`,
/// `csv:PATH`, `study:7!`) and returns its JSON; panics if Anki refused an import.
pub fn anki_check(collection: &Path, steps: &[String]) -> Value {
    let output = Command::new(anki_python())
        .arg(repo("tests/anki/anki_check.py"))
        .arg(collection)
        .args(steps)
        .output()
        .expect("run anki_check.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "anki_check.py printed no JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        value.get("error").is_none(),
        "Anki refused an import: {}",
        value["error"]
    );
    assert!(
        output.status.success(),
        "anki_check.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    value
}

/// What a reader sees in the seed, found line by line, independently of deckforge's parser.
#[derive(Debug, Clone)]
pub struct ExpectedCard {
    pub number: u32,
    pub question: String,
    pub section: String,
    /// Every line of the answer with list markers, labels and bold markers removed.
    pub answer_fragments: Vec<String>,
}

pub fn seed_expectations() -> Vec<ExpectedCard> {
    let text = fs::read_to_string(seed()).unwrap();
    let mut cards: Vec<ExpectedCard> = Vec::new();
    let mut section = String::new();
    let mut in_answer = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(heading) = trimmed.strip_prefix("### ") {
            section = heading.trim_matches('*').to_string();
            in_answer = false;
            continue;
        }
        if trimmed.starts_with("---") {
            in_answer = false;
            continue;
        }
        let numbered = trimmed.split_once(".  ").filter(|(n, rest)| {
            n.chars().all(|c| c.is_ascii_digit()) && rest.starts_with("**") && rest.ends_with("**")
        });
        if let Some((number, rest)) = numbered {
            cards.push(ExpectedCard {
                number: number.parse().unwrap(),
                question: rest.trim_matches('*').to_string(),
                section: section.clone(),
                answer_fragments: Vec::new(),
            });
            in_answer = false;
            continue;
        }
        let mut content = trimmed.trim_start_matches('-').trim();
        if let Some(after) = content.strip_prefix("**Answer:**") {
            in_answer = true;
            content = after.trim();
        }
        if in_answer && !content.is_empty() {
            let fragment = content.replace("**", "");
            cards.last_mut().unwrap().answer_fragments.push(fragment);
        }
    }
    cards
}

/// The text of an HTML field as a reader sees it: tags removed, entities decoded, spaces collapsed.
pub fn visible_text(html: &str) -> String {
    const BLOCKS: [&str; 14] = [
        "p", "li", "ul", "ol", "br", "div", "hr", "pre", "tr", "td", "th", "h1", "h2", "h3",
    ];
    let mut text = String::new();
    let mut tag: Option<String> = None;
    for c in html.chars() {
        match (&mut tag, c) {
            (None, '<') => tag = Some(String::new()),
            (Some(name), '>') => {
                let name = name.trim_start_matches('/');
                let name = name
                    .split([' ', '/'])
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if BLOCKS.contains(&name.as_str()) {
                    text.push(' ');
                }
                tag = None;
            }
            (Some(name), c) => name.push(c),
            (None, c) => text.push(c),
        }
    }
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that the note fields (by field name) show exactly what the seed says for every question.
pub fn assert_matches_seed(notes: &[Value], field_of: impl Fn(&Value, &str) -> String) {
    let expected = seed_expectations();
    assert_eq!(
        expected.len(),
        100,
        "the independent reader sees 100 questions"
    );
    assert_eq!(notes.len(), 100);
    for card in &expected {
        let note = notes
            .iter()
            .find(|n| visible_text(&field_of(n, "Question")) == card.question)
            .unwrap_or_else(|| panic!("no note for Q{}: {}", card.number, card.question));
        assert_eq!(
            visible_text(&field_of(note, "Section")),
            card.section,
            "section of Q{}",
            card.number
        );
        assert_eq!(field_of(note, "Number"), card.number.to_string());
        let answer = visible_text(&field_of(note, "Answer"));
        assert!(!answer.is_empty(), "Q{} has an empty answer", card.number);
        assert!(
            !answer.starts_with("Answer"),
            "Q{} keeps its label: {answer}",
            card.number
        );
        for fragment in &card.answer_fragments {
            let fragment = fragment.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                answer.contains(&fragment),
                "Q{} answer lacks {fragment:?}; it is {answer:?}",
                card.number
            );
        }
    }
}

// Layout and corpus helpers.

/// The repository root, where `tests/fixtures` and `examples` live.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads and parses a fixture, detecting its layout.
pub fn parse_fixture(relative: &str) -> Document {
    let path = root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    source::parse_with(Path::new(relative), &text, LayoutChoice::Auto)
}

/// The cards and left-out questions of a document as JSON, for golden files.
pub fn document_json(document: &Document) -> Value {
    json!({
        "layout": document.layout.map(|l| l.name()),
        "cards": document.cards.iter().map(|card| {
            let mut value = json!({
                "line": card.line,
                "number": card.number,
                "section": card.section,
                "question": card.question,
                "answer": card.answer,
            });
            if let Some(link) = &card.source_link {
                value["source_link"] = json!(link);
            }
            if !card.tags.is_empty() {
                value["tags"] = json!(card.tags);
            }
            value
        }).collect::<Vec<_>>(),
        "left_out": document.diagnostics.iter().map(|d| format!("{}: {}", d.line, d.message)).collect::<Vec<_>>(),
    })
}

/// Compares `actual` with the golden file at `expected` (relative to the root), showing the
/// first differing lines. `SNAPSHOTS=overwrite` rewrites the golden file instead.
pub fn assert_golden_json(expected: &str, actual: &Value) {
    let path = root().join(expected);
    let actual = serde_json::to_string_pretty(actual).expect("JSON") + "\n";
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with SNAPSHOTS=overwrite to create it",
            path.display()
        )
    });
    if golden == actual {
        return;
    }
    let want: Vec<&str> = golden.lines().collect();
    let got: Vec<&str> = actual.lines().collect();
    let first = want
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let from = first.saturating_sub(3);
    let mut report = format!(
        "{} differs from the extracted cards at line {} (- golden, + actual; SNAPSHOTS=overwrite re-blesses):\n",
        path.display(),
        first + 1
    );
    for line in &want[from..(first + 6).min(want.len())] {
        report.push_str(&format!("- {line}\n"));
    }
    for line in &got[from..(first + 6).min(got.len())] {
        report.push_str(&format!("+ {line}\n"));
    }
    panic!("{report}");
}

/// A child process killed when dropped, its standard error collected.
pub struct Running {
    child: std::process::Child,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Running {
    pub fn spawn(command: &mut Command) -> Running {
        let mut child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start the child");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = std::sync::Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Running { child, stderr }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until `text` appears `count` times on standard error.
    pub fn wait_for(&self, text: &str, count: usize) {
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(60) {
            if self.stderr().matches(text).count() >= count {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!(
            "never printed {text:?} {count} time(s); printed:\n{}",
            self.stderr()
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
