//! deckforge's integration tests: one binary, one module per area.

// A test binary has no API: its modules share helpers with `pub`.
#![allow(unreachable_pub)]

// The author's command line: help, completions, verbosity, diagnostics, templates, projects.
mod author;
// Round trips through the real Anki engine (creates target/tmp/anki-venv-* on first run).
mod anki;
// Exit codes, error messages and untouched outputs on failure.
mod cli;
// Bad and hostile input: clear errors, pathological documents, sanitised HTML, media rules,
// malformed packages.
mod hostile;
// Media streamed into the package; remote images downloaded on request from a local server.
mod media;
// Standard input as INPUT, standard output as OUT.
mod stdio;
// Every kind of card: tags, highlighted code, sound, extra fields, in the real Anki engine.
mod kinds;
// inspect and diff, including hostile packages.
mod inspect;
// Identity under look-alike text and large edits, with a lock from the previous release.
mod identity;
// Contents of the .apkg against a golden dump.
mod package;
// Property tests: any input builds or fails with an error; GUIDs survive formatting noise.
mod properties;
// Edit, study, rebuild, re-import: updates merge in the real Anki engine.
mod rebuild;
// The preview page, in a real browser.
mod preview;
// Each export preset read back by an independent parser and held to its app's rules.
mod presets;
// deckforge push into a real AnkiConnect-compatible server on the real Anki engine.
mod push;
// deckforge watch as a child process, with and without --push.
mod watch;
// deckforge serve: the preview page on 127.0.0.1, in headless Chromium.
mod serve;
// That server, in its own venv under target/tmp/, started and killed by each test.
mod connect;
// A new user's first steps: --help snapshots, init, man, folder and glob inputs.
mod start;
// Helpers: running the binary, golden files, reading packages, the Anki environment.
mod support;

// Layout golden files: tests/fixtures/layouts/<layout>/{input.md,expected.json}.
mod layouts;
// The real documents in tests/fixtures/corpus: counts, spot-checked answers, no clutter.
mod corpus;
// `deckforge check` and the diagnostics `build` prints.
mod check;
// Documents in layouts beyond the corpus, each against an expected list written by hand:
// precision and recall per document.
mod wild;
