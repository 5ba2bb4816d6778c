//! How messages look on standard error: colour and a source snippet with a caret when a person
//! is watching a terminal, plain `path:line:col: warning: message` lines for editors, CI and pipes.
//!
//! The first line of every diagnostic stays `path:line:col: severity: message` in both modes, so
//! tools that parse it (editors' problem matchers, CI annotators) work on either.
//!
//! Text from a source or a package (questions, file names, fields) passes [`printable`] before
//! it reaches a terminal: an escape sequence in a question must not recolour, retitle or write
//! the clipboard of the terminal that shows a warning about it.

use std::borrow::Cow;
use std::collections::HashMap;
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

/// `text` with every control character (C0, DEL, C1) and every bidirectional override shown
/// as `\u{…}` instead of sent: ESC, OSC and CSI sequences and "Trojan Source" reordering stay
/// visible and inert. Tabs and newlines are kept.
pub fn printable(text: &str) -> Cow<'_, str> {
    let inert = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(inert) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if inert(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// How many diagnostics of one kind are shown before the rest are counted.
pub const SHOWN_PER_KIND: usize = 20;

/// The diagnostics as text, at most [`SHOWN_PER_KIND`] of each kind (the message up to its
/// first `:` or `(`, so "answer looks truncated …: Q" is one kind whatever Q is), then one
/// line per kind that had more: "warning: and 99980 more like …".
pub fn diagnostics(list: &[Diagnostic]) -> Vec<String> {
    let kind = |d: &Diagnostic| {
        let end = d.message.find([':', '(']).unwrap_or(d.message.len());
        (
            d.severity == Severity::Error,
            d.message[..end].trim_end().to_string(),
        )
    };
    let mut seen: HashMap<(bool, String), usize> = HashMap::new();
    let mut kinds = Vec::new();
    let mut lines = Vec::new();
    for d in list {
        let key = kind(d);
        let count = seen.entry(key.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            kinds.push(key);
        }
        if *count <= SHOWN_PER_KIND {
            lines.push(diagnostic(d));
        }
    }
    for key in kinds {
        let more = seen[&key] - SHOWN_PER_KIND.min(seen[&key]);
        if more > 0 {
            let text = format!("and {more} more like \"{}\"", printable(&key.1));
            lines.push(if key.0 {
                error_line(&text)
            } else {
                warning_line(&text)
            });
        }
    }
    lines
}

/// `error: message`, with `error` in red on a colour terminal.
pub fn error_line(message: &str) -> String {
    format!("{}: {}", paint(RED, "error"), printable(message))
}

/// `warning: message`, for problems that have no place in a source file.
pub fn warning_line(message: &str) -> String {
    format!("{}: {}", paint(YELLOW, "warning"), printable(message))
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
        printable(&diagnostic.path.display().to_string()),
        diagnostic.line,
        diagnostic.column
    );
    let mut out = format!(
        "{} {}: {}",
        paint(BOLD, &place),
        paint(colour, word),
        printable(&diagnostic.message)
    );
    if style().snippets
        && let Some(snippet) = snippet(&diagnostic.path, diagnostic.line, diagnostic.column)
    {
        out.push('\n');
        out.push_str(&snippet);
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
        printable(expanded.trim_end()),
        " ".repeat(caret_at),
        paint(YELLOW, "^")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(printable("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            printable("a\x1b]52;c;aGk=\x07b\u{9b}c\u{202e}d\x7f"),
            "a\\u{1b}]52;c;aGk=\\u{7}b\\u{9b}c\\u{202e}d\\u{7f}"
        );
    }

    #[test]
    fn many_diagnostics_of_a_kind_are_counted_after_the_first_twenty() {
        let mut list: Vec<Diagnostic> = (0..25)
            .map(|i| Diagnostic::warning("a.md", i + 1, 1, format!("no answer: question {i}")))
            .collect();
        list.push(Diagnostic::warning("a.md", 99, 1, "duplicate question: x"));
        let lines = diagnostics(&list);
        assert_eq!(lines.len(), 22, "{lines:#?}");
        assert!(lines[19].contains("question 19"));
        assert!(lines[20].contains("duplicate question"));
        assert_eq!(lines[21], "warning: and 5 more like \"no answer\"");
    }
}
