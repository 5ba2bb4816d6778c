//! A real AnkiConnect-compatible server on the real Anki engine for the push and watch tests:
//! PyPI's `anki-connect-server` in its own virtual environment under target/, started by
//! tests/connect/server.py on a free port of 127.0.0.1 with a throwaway collection, and killed
//! when the test's handle is dropped, so none is ever left running.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use deckforge::anki_connect::Client;
use serde_json::{Value, json};

use crate::support::{ANKI_VERSION, TempDir, repo};

/// The server the tests run; 0.5.0 is the version whose one mismatch with anki 26 the
/// harness replaces (see tests/connect/server.py).
const SERVER_VERSION: &str = "0.5.0";

/// The Python of a virtual environment with anki-connect-server, created on first use from
/// Python 3.12 (the server needs 3.12 or later): `$CONNECT_PYTHON`, else `python3.12` with
/// pyenv's 3.12.1 selected. A missing Python fails the tests loudly, never skips them.
fn connect_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("connect-venv-{SERVER_VERSION}-anki-{ANKI_VERSION}"));
        let python = venv.join("bin").join("python");
        let ready = venv.join(".deckforge-ready");
        if ready.exists() {
            return python;
        }
        let base = std::env::var("CONNECT_PYTHON").unwrap_or_else(|_| "python3.12".to_string());
        crate::support::before_installing(
            &format!(
                "the push tests' environment {} (anki-connect-server=={SERVER_VERSION} and \
                 anki=={ANKI_VERSION} from PyPI into `{base}`, Python 3.12+; about 180 MB and a minute, once)",
                venv.display()
            ),
            &format!(
                "create it with `{base} -m venv DIR && DIR/bin/pip install \
                 anki-connect-server=={SERVER_VERSION} anki=={ANKI_VERSION} httpx`, then \
                 `echo {SERVER_VERSION} > DIR/.deckforge-ready`"
            ),
        );
        let mut create = Command::new(&base);
        if std::env::var_os("PYENV_VERSION").is_none() {
            create.env("PYENV_VERSION", "3.12.1");
        }
        let created = create.args(["-m", "venv", "--clear"]).arg(&venv).status();
        match created {
            Ok(status) if status.success() => {}
            other => panic!(
                "the push tests need Python 3.12 or later to create {}: `{base} -m venv` gave \
                 {other:?}. Install it (pyenv install 3.12.1) or set CONNECT_PYTHON",
                venv.display()
            ),
        }
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(format!("anki-connect-server=={SERVER_VERSION}"))
            .arg(format!("anki=={ANKI_VERSION}"))
            // The server imports httpx without declaring it.
            .arg("httpx")
            .status();
        match installed {
            Ok(status) if status.success() => {}
            other => panic!(
                "pip could not install anki-connect-server into {}: {other:?}",
                venv.display()
            ),
        }
        fs::write(&ready, SERVER_VERSION).unwrap();
        python
    })
}

/// A running server; killed (and its collection removed) when dropped.
pub struct ConnectServer {
    child: Child,
    pub url: String,
    log: PathBuf,
    _dir: TempDir,
}

impl ConnectServer {
    pub fn start() -> ConnectServer {
        let dir = TempDir::new("connect");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = dir.join("server.log");
        let child = Command::new(connect_python())
            .arg(repo("tests/connect/server.py"))
            .arg(dir.join("collection.anki2"))
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).unwrap())
            .stderr(fs::File::create(dir.join("server.err")).unwrap())
            .spawn()
            .expect("start the AnkiConnect server");
        let server = ConnectServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(90) {
            if self.client().check_version().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "the AnkiConnect server did not answer within 90 s; its output:\n{}\n{}",
            fs::read_to_string(&self.log).unwrap_or_default(),
            fs::read_to_string(self.log.with_file_name("server.err")).unwrap_or_default()
        );
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url, Duration::from_secs(30))
    }

    /// Runs an action, panicking on an error.
    pub fn call(&self, action: &str, params: Value) -> Value {
        self.client()
            .request(action, params)
            .unwrap_or_else(|e| panic!("{action}: {e}"))
    }

    /// Every note Anki holds: question text, deck of its first card, tags, fields.
    pub fn notes(&self) -> Vec<HeldNote> {
        let ids = self.call("findNotes", json!({"query": ""}));
        let info = self.call("notesInfo", json!({ "notes": ids }));
        let cards = self.call("findCards", json!({"query": ""}));
        let cards = self.call("cardsInfo", json!({ "cards": cards }));
        info.as_array()
            .unwrap()
            .iter()
            .map(|note| {
                let id = note["noteId"].as_i64().unwrap();
                let field = |name: &str| {
                    note["fields"][name]["value"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                };
                HeldNote {
                    id,
                    question: crate::support::visible_text(&field("Question")),
                    answer: crate::support::visible_text(&field("Answer")),
                    model: note["modelName"].as_str().unwrap().to_string(),
                    tags: note["tags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap().to_string())
                        .collect(),
                    decks: cards
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|c| c["note"].as_i64() == Some(id))
                        .map(|c| c["deckName"].as_str().unwrap().to_string())
                        .collect(),
                }
            })
            .collect()
    }

    /// The note whose question is `question`; panics if there is none.
    pub fn note(&self, question: &str) -> HeldNote {
        let notes = self.notes();
        notes
            .iter()
            .find(|n| n.question == question)
            .cloned()
            .unwrap_or_else(|| panic!("Anki holds no note {question:?}; it holds {notes:#?}"))
    }
}

impl Drop for ConnectServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A note as the server reports it.
#[derive(Debug, Clone)]
pub struct HeldNote {
    pub id: i64,
    pub question: String,
    pub answer: String,
    pub model: String,
    pub tags: Vec<String>,
    /// The decks of its cards (none for a note without cards).
    pub decks: Vec<String>,
}
