//! The deck as plain data, between identity/rendering and the writers; it knows nothing of SQLite or zip.

use serde::Serialize;

/// Field names of deckforge's note type, in order. Anki keys note type compatibility on the
/// names, order and count of fields (anki-format.md §3.2), so this list never changes shape.
pub const FIELD_NAMES: [&str; 5] = ["Question", "Answer", "Section", "Number", "Source"];

/// Index of each field in [`FIELD_NAMES`].
pub mod field {
    pub const QUESTION: usize = 0;
    pub const ANSWER: usize = 1;
    pub const SECTION: usize = 2;
    pub const NUMBER: usize = 3;
    pub const SOURCE: usize = 4;
}

/// One card template of the note type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardTemplate {
    pub name: String,
    pub front: String,
    pub back: String,
}

/// The note type (Anki "model") every deckforge note uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteType {
    pub id: i64,
    pub name: String,
    pub templates: Vec<CardTemplate>,
    pub css: String,
    /// Seconds; bumped only when templates or CSS change, so Anki updates but never forks it.
    pub modified: i64,
}

/// A deck (or subdeck) cards are placed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeckInfo {
    pub id: i64,
    /// Full name with `::` between levels.
    pub name: String,
}

/// One note and its single card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub guid: String,
    pub note_id: i64,
    pub card_id: i64,
    /// Index into [`Package::decks`].
    pub deck: usize,
    /// Seconds; Anki updates an existing note only when this is newer than its copy.
    pub modified: i64,
    /// Field values (HTML) in [`FIELD_NAMES`] order.
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
}

/// A media file to ship inside an `.apkg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub name: String,
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// Everything a writer needs to produce an output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub note_type: NoteType,
    /// The main deck first, then subdecks.
    pub decks: Vec<DeckInfo>,
    pub notes: Vec<Note>,
    pub media: Vec<Media>,
    /// The build time in seconds (`SOURCE_DATE_EPOCH` when set).
    pub built_at: i64,
}
