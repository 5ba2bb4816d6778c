//! deckforge turns question-and-answer Markdown into spaced-repetition decks: Anki packages
//! (`.apkg`) and Anki CSV files whose notes keep stable identities across rebuilds, so
//! re-importing an edited deck updates notes in place and keeps their review history.
//!
//! The data flows through one module per stage:
//!
//! - [`source`]: Markdown files → [`source::CardDraft`]s (question, answer, section, line);
//! - [`identity`]: normalised questions → stable GUIDs and ids;
//! - [`render`]: card Markdown → sanitised HTML fields;
//! - [`model`]: the finished [`model::Package`], plain data;
//! - [`write`]: the package → `.apkg` or CSV, written atomically;
//! - [`check`]: what is wrong with a document, for `deckforge check` and `build`.
//!
//! [`build::build`] runs the whole pipeline. The library never prints and never exits: it
//! returns a [`build::BuildReport`] with [`Diagnostic`]s, or an [`Error`] naming the file.
//!
//! ```no_run
//! use deckforge::build::{BuildOptions, build};
//!
//! let report = build(&BuildOptions {
//!     inputs: vec!["examples/mlops-interview-questions.md".into()],
//!     output: "mlops.apkg".into(),
//!     deck_name: None,
//!     deck_id: None,
//!     subdecks: false,
//!     allow_html: false,
//!     strict: false,
//!     now: 1_700_000_000,
//!     templates: Default::default(),
//!     layout: Default::default(),
//! })?;
//! assert_eq!(report.notes, 100);
//! # Ok::<(), deckforge::Error>(())
//! ```

pub mod build;
pub mod check;
pub mod diagnostic;
pub mod error;
pub mod identity;
pub mod model;
pub mod render;
pub mod source;
pub mod templates;
pub mod write;

pub use diagnostic::{Diagnostic, Severity};
pub use error::{Error, Result};
