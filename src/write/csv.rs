//! Writes Anki's text-import format with file headers, so Anki's CSV import creates the same
//! notes, with the same GUIDs, as the `.apkg` (anki-format.md §4).
//!
//! Columns are positional (no `#columns:` header): Question, Answer, Section, Number, Source,
//! Tags, GUID, and Deck when subdecks are on. Anki maps the remaining columns to the note
//! type's fields in order, which works both for deckforge's note type (present once the
//! `.apkg` was imported) and for the collection's default note type, which Anki silently
//! falls back to when the named one does not exist (Question and Answer then fill its first
//! two fields).
//!
//! A deck with reversed or cloze notes has a note type per kind, so a first column names each
//! row's note type (`#notetype column:1`); the fields follow it in the same order (every
//! deckforge note type has five fields, so the other columns keep their places after it).
//! Anki makes the cards itself on a CSV import: both cards of a reversed note, one per cloze
//! number of a cloze note.

use std::io::Write;

use crate::model::{DeckMeta, NoteSource};

/// Writes the headers and one row per note.
pub(crate) fn write_anki_csv<W: Write>(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    out: &mut W,
) -> std::io::Result<()> {
    let with_deck_column = meta.decks.len() > 1;
    let note_type = &meta.note_types[0];
    // With several note types a leading column names each row's.
    let typed = usize::from(meta.note_types.len() > 1);
    let tags_column = typed + note_type.fields.len() + 1;
    let guid_column = typed + note_type.fields.len() + 2;
    writeln!(out, "#separator:comma")?;
    writeln!(out, "#html:true")?;
    if typed == 1 {
        writeln!(out, "#notetype column:1")?;
    } else {
        writeln!(out, "#notetype:{}", header_value(&note_type.name))?;
    }
    writeln!(out, "#deck:{}", header_value(&meta.decks[0].name))?;
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
    super::each_note(notes, |note| {
        let tags = note.tags.join(" ");
        let mut record: Vec<&str> = Vec::with_capacity(note.fields.len() + 4);
        if typed == 1 {
            record.push(&meta.note_types[note.note_type].name);
        }
        record.extend(note.fields.iter().map(String::as_str));
        record.push(&tags);
        record.push(&note.guid);
        if with_deck_column {
            record.push(&meta.decks[note.deck].name);
        }
        writer.write_record(&record)?;
        Ok(())
    })?;
    writer.flush()
}

/// Header values end at the line break; anything after one would be read as data.
fn header_value(value: &str) -> String {
    value.replace(['\n', '\r'], " ")
}
