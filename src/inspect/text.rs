//! Which text deck a `.csv`, `.tsv` or `.txt` file is, told from its content: deckforge writes
//! six text formats, and only the Anki CSV names itself (its `#` header lines). The others are
//! recognised by their shape, and a file that fits none is refused rather than misread.

use std::path::Path;

use crate::error::{Error, Result};
use crate::inspect::InspectedNote;
use crate::write::presets::FORMULA_TRIGGERS;

/// The header row of the `plain` preset.
const PLAIN_HEADER: [&str; 5] = ["id", "question", "answer", "section", "tags"];

/// The text formats `inspect` reads, by the `--preset` name that writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextFormat {
    /// `#separator:` … headers: read by `read_anki_csv`.
    AnkiCsv,
    Plain,
    /// `Q:`/`A:` lines.
    Supermemo,
    /// term TAB definition, one note a line: Quizlet (`.txt`) or Mnemosyne (`.tsv`, HTML).
    Tabbed(&'static str),
    /// question,answer rows without a header.
    Brainscape,
}

impl TextFormat {
    pub(crate) fn is_html(self) -> bool {
        matches!(self, TextFormat::AnkiCsv | TextFormat::Tabbed("mnemosyne"))
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            TextFormat::AnkiCsv => "anki-csv",
            TextFormat::Plain => "plain",
            TextFormat::Supermemo => "supermemo",
            TextFormat::Tabbed(name) => name,
            TextFormat::Brainscape => "brainscape",
        }
    }
}

/// Tells the format of `text` (without its BOM) from its first lines and `path`'s extension.
pub(crate) fn detect(path: &Path, text: &str) -> Result<TextFormat> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if is_anki_header(first) {
        return Ok(TextFormat::AnkiCsv);
    }
    if first.trim_end() == PLAIN_HEADER.join(",") {
        return Ok(TextFormat::Plain);
    }
    if first.starts_with("Q:") {
        return Ok(TextFormat::Supermemo);
    }
    let lines = || text.lines().filter(|l| !l.trim().is_empty());
    if lines().next().is_some() && lines().all(|l| l.matches('\t').count() == 1) {
        let name = if extension == "tsv" {
            "mnemosyne"
        } else {
            "quizlet"
        };
        return Ok(TextFormat::Tabbed(name));
    }
    if extension == "csv" && two_columns(text) {
        return Ok(TextFormat::Brainscape);
    }
    Err(Error::Malformed {
        path: path.to_path_buf(),
        message: "cannot tell which kind of deck this is: not an Anki CSV (`#separator:` \
                  headers), a plain CSV (header id,question,answer,section,tags), a Brainscape \
                  CSV (two columns), Quizlet or Mnemosyne text (question TAB answer lines) or \
                  SuperMemo text (Q:/A: lines)"
            .to_string(),
    })
}

/// Whether `line` is one of the `#key:value` lines Anki's CSV import reads (a Quizlet term
/// such as `#1: What…` is not).
fn is_anki_header(line: &str) -> bool {
    const KEYS: [&str; 10] = [
        "separator",
        "html",
        "tags",
        "columns",
        "notetype",
        "deck",
        "notetype column",
        "deck column",
        "tags column",
        "guid column",
    ];
    line.strip_prefix('#')
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(key, _)| KEYS.contains(&key.trim().to_ascii_lowercase().as_str()))
}

fn two_columns(text: &str) -> bool {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = 0;
    for record in reader.records() {
        match record {
            Ok(record) if record.len() == 2 => rows += 1,
            _ => return false,
        }
    }
    rows > 0
}

fn note(fields: Vec<(&str, String)>, guid: String, tags: &str) -> InspectedNote {
    InspectedNote {
        guid,
        deck: String::new(),
        notetype: String::new(),
        tags: tags.split_whitespace().map(str::to_string).collect(),
        fields: fields
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
        modified: None,
        note_id: None,
    }
}

/// A spreadsheet cell as written, without the `'` the writer put before a formula trigger.
fn unneutralised(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// Reads a file of a format [`detect`] told (not [`TextFormat::AnkiCsv`]) into notes, in order.
pub(crate) fn read(path: &Path, text: &str, format: TextFormat) -> Result<Vec<InspectedNote>> {
    match format {
        TextFormat::Plain | TextFormat::Brainscape => read_csv(path, text, format),
        TextFormat::Supermemo => Ok(read_supermemo(text)),
        TextFormat::Tabbed(_) | TextFormat::AnkiCsv => Ok(text
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(question, answer)| {
                note(
                    vec![
                        ("Question", question.to_string()),
                        ("Answer", answer.to_string()),
                    ],
                    String::new(),
                    "",
                )
            })
            .collect()),
    }
}

fn read_csv(path: &Path, text: &str, format: TextFormat) -> Result<Vec<InspectedNote>> {
    let plain = format == TextFormat::Plain;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(plain)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut notes = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::Syntax {
            path: path.to_path_buf(),
            line: e.position().map_or(1, |p| p.line() as usize),
            message: format!("bad CSV row: {e}"),
        })?;
        let cell = |i: usize| unneutralised(record.get(i).unwrap_or_default());
        notes.push(if plain {
            note(
                vec![
                    ("Question", cell(1)),
                    ("Answer", cell(2)),
                    ("Section", cell(3)),
                ],
                cell(0),
                &cell(4),
            )
        } else {
            note(
                vec![("Question", cell(0)), ("Answer", cell(1))],
                String::new(),
                "",
            )
        });
    }
    Ok(notes)
}

/// `Q:` and `A:` lines, the prefix repeated on each line of a field, items ended by a blank line.
fn read_supermemo(text: &str) -> Vec<InspectedNote> {
    let mut notes = Vec::new();
    let mut fields = [String::new(), String::new()];
    let mut flush = |fields: &mut [String; 2]| {
        if fields.iter().any(|f| !f.is_empty()) {
            let [question, answer] = std::mem::take(fields);
            notes.push(note(
                vec![("Question", question), ("Answer", answer)],
                String::new(),
                "",
            ));
        }
    };
    for line in text.lines() {
        let (slot, rest) = match (line.strip_prefix("Q:"), line.strip_prefix("A:")) {
            (Some(rest), _) => (0, rest),
            (_, Some(rest)) => (1, rest),
            _ => {
                flush(&mut fields);
                continue;
            }
        };
        if !fields[slot].is_empty() {
            fields[slot].push('\n');
        }
        fields[slot].push_str(rest.strip_prefix(' ').unwrap_or(rest));
    }
    flush(&mut fields);
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_as(name: &str, text: &str) -> (&'static str, Vec<Vec<String>>) {
        let path = Path::new(name);
        let format = detect(path, text).unwrap();
        let notes = read(path, text, format).unwrap();
        let rows = notes
            .iter()
            .map(|n| {
                let mut row = vec![n.guid.clone()];
                row.extend(n.fields.iter().map(|(k, v)| format!("{k}={v}")));
                row
            })
            .collect();
        (format.name(), rows)
    }

    #[test]
    fn each_preset_is_told_apart_and_read_in_order() {
        let (name, rows) = read_as("q.txt", "Zebra?\tA / b\nApple?\tSecond, with commas\n");
        assert_eq!(name, "quizlet");
        assert_eq!(rows[0], ["", "Question=Zebra?", "Answer=A / b"]);
        assert_eq!(rows[1][2], "Answer=Second, with commas");
        assert_eq!(read_as("m.tsv", "a\t<b>b</b>\n").0, "mnemosyne");
        let plain = "id,question,answer,section,tags\nG1,Zebra?,\"x,\ny\",S,t u\nG2,'=1+1?,b,,\n";
        let (name, rows) = read_as("p.csv", plain);
        assert_eq!(name, "plain");
        assert_eq!(rows.len(), 2, "the header is not a note");
        assert_eq!(
            rows[0],
            ["G1", "Question=Zebra?", "Answer=x,\ny", "Section=S"]
        );
        assert_eq!(
            rows[1][1], "Question==1+1?",
            "the formula guard is taken off"
        );
        let (name, rows) = read_as(
            "s.txt",
            "Q: Zebra?\r\nA: one\r\nA: two\r\n\r\nQ: Apple?\r\nA: b\r\n\r\n",
        );
        assert_eq!(name, "supermemo");
        assert_eq!(rows[0], ["", "Question=Zebra?", "Answer=one\ntwo"]);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            read_as("b.csv", "Zebra?,\"a, b\"\nApple?,c\n").0,
            "brainscape"
        );
        assert_eq!(
            detect(Path::new("a.csv"), "#separator:Comma\nx,y\n").unwrap(),
            TextFormat::AnkiCsv
        );
        assert_eq!(read_as("h.txt", "#1: first?\tyes\n").0, "quizlet");
    }

    #[test]
    fn a_file_that_fits_no_format_is_refused_with_the_formats_named() {
        for (name, text) in [
            ("x.txt", "just prose\nmore prose\n"),
            ("x.csv", "a,b,c\nd\n"),
            ("e.txt", ""),
        ] {
            let error = detect(Path::new(name), text).unwrap_err().to_string();
            assert!(error.contains("cannot tell which kind of deck"), "{error}");
        }
    }
}
