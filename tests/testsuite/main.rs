//! deckforge's integration tests: one binary, one module per area.

mod support;

// Layout golden files: tests/fixtures/layouts/<layout>/{input.md,expected.json}.
mod layouts;
// The real documents in tests/fixtures/corpus: counts, spot-checked answers, no clutter.
mod corpus;
// `deckforge check` and the diagnostics `build` prints.
mod check;
