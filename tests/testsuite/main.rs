//! deckforge's integration tests: one binary, one module per area.

// The author's command line: help, completions, verbosity, diagnostics, templates, projects.
mod author;
// Round trips through the real Anki engine (creates target/tmp/anki-venv-* on first run).
mod anki;
// Exit codes, error messages and untouched outputs on failure.
mod cli;
// inspect and diff, including hostile packages.
mod inspect;
// Contents of the .apkg against a golden dump.
mod package;
// Edit, study, rebuild, re-import: updates merge in the real Anki engine.
mod rebuild;
// The preview page, in a real browser.
mod preview;
// Each export preset read back by an independent parser and held to its app's rules.
mod presets;
// Helpers: running the binary, golden files, reading packages, the Anki environment.
mod support;

// Layout golden files: tests/fixtures/layouts/<layout>/{input.md,expected.json}.
mod layouts;
// The real documents in tests/fixtures/corpus: counts, spot-checked answers, no clutter.
mod corpus;
// `deckforge check` and the diagnostics `build` prints.
mod check;
