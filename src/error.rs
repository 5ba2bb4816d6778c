//! Why a build failed: one error type whose messages name the file, and the line when known.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Everything that can stop deckforge from producing output.
///
/// Every variant that concerns a file carries its path, so the command line can print
/// one self-contained message such as `notes.md:12: ...`.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    /// An input file is not valid UTF-8; `line` and `byte` locate the first bad byte.
    NotUtf8 {
        path: PathBuf,
        line: usize,
        byte: usize,
    },
    /// An input held nothing deckforge could turn into a card.
    NoQuestions { path: PathBuf, reason: String },
    /// The output's folder does not exist.
    OutputFolderMissing { path: PathBuf },
    /// The output path (or the lock path) is an existing folder, not a file.
    OutputIsFolder { path: PathBuf },
    /// The output path's extension names no format deckforge writes.
    UnknownOutputFormat { path: PathBuf },
    /// An option for text outputs (a preset, a BOM) was given for an `.apkg` output: a usage
    /// mistake, reported before anything is read.
    TextOptionOnPackage {
        path: PathBuf,
        option: String,
        hint: String,
    },
    /// An input's content is wrong as a whole (a package that is not one, a damaged lock),
    /// with no line to point at.
    Malformed { path: PathBuf, message: String },
    /// An input could not be understood at a known place.
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// Writing the Anki collection failed inside SQLite.
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// `--strict` turned warnings into errors; the warnings are carried for printing.
    Strict {
        diagnostics: Vec<crate::diagnostic::Diagnostic>,
    },
    /// `--locked` was given and the build would change the lock file.
    LockOutdated { path: PathBuf },
    /// A file deckforge was asked to create exists already, and overwriting was not allowed.
    WouldOverwrite { path: PathBuf },
    /// The deck id given differs from the one the lock was written for: every note would change
    /// note type under it in Anki.
    DeckIdChanged {
        lock: PathBuf,
        locked: String,
        given: String,
    },
    /// The output path names a file the build reads (`role`: an input, the lock, a template,
    /// an image).
    OutputIsInput { path: PathBuf, role: &'static str },
    /// A project configuration (`deckforge.toml`) is invalid at a known place.
    Config {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, action: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

impl Error {
    /// The line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::NotUtf8 { line, .. } | Error::Syntax { line, .. } => Some(*line),
            Error::Config { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// What went wrong in this file: the message without the path and line that
    /// [`Display`](fmt::Display) puts in front, for reports that show those apart.
    pub fn detail(&self) -> String {
        match self {
            Error::Syntax { message, .. } | Error::Malformed { message, .. } => message.clone(),
            Error::Config { message, .. } => message.clone(),
            Error::NotUtf8 { byte, .. } => {
                format!("not valid UTF-8 (first bad byte at offset {byte}); save the file as UTF-8")
            }
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                path,
                action,
                source,
            } => write!(f, "{}: cannot {action}: {source}", path.display()),
            Error::NotUtf8 { path, line, .. } => {
                write!(f, "{}:{line}: {}", path.display(), self.detail())
            }
            Error::Malformed { path, message } => write!(f, "{}: {message}", path.display()),
            Error::NoQuestions { path, reason } => {
                write!(f, "{}: no questions found: {reason}", path.display())
            }
            Error::OutputFolderMissing { path } => write!(
                f,
                "{}: the output folder does not exist; create it first",
                path.display()
            ),
            Error::OutputIsFolder { path } => write!(
                f,
                "{}: is a folder; name a file to write, such as {}",
                path.display(),
                path.join("deck.apkg").display()
            ),
            Error::UnknownOutputFormat { path } => write!(
                f,
                "{}: cannot tell the output format; use a .apkg or .csv extension, or name a \
                 text format with --preset (anki, quizlet, brainscape, mnemosyne, supermemo, plain)",
                path.display()
            ),
            Error::TextOptionOnPackage { path, option, hint } => write!(
                f,
                "{}: {option} is for text outputs, but .apkg is an Anki package; {hint}",
                path.display()
            ),
            Error::Syntax {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Error::Sqlite { .. }
            | Error::LockOutdated { .. }
            | Error::WouldOverwrite { .. }
            | Error::DeckIdChanged { .. }
            | Error::OutputIsInput { .. }
            | Error::Config { .. }
            | Error::Strict { .. } => self.fmt_outputs(f),
        }
    }
}

impl Error {
    /// The messages of the errors about what a build writes and how it was asked to.
    fn fmt_outputs(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite { path, source } => {
                write!(
                    f,
                    "{}: writing the Anki collection failed: {source}",
                    path.display()
                )
            }
            Error::LockOutdated { path } => write!(
                f,
                "{}: the lock file would change and --locked is set; rebuild without --locked and commit the lock",
                path.display()
            ),
            Error::WouldOverwrite { path } => write!(
                f,
                "{}: already exists; nothing was written (pass --force to overwrite it)",
                path.display()
            ),
            Error::DeckIdChanged {
                lock,
                locked,
                given,
            } => write!(
                f,
                "{}: this lock belongs to deck id {locked:?}, not {given:?}; nothing was written. \
                 Its notes keep their GUIDs and note type only under {locked:?}: building them as \
                 {given:?} would make Anki refuse every note (\"note type changed\"). To keep \
                 updating the deck, use deck id {locked:?} (or drop the new one). To start a \
                 genuinely new deck, give it its own lock (`--lock NEW.deckforge.lock`); Anki will \
                 then add every note as new, beside the old deck",
                lock.display()
            ),
            Error::OutputIsInput { path, role } => write!(
                f,
                "{}: the output is {role} this build reads; nothing was written. Name another output file",
                path.display()
            ),
            Error::Config {
                path,
                line,
                column,
                message,
            } => write!(f, "{}:{line}:{column}: {message}", path.display()),
            Error::Strict { diagnostics } => write!(
                f,
                "{} warning(s) reported and --strict is set; nothing was written",
                diagnostics.len()
            ),
            // Never reached: `Display::fmt` sends only the variants above here.
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Shorthand used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
