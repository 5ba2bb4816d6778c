//! Output writers: each takes the finished [`Package`](crate::model::Package) and writes one format atomically.

pub mod anki_text;
pub mod apkg;
pub mod atomic;
pub mod csv;

use std::path::Path;

use crate::error::{Error, Result};

/// The file formats deckforge writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Anki package (`.apkg`).
    Apkg,
    /// Anki text import with file headers (`.csv`).
    AnkiCsv,
}

impl OutputFormat {
    /// Picks the format from the output file's extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("apkg") => Ok(OutputFormat::Apkg),
            Some("csv") => Ok(OutputFormat::AnkiCsv),
            _ => Err(Error::UnknownOutputFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}
