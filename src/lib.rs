//! deckforge turns question-and-answer Markdown into spaced-repetition decks: Anki packages
//! (`.apkg`) and Anki CSV files whose notes keep stable identities across rebuilds, so
//! re-importing an edited deck updates notes in place and keeps their review history.
//!
//! The data flows through one module per stage:
//!
//! - [`source`]: Markdown files → [`source::CardDraft`]s (question, answer, section, line);
//! - [`identity`] and [`lock`]: normalised questions and the previous build → stable GUIDs,
//!   modification times and a change report;
//! - [`render`]: card Markdown → sanitised HTML fields, or plain text for apps without HTML;
//! - [`model`]: the deck as plain data: note types as values ([`model::NoteType`]), decks and
//!   media ([`model::DeckMeta`]), and the notes a writer pulls one at a time
//!   ([`model::NoteSource`]);
//! - [`write`](mod@write): the deck → `.apkg`, Anki CSV or another app's text format, written
//!   atomically; a build hands the `.apkg` writer its notes one at a time, rendering each as it
//!   is written;
//! - [`check`]: what is wrong with a document, for `deckforge check` and `build`.
//!
//! Around the pipeline, for deck authors:
//!
//! - [`preview`]: every card rendered through the note type's templates on one HTML page;
//! - [`config`]: `deckforge.toml`, the decks of a project and their options;
//! - [`inspect`] and [`diff`]: read packages back and compare versions of a deck;
//! - [`push`] (over [`anki_connect`]): deliver a build into a running Anki;
//! - [`watch`]: which decks a changed file affects, for rebuilding as the author saves;
//! - [`serve`]: the preview page served locally, its math as MathML, reloading on rebuilds.
//!
//! [`build::build`] runs the whole pipeline. The library never prints and never exits: it
//! returns a [`build::BuildReport`] with [`Diagnostic`]s, or an [`Error`] naming the file.
//!
//! ```no_run
//! use deckforge::build::{BuildOptions, build};
//!
//! let options = BuildOptions::new(
//!     vec!["examples/mlops-interview-questions.md".into()],
//!     "mlops.apkg".into(),
//!     1_700_000_000, // the build time; pass SOURCE_DATE_EPOCH for reproducible output
//! );
//! let report = build(&options)?;
//! assert_eq!(report.notes, 100);
//! println!("{}", report.summary()); // added 100, updated 0, ...
//! # Ok::<(), deckforge::Error>(())
//! ```

// `rust-version` 1.89 (the dependencies' real floor) turns on two style lints that the code,
// written against 1.85, predates: let-chains for nested `if let` and `is_multiple_of`. They are
// allowed until the modules being refactored in parallel have settled, rather than rewriting
// nineteen places in other people's files at once.
#![allow(clippy::collapsible_if, clippy::manual_is_multiple_of)]

pub mod anki_connect;
pub mod build;
pub mod check;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod error;
mod html;
pub mod identity;
pub mod input;
pub mod inspect;
pub mod lock;
pub mod model;
pub mod preview;
pub mod progress;
pub mod push;
pub mod render;
pub mod serve;
pub mod source;
pub mod templates;
pub mod watch;
pub mod write;

pub use diagnostic::{Diagnostic, Severity};
pub use error::{Error, Result};
