//! `deckforge check` and the diagnostics `build` prints.
