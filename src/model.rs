//! The deck as plain data, between identity/rendering and the writers; it knows nothing of SQLite or zip.
//!
//! Note types are values ([`NoteType`]: fields, templates and which cards a note makes), so a
//! new kind of card is a new value, not a branch in a writer. Notes reach a writer through
//! [`NoteSource`], which this side owns: a build renders each note when the writer asks for it,
//! and a writer never calls back into the build.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Field names of deckforge's basic note type, in order. Anki keys note type compatibility on
/// the names, order and count of fields (anki-format.md §3.2), so this list never changes shape.
pub const FIELD_NAMES: [&str; 5] = ["Question", "Answer", "Section", "Number", "Source"];

/// Index of each field of the basic note type in [`FIELD_NAMES`].
pub mod field {
    pub const QUESTION: usize = 0;
    pub const ANSWER: usize = 1;
    pub const SECTION: usize = 2;
    pub const NUMBER: usize = 3;
    pub const SOURCE: usize = 4;
}

/// Field names of deckforge's cloze note type, in order; like [`FIELD_NAMES`], this list never
/// changes shape. `Text` holds the clozes (the question, and the answer too when it has
/// clozes); `Extra` the answer shown under it on the back when the clozes are all in the question.
pub const CLOZE_FIELD_NAMES: [&str; 5] = ["Text", "Extra", "Section", "Number", "Source"];

/// Index of each field of the cloze note type in [`CLOZE_FIELD_NAMES`]; the last three are
/// where the basic type has them.
pub mod cloze_field {
    pub const TEXT: usize = 0;
    pub const EXTRA: usize = 1;
}

// The fields the two kinds share sit at the same places, so code reading the first two fields
// (images, sounds) or the last three reads either kind.
const _: () = assert!(
    cloze_field::TEXT == field::QUESTION
        && cloze_field::EXTRA == field::ANSWER
        && FIELD_NAMES.len() == CLOZE_FIELD_NAMES.len()
);

/// The kind of note a question makes, each its own note type. A question that changes kind
/// becomes a new note (Anki refuses to change an existing note's type on import), so the kind
/// is part of a note's identity.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    /// One card: question → answer.
    #[default]
    Basic,
    /// Two cards: question → answer, and answer → question.
    Reversed,
    /// One card per cloze number (`{{c1::…}}`, `==…==`).
    Cloze,
}

impl NoteKind {
    pub const ALL: [NoteKind; 3] = [NoteKind::Basic, NoteKind::Reversed, NoteKind::Cloze];

    /// The word the lock, reports and docs use.
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Basic => "basic",
            NoteKind::Reversed => "reversed",
            NoteKind::Cloze => "cloze",
        }
    }

    pub fn is_basic(&self) -> bool {
        *self == NoteKind::Basic
    }
}

impl std::fmt::Display for NoteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// One card template of a note type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardTemplate {
    pub name: String,
    pub front: String,
    pub back: String,
}

/// Which cards a note of a note type makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CardRule {
    /// One card per template, in template order (Anki's standard note types: basic, reversed).
    EachTemplate,
    /// One card per cloze number (`{{c1::...}}`, `{{c2::...}}`) in the field at this index,
    /// all from the first template (Anki's cloze note type).
    Cloze { field: usize },
}

/// A note type (Anki "model"): plain data every writer reads, so a kind of card is a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteType {
    pub id: i64,
    pub name: String,
    /// Field names in order; a note's [`Note::fields`] follow them.
    pub fields: Vec<String>,
    /// The field Anki sorts the browser by and takes the duplicate checksum from.
    pub sort_field: usize,
    pub templates: Vec<CardTemplate>,
    pub cards: CardRule,
    pub css: String,
    /// Seconds; bumped only when templates or CSS change, so Anki updates but never forks it.
    pub modified: i64,
}

impl NoteType {
    /// deckforge's basic note type: the [`FIELD_NAMES`] fields, sorted by the question, one
    /// card per template. Its id, field names and order never change under a deck.
    pub fn basic(
        id: i64,
        name: String,
        templates: Vec<CardTemplate>,
        css: String,
        modified: i64,
    ) -> Self {
        NoteType {
            id,
            name,
            fields: FIELD_NAMES.iter().map(|name| name.to_string()).collect(),
            sort_field: field::QUESTION,
            templates,
            cards: CardRule::EachTemplate,
            css,
            modified,
        }
    }

    /// deckforge's reversed note type: the basic type's fields, and its templates followed by
    /// the reverse ones (`templates`), so a note makes a card each way.
    pub fn reversed(
        id: i64,
        name: String,
        templates: Vec<CardTemplate>,
        css: String,
        modified: i64,
    ) -> Self {
        NoteType::basic(id, name, templates, css, modified)
    }

    /// deckforge's cloze note type: the [`CLOZE_FIELD_NAMES`] fields, sorted by the text, one
    /// card per cloze number of the `Text` field, from its one template.
    pub fn cloze(
        id: i64,
        name: String,
        template: CardTemplate,
        css: String,
        modified: i64,
    ) -> Self {
        NoteType {
            id,
            name,
            fields: CLOZE_FIELD_NAMES
                .iter()
                .map(|name| name.to_string())
                .collect(),
            sort_field: cloze_field::TEXT,
            templates: vec![template],
            cards: CardRule::Cloze {
                field: cloze_field::TEXT,
            },
            css,
            modified,
        }
    }

    /// The index of the field named `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|field| field == name)
    }

    /// The card ordinals a note with these field values makes: every template's for a standard
    /// note type; for a cloze note type one per distinct cloze number, ordinal `n - 1`.
    pub fn card_ords(&self, fields: &[String]) -> Vec<u16> {
        match self.cards {
            CardRule::EachTemplate => (0..self.templates.len() as u16).collect(),
            CardRule::Cloze { field } => {
                let mut ords = cloze_numbers(fields.get(field).map_or("", String::as_str));
                ords.iter_mut().for_each(|n| *n -= 1);
                ords
            }
        }
    }
}

/// The distinct cloze numbers (`{{c3::` gives 3) in `text`, ascending; numbers from 1.
fn cloze_numbers(text: &str) -> Vec<u16> {
    let mut numbers: Vec<u16> = text
        .match_indices("{{c")
        .filter_map(|(at, _)| {
            let rest = &text[at + 3..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            rest[digits..]
                .starts_with("::")
                .then(|| rest[..digits].parse::<u16>().ok())
                .flatten()
                .filter(|&n| n > 0)
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// A deck (or subdeck) cards are placed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeckInfo {
    pub id: i64,
    /// Full name with `::` between levels.
    pub name: String,
}

/// One card of a note: its id and which of the note type's cards it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Card {
    pub id: i64,
    /// The template's index, or for a cloze note type the cloze number minus one.
    pub ord: u16,
}

/// One note and its cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub guid: String,
    pub note_id: i64,
    /// Index into [`DeckMeta::note_types`].
    pub note_type: usize,
    /// Empty for a note shipped without a card (a retired question).
    pub cards: Vec<Card>,
    /// Index into [`DeckMeta::decks`].
    pub deck: usize,
    /// Seconds; Anki updates an existing note only when this is newer than its copy.
    pub modified: i64,
    /// Field values (HTML) in the order of the note type's fields.
    pub fields: Vec<String>,
    /// Tags without spaces; `::` separates hierarchy levels.
    pub tags: Vec<String>,
    /// The card as the author wrote it, for writers that render it their own way (plain text);
    /// `None` for a note removed from the sources, which only Anki outputs keep.
    pub markdown: Option<NoteMarkdown>,
}

/// A note's question and answer as Markdown and its section headings as written, kept beside
/// the HTML fields so text outputs render from the source instead of un-rendering HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NoteMarkdown {
    pub question: String,
    pub answer: String,
    /// The headings above the question, outermost first.
    pub section: Vec<String>,
    /// The kind of note: apps other than Anki get one card per card Anki would make.
    pub kind: NoteKind,
}

/// A media file to ship inside an `.apkg`, under its packed name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub name: String,
    #[serde(skip)]
    pub source: MediaSource,
}

/// Where a media file's bytes are: a deck's images can outweigh memory (100 photos of 10 MiB),
/// so a local file stays on disk and is streamed into the package as it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// A file of `size` bytes whose CRC-32 was `crc` when it was named by its content: a
    /// writer that finds other bytes there (the file changed during the build) fails.
    File {
        path: std::path::PathBuf,
        size: u64,
        crc: u32,
    },
    /// Bytes held in memory (downloaded images, whose total is capped, and tests).
    Bytes(Vec<u8>),
}

/// Everything about a deck but its notes: what a writer needs besides a [`NoteSource`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeckMeta {
    /// The note types notes refer to by index; the first is the deck's basic type.
    pub note_types: Vec<NoteType>,
    /// The main deck first, then subdecks.
    pub decks: Vec<DeckInfo>,
    pub media: Vec<Media>,
    /// The build time in seconds (`SOURCE_DATE_EPOCH` when set).
    pub built_at: i64,
}

/// A deck with its notes in memory (previews, diffs and tests; a build streams instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub meta: DeckMeta,
    pub notes: Vec<Note>,
}

/// What a writer needs to order and place a note without its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteStub<'a> {
    pub note_id: i64,
    pub note_type: usize,
    /// Index into [`DeckMeta::decks`].
    pub deck: usize,
    pub modified: i64,
    pub cards: &'a [Card],
}

/// The notes of a deck, handed to a writer one at a time in any order it asks, so a large deck
/// is never held rendered in memory: a build renders each note when asked, once.
pub trait NoteSource: Sync {
    fn count(&self) -> usize;
    /// The ids, deck and cards of a note, without rendering it.
    fn stub(&self, index: usize) -> NoteStub<'_>;
    /// The whole note.
    fn note(&self, index: usize) -> Cow<'_, Note>;
}

impl NoteSource for [Note] {
    fn count(&self) -> usize {
        self.len()
    }

    fn stub(&self, index: usize) -> NoteStub<'_> {
        self[index].stub()
    }

    fn note(&self, index: usize) -> Cow<'_, Note> {
        Cow::Borrowed(&self[index])
    }
}

impl NoteSource for Vec<Note> {
    fn count(&self) -> usize {
        self.len()
    }

    fn stub(&self, index: usize) -> NoteStub<'_> {
        self[index].stub()
    }

    fn note(&self, index: usize) -> Cow<'_, Note> {
        Cow::Borrowed(&self[index])
    }
}

impl Note {
    /// The note's stub, for [`NoteSource::stub`].
    pub fn stub(&self) -> NoteStub<'_> {
        NoteStub {
            note_id: self.note_id,
            note_type: self.note_type,
            deck: self.deck,
            modified: self.modified,
            cards: &self.cards,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(names: &[&str]) -> Vec<CardTemplate> {
        names
            .iter()
            .map(|name| CardTemplate {
                name: name.to_string(),
                front: "{{Question}}".into(),
                back: "{{Answer}}".into(),
            })
            .collect()
    }

    #[test]
    fn the_basic_note_type_keeps_its_fields_and_makes_a_card_per_template() {
        let basic = NoteType::basic(
            7,
            "deckforge-x".into(),
            templates(&["Card 1"]),
            "".into(),
            0,
        );
        assert_eq!(basic.fields, FIELD_NAMES);
        assert_eq!(basic.field_index("Source"), Some(field::SOURCE));
        assert_eq!(basic.card_ords(&[]), [0]);
        let reversed = NoteType {
            templates: templates(&["Card 1", "Card 2"]),
            ..basic
        };
        assert_eq!(reversed.card_ords(&[]), [0, 1]);
    }

    #[test]
    fn a_cloze_note_makes_one_card_per_distinct_number() {
        let cloze = NoteType {
            cards: CardRule::Cloze { field: 0 },
            ..NoteType::basic(7, "c".into(), templates(&["Cloze"]), "".into(), 0)
        };
        let text = "{{c2::a}} {{c1::b}} {{c2::c}} {{c10::d}} {{c0::no}} {{cx::no}} {{c3:no}}";
        assert_eq!(cloze.card_ords(&[text.to_string()]), [0, 1, 9]);
        assert!(cloze.card_ords(&["plain".to_string()]).is_empty());
        assert!(cloze.card_ords(&[]).is_empty());
    }
}
