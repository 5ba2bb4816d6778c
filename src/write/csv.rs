//! Writes Anki's text-import format with file headers, so Anki's CSV import creates the same
//! notes, with the same GUIDs, as the `.apkg` (anki-format.md §4).
//!
//! Columns are positional (no `#columns:` header): Question, Answer, Section, Number, Source,
//! Tags, GUID, and Deck when subdecks are on. Anki maps the remaining columns to the note
//! type's fields in order, which works both for deckforge's note type (present once the
//! `.apkg` was imported) and for the collection's default note type, which Anki silently
//! falls back to when the named one does not exist (Question and Answer then fill its first
//! two fields).

use std::io::Write;
use std::path::Path;

use super::atomic::{write_error, write_file};
use crate::error::Result;
use crate::model::{FIELD_NAMES, Package};

/// Writes `package` as an Anki CSV deck to `target`, atomically.
pub fn write_anki_csv_file(package: &Package, target: &Path) -> Result<()> {
    write_file(target, |out| {
        write_anki_csv(package, out).map_err(write_error(target))
    })
}

/// Writes the headers and one row per note.
pub fn write_anki_csv<W: Write>(package: &Package, out: &mut W) -> std::io::Result<()> {
    let with_deck_column = package.meta.decks.len() > 1;
    let tags_column = FIELD_NAMES.len() + 1;
    let guid_column = FIELD_NAMES.len() + 2;
    writeln!(out, "#separator:comma")?;
    writeln!(out, "#html:true")?;
    writeln!(
        out,
        "#notetype:{}",
        header_value(&package.meta.note_types[0].name)
    )?;
    writeln!(out, "#deck:{}", header_value(&package.meta.decks[0].name))?;
    writeln!(out, "#tags column:{tags_column}")?;
    writeln!(out, "#guid column:{guid_column}")?;
    if with_deck_column {
        writeln!(out, "#deck column:{}", guid_column + 1)?;
    }
    writeln!(out, "#if matches:update current")?;
    // Every field quoted: a line whose first character is `#` would otherwise be a comment,
    // and quoting everything is also what keeps embedded newlines and commas safe.
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .has_headers(false)
        .from_writer(out);
    for note in &package.notes {
        let tags = note.tags.join(" ");
        let mut record: Vec<&str> = note.fields.iter().map(String::as_str).collect();
        record.push(&tags);
        record.push(&note.guid);
        if with_deck_column {
            record.push(&package.meta.decks[note.deck].name);
        }
        writer.write_record(&record)?;
    }
    writer.flush()
}

/// Header values end at the line break; anything after one would be read as data.
fn header_value(value: &str) -> String {
    value.replace(['\n', '\r'], " ")
}
