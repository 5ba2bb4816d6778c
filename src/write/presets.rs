//! Text outputs for flashcard apps other than Anki, one preset per app, each following that
//! app's import rules exactly (sources and unconfirmed points: docs/presets.md and
//! docs/presets-research.md). One source, so every app gets the same cards in the same order.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use crate::model::{DeckMeta, Note, NoteKind, NoteMarkdown, NoteSource, field};
use crate::render::text::to_text;
use crate::source::cloze::{hide, numbers as cloze_numbers, plain};

/// The text formats deckforge writes, named after the app that imports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Anki's CSV with `#` headers and a GUID column (the default for `.csv`).
    Anki,
    /// Quizlet's "Import" paste box: term TAB definition, one card per line.
    Quizlet,
    /// Brainscape's CSV upload: two columns, question and answer, no header.
    Brainscape,
    /// Mnemosyne's "Tab-separated text files" import: question TAB answer, HTML allowed.
    Mnemosyne,
    /// SuperMemo's "Q&A text" import: `Q:` and `A:` lines, a blank line between items.
    Supermemo,
    /// RFC 4180 CSV with a header, for spreadsheets and scripts; formulas neutralised.
    Plain,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::Anki,
        Preset::Quizlet,
        Preset::Brainscape,
        Preset::Mnemosyne,
        Preset::Supermemo,
        Preset::Plain,
    ];

    /// The name `--preset` takes.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Anki => "anki",
            Preset::Quizlet => "quizlet",
            Preset::Brainscape => "brainscape",
            Preset::Mnemosyne => "mnemosyne",
            Preset::Supermemo => "supermemo",
            Preset::Plain => "plain",
        }
    }

    /// One line for `--help`.
    pub fn summary(self) -> &'static str {
        match self {
            Preset::Anki => "Anki CSV with headers and GUIDs (default for .csv)",
            Preset::Quizlet => "Quizlet import: term<TAB>definition per line, plain text (.txt)",
            Preset::Brainscape => "Brainscape CSV: question,answer, no header, plain text (.csv)",
            Preset::Mnemosyne => "Mnemosyne tab-separated import: question<TAB>answer, HTML (.tsv)",
            Preset::Supermemo => "SuperMemo Q&A text: Q:/A: lines, blank line between (.txt)",
            Preset::Plain => "CSV with header id,question,answer,section,tags, plain text (.csv)",
        }
    }

    /// The extension the app's import dialog expects, for file names and messages.
    pub fn extension(self) -> &'static str {
        match self {
            Preset::Anki | Preset::Brainscape | Preset::Plain => "csv",
            Preset::Quizlet | Preset::Supermemo => "txt",
            Preset::Mnemosyne => "tsv",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--preset` name that is not one of [`Preset::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPreset(pub String);

impl fmt::Display for UnknownPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
        write!(
            f,
            "unknown preset {:?}; expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownPreset {}

impl FromStr for Preset {
    type Err = UnknownPreset;

    fn from_str(name: &str) -> Result<Self, UnknownPreset> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownPreset(name.to_string()))
    }
}

/// How a text output is written; ignored when none is (an `.apkg` output).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// The format to write; `None` picks it from the output's extension.
    pub preset: Option<Preset>,
    /// Start the file with a UTF-8 byte order mark, which Excel needs to read UTF-8.
    pub bom: bool,
}

/// The byte order mark `TextOptions::bom` starts a file with.
pub(crate) const BOM: &str = "\u{feff}";

/// Writes the deck's notes in `preset`'s format.
pub(crate) fn write_preset<W: Write>(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    preset: Preset,
    out: &mut W,
) -> io::Result<()> {
    match preset {
        Preset::Anki => super::csv::write_anki_csv(meta, notes, out),
        Preset::Quizlet => write_quizlet(notes, out),
        Preset::Brainscape => write_brainscape(notes, out),
        Preset::Mnemosyne => write_mnemosyne(notes, out),
        Preset::Supermemo => write_supermemo(notes, out),
        Preset::Plain => write_plain(notes, out),
    }
}

/// Calls `each` with the notes still in the sources, in order, one call per card Anki would
/// make: a reversed note also as answer → question, a cloze note once per cloze number (that
/// cloze shown as `[...]` or its hint in front, the whole text behind). Notes removed from the
/// sources stay in Anki outputs so Anki keeps their history, but the other apps match nothing
/// by id, so there they would be new junk cards.
fn current_notes(
    notes: &dyn NoteSource,
    mut each: impl FnMut(&Note, &NoteMarkdown) -> io::Result<()>,
) -> io::Result<()> {
    super::each_note(notes, |note| match &note.markdown {
        Some(markdown) if markdown.kind == NoteKind::Basic => each(note, markdown),
        Some(markdown) => {
            for (card, card_markdown) in cards_of(note, markdown) {
                each(&card, &card_markdown)?;
            }
            Ok(())
        }
        None => Ok(()),
    })
}

/// The cards of a reversed or cloze note as basic notes, for apps that know no other kind.
/// A card after the first gets the id `GUID n` (its card number after a space, which no GUID
/// holds).
fn cards_of(note: &Note, markdown: &NoteMarkdown) -> Vec<(Note, NoteMarkdown)> {
    let basic = |guid: String, fields: [String; 2], sides: [String; 2]| {
        let mut card = note.clone();
        card.guid = guid;
        [card.fields[field::QUESTION], card.fields[field::ANSWER]] = fields;
        let [question, answer] = sides;
        let card_markdown = NoteMarkdown {
            question,
            answer,
            kind: NoteKind::Basic,
            ..markdown.clone()
        };
        (card, card_markdown)
    };
    let (html_question, html_answer) = (&note.fields[field::QUESTION], &note.fields[field::ANSWER]);
    match markdown.kind {
        NoteKind::Basic => vec![basic(
            note.guid.clone(),
            [html_question.clone(), html_answer.clone()],
            [markdown.question.clone(), markdown.answer.clone()],
        )],
        NoteKind::Reversed => vec![
            basic(
                note.guid.clone(),
                [html_question.clone(), html_answer.clone()],
                [markdown.question.clone(), markdown.answer.clone()],
            ),
            basic(
                format!("{} 2", note.guid),
                [html_answer.clone(), html_question.clone()],
                [markdown.answer.clone(), markdown.question.clone()],
            ),
        ],
        NoteKind::Cloze => {
            let mut numbers = cloze_numbers(&markdown.question);
            numbers.extend(cloze_numbers(&markdown.answer));
            numbers.sort_unstable();
            numbers.dedup();
            let in_answer = !cloze_numbers(&markdown.answer).is_empty();
            let full = format!(
                "{}\n\n{}",
                plain(&markdown.question),
                plain(&markdown.answer)
            );
            let full_html = format!("{}{}", plain(html_question), html_answer);
            numbers
                .iter()
                .enumerate()
                .map(|(i, &number)| {
                    let mut front = hide(&markdown.question, number);
                    if in_answer {
                        front = format!("{front}\n\n{}", hide(&markdown.answer, number));
                    }
                    let guid = match i {
                        0 => note.guid.clone(),
                        _ => format!("{} {number}", note.guid),
                    };
                    basic(
                        guid,
                        [hide(html_question, number), full_html.clone()],
                        [front, full.clone()],
                    )
                })
                .collect()
        }
    }
}

/// Characters some reader could take as the end of a line, beyond LF itself.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Quizlet splits cards on newlines and term from definition on the tab, with no quoting, so
/// each field becomes one line: its lines joined with ` / `, tabs and other breaks as spaces.
pub(crate) fn quizlet_field(text: &str) -> String {
    let joined = text
        .split('\n')
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    joined
        .chars()
        .map(|c| {
            if c == '\t' || is_line_break(c) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn write_quizlet<W: Write>(notes: &dyn NoteSource, out: &mut W) -> io::Result<()> {
    current_notes(notes, |_, card| {
        let term = quizlet_field(&to_text(&card.question));
        let definition = quizlet_field(&to_text(&card.answer));
        writeln!(out, "{term}\t{definition}")
    })
}

/// RFC 4180 CSV: CRLF between records, quotes only where needed. Newlines inside a quoted
/// cell stay LF, which is what spreadsheets write for a line break within a cell.
fn rfc4180_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .has_headers(false)
        .from_writer(out)
}

fn write_brainscape<W: Write>(notes: &dyn NoteSource, out: &mut W) -> io::Result<()> {
    let mut writer = rfc4180_writer(out);
    current_notes(notes, |_, card| {
        writer.write_record([to_text(&card.question), to_text(&card.answer)])?;
        Ok(())
    })?;
    writer.flush()
}

/// Mnemosyne reads one card per line, splits on every tab with no quoting, decodes `&#…;`
/// before splitting, strips trailing whitespace and aborts the whole import on a line with
/// one field. So the field's HTML goes on one line with `<br>` for breaks, tabs become
/// spaces, numeric character references are decoded here (and `<`, `>`, `&` kept escaped),
/// and an empty field becomes `<br>`, as Mnemosyne's own exporter writes it.
pub(crate) fn mnemosyne_field(html: &str) -> String {
    let html = decode_numeric_references(html);
    let mut out = String::with_capacity(html.len());
    let mut in_pre = false;
    let mut rest = html.as_str();
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let lower = rest.get(..6).unwrap_or(rest).to_ascii_lowercase();
            if lower.starts_with("<pre") {
                in_pre = true;
            } else if lower.starts_with("</pre") {
                in_pre = false;
            }
        }
        match c {
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                if c == '\r' && rest[1..].starts_with('\n') {
                    // The `\n` that follows makes the one break.
                } else if in_pre {
                    // The break that ends the last code line is not a line of its own.
                    if !rest[c.len_utf8()..].starts_with("</") {
                        out.push_str("<br>");
                    }
                } else if !out.ends_with('>') && !rest[c.len_utf8()..].starts_with('<') {
                    // Between words a source line break is a space; between tags it is nothing.
                    out.push(' ');
                }
            }
            '\t' => out.push_str(if in_pre { "    " } else { " " }),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        "<br>".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Replaces every `&#…;` with the character it names, escaped again where HTML needs it,
/// so the output holds no `&#` for Mnemosyne's importer to decode (or fail on).
fn decode_numeric_references(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match numeric_reference(tail) {
            Some((c, len)) => {
                match c {
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '&' => out.push_str("&amp;"),
                    c => out.push(c),
                }
                rest = &tail[len..];
            }
            None => {
                out.push_str("&amp;#");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// At `&#`, the character a decimal or hexadecimal reference names and the reference's length.
fn numeric_reference(tail: &str) -> Option<(char, usize)> {
    let body = tail.strip_prefix("&#")?;
    let digits = &body[..body.find(';')?];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let value = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    Some((char::from_u32(value)?, 2 + digits.len() + 1))
}

fn write_mnemosyne<W: Write>(notes: &dyn NoteSource, out: &mut W) -> io::Result<()> {
    current_notes(notes, |note, _| {
        let question = mnemosyne_field(&note.fields[field::QUESTION]);
        let answer = mnemosyne_field(&note.fields[field::ANSWER]);
        writeln!(out, "{question}\t{answer}")
    })
}

/// The lines of one SuperMemo field: a blank line would end the item, so none are written;
/// tabs become four spaces.
fn supermemo_lines(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|line| {
            line.chars()
                .map(|c| if is_line_break(c) { ' ' } else { c })
                .collect::<String>()
                .replace('\t', "    ")
                .trim_end()
                .to_string()
        })
        .filter(|line| !line.trim().is_empty())
        .collect()
}

/// SuperMemo for Windows reads `Q:`/`A:` lines, repeats the prefix for each line of a
/// multi-line field and ends an item at a blank line; CRLF, as a Windows program writes.
fn write_supermemo<W: Write>(notes: &dyn NoteSource, out: &mut W) -> io::Result<()> {
    current_notes(notes, |_, card| {
        for (prefix, markdown) in [("Q: ", &card.question), ("A: ", &card.answer)] {
            let text = to_text(markdown);
            let lines = supermemo_lines(&text);
            if lines.is_empty() {
                write!(out, "{}\r\n", prefix.trim_end())?;
            }
            for line in lines {
                write!(out, "{prefix}{line}\r\n")?;
            }
        }
        out.write_all(b"\r\n")
    })
}

/// Characters that make a spreadsheet run a cell as a formula when it starts with one
/// (OWASP "CSV Injection", including LF since 2025).
pub(crate) const FORMULA_TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\n'];

/// Prefixes `'` to a cell a spreadsheet would otherwise run as a formula; spreadsheets show
/// the cell as text without the quote.
pub(crate) fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(FORMULA_TRIGGERS) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn write_plain<W: Write>(notes: &dyn NoteSource, out: &mut W) -> io::Result<()> {
    let mut writer = rfc4180_writer(out);
    writer.write_record(["id", "question", "answer", "section", "tags"])?;
    current_notes(notes, |note, card| {
        let record = [
            note.guid.clone(),
            to_text(&card.question),
            to_text(&card.answer),
            card.section.join(" › "),
            note.tags.join(" "),
        ];
        writer.write_record(record.iter().map(|cell| neutralise_formula(cell)))?;
        Ok(())
    })?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for preset in Preset::ALL {
            assert_eq!(preset.name().parse::<Preset>(), Ok(preset));
        }
        assert!("excel".parse::<Preset>().is_err());
    }

    #[test]
    fn quizlet_fields_are_single_lines_without_tabs() {
        assert_eq!(
            quizlet_field("Intro:\n• a\tb\n\n  • c\r\u{2028}d"),
            "Intro: / • a b /   • c  d"
        );
    }

    #[test]
    fn mnemosyne_fields_stay_on_one_line_with_two_columns() {
        assert_eq!(
            mnemosyne_field("<p>a\nb</p>\n<ul>\n<li>x\ty</li>\n</ul>"),
            "<p>a b</p><ul><li>x y</li></ul>"
        );
        assert_eq!(
            mnemosyne_field("<pre><code>fn a() {\n\tb\n}\n</code></pre>"),
            "<pre><code>fn a() {<br>    b<br>}</code></pre>"
        );
        assert_eq!(mnemosyne_field(""), "<br>");
        assert_eq!(mnemosyne_field(" \n "), "<br>");
        assert_eq!(
            mnemosyne_field("a&#9;b&#x0A;c&#60;d&#233;&#bogus; &#"),
            "a b c&lt;dé&amp;#bogus; &amp;#"
        );
    }

    #[test]
    fn supermemo_drops_blank_lines_and_tabs() {
        assert_eq!(supermemo_lines("a\n\n\tb  \n \n"), ["a", "    b"]);
    }

    #[test]
    fn formula_triggers_get_a_quote() {
        for cell in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx"] {
            assert_eq!(neutralise_formula(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise_formula("plain"), "plain");
        assert_eq!(neutralise_formula(""), "");
    }
}
