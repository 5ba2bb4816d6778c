//! How messages look on standard error: colour and a source snippet with a caret when a person
//! is watching a terminal, plain `path:line:col: warning: message` lines for editors, CI and pipes.
//!
//! The first line of every diagnostic stays `path:line:col: severity: message` in both modes, so
//! tools that parse it (editors' problem matchers, CI annotators) work on either.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::OnceLock;

use clap::ValueEnum;

use deckforge::{Diagnostic, Severity};

/// `--color`: when to use colours on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    // No doc comments on the values: clap would turn the short `--help` into a long list.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy)]
struct Style {
    color: bool,
    snippets: bool,
}

static STYLE: OnceLock<Style> = OnceLock::new();

/// Decides once, from `--color`, `NO_COLOR` (<https://no-color.org>) and whether standard
/// error is a terminal.
pub fn init(choice: ColorChoice) {
    let terminal = std::io::stderr().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    let style = Style {
        color: match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color && !dumb,
        },
        // A snippet helps a reader, not a parser: only on a terminal, or when asked for.
        snippets: terminal || choice == ColorChoice::Always,
    };
    let _ = STYLE.set(style);
}

fn style() -> Style {
    *STYLE.get().unwrap_or(&Style {
        color: false,
        snippets: false,
    })
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";

fn paint(code: &str, text: &str) -> String {
    if style().color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// `error: message`, with `error` in red on a colour terminal.
pub fn error_line(message: &str) -> String {
    format!("{}: {message}", paint(RED, "error"))
}

/// `warning: message`, for problems that have no place in a source file.
pub fn warning_line(message: &str) -> String {
    format!("{}: {message}", paint(YELLOW, "warning"))
}

/// A diagnostic as text (no trailing newline): its first line, then on a terminal the source
/// line it points at with a caret under the column.
pub fn diagnostic(diagnostic: &Diagnostic) -> String {
    let (word, colour) = match diagnostic.severity {
        Severity::Warning => ("warning", YELLOW),
        Severity::Error => ("error", RED),
    };
    let place = format!(
        "{}:{}:{}:",
        diagnostic.path.display(),
        diagnostic.line,
        diagnostic.column
    );
    let mut out = format!(
        "{} {}: {}",
        paint(BOLD, &place),
        paint(colour, word),
        diagnostic.message
    );
    if style().snippets {
        if let Some(snippet) = snippet(&diagnostic.path, diagnostic.line, diagnostic.column) {
            out.push('\n');
            out.push_str(&snippet);
        }
    }
    out
}

/// The source line (read now, from the file) with a gutter and a caret under `column`, which
/// counts visual columns with tabs at multiples of 4, as the Markdown reader does.
fn snippet(path: &Path, line: usize, column: usize) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let mut expanded = String::new();
    for c in source.chars() {
        if c == '\t' {
            let width = 4 - expanded.chars().count() % 4;
            expanded.extend(std::iter::repeat_n(' ', width));
        } else {
            expanded.push(c);
        }
    }
    let caret_at = column
        .saturating_sub(1)
        .min(expanded.trim_end().chars().count());
    let number = line.to_string();
    let blank = " ".repeat(number.len());
    let bar = paint(BLUE, "|");
    Some(format!(
        "{blank} {bar}\n{} {bar} {}\n{blank} {bar} {}{}",
        paint(BLUE, &number),
        expanded.trim_end(),
        " ".repeat(caret_at),
        paint(YELLOW, "^")
    ))
}
