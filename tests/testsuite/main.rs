//! deckforge's integration tests: one binary, one module per area.

mod presets;
mod support;
