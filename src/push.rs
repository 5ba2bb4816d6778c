//! Delivering a built package into a running Anki through AnkiConnect, doing what a file
//! import cannot: keeping the learner's tags, moving cards whose section moved, deleting
//! retired notes.
//!
//! The order, and why:
//!
//! 1. what Anki holds of the package's notes is read first (by note id: Anki keeps a package's
//!    note ids when it imports them, so the notes a package brought in carry deckforge's ids);
//! 2. the package is imported (`importPackage`): Anki adds new notes and the note type under
//!    its permanent id, and updates notes by GUID as a file import does. The note type is not
//!    made with `createModel` first: that would give it a new id, and the import would then
//!    add the package's own under the name `deckforge-…+`, a fork;
//! 3. notes whose fields still differ from the sources (Anki kept its copy because it was
//!    newer: a learner who tags a note makes it newer) get the sources' fields
//!    (`updateNoteFields`, which leaves tags alone);
//! 4. tags the learner had added and the import replaced are put back (`addTags`); push
//!    only ever adds tags;
//! 5. with `--move`, cards in another deck than the sources say are moved (`changeDeck`).
//!
//! Deleting retired notes is asked for separately ([`retired_notes`], [`delete_notes`]), so
//! the command line can show the count and ask first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::anki_connect::{Client, ConnectError};
use crate::build::REMOVED_TAG;
use crate::inspect::InspectedNote;

/// What a push may do beyond importing.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushOptions {
    /// Move cards to the deck (or subdeck) their question is in now.
    pub move_cards: bool,
}

/// What Anki did, note by note, named by question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushReport {
    /// Whether Anki lacked the deck's note type before this push (the import created it).
    pub created_note_type: bool,
    /// Whether `importPackage` ran to its end.
    pub imported: bool,
    /// Questions Anki did not have before.
    pub added: Vec<String>,
    /// Questions whose fields Anki's copy got from the sources.
    pub updated: Vec<String>,
    /// Media files stored for notes given the sources' fields (the import copies only those of
    /// the notes it adds or updates).
    pub media_stored: Vec<String>,
    /// Questions whose learner tags were put back after the import.
    pub tags_kept: Vec<String>,
    /// Cards moved: question, from deck, to deck.
    pub moved: Vec<(String, String, String)>,
    /// Cards in another deck than the sources say, left there (no `--move`).
    pub not_moved: usize,
    /// Questions Anki holds under another note type (a CSV imported before the note type
    /// existed lands in Basic), or not under deckforge's note id: left alone.
    pub not_found: Vec<String>,
}

impl PushReport {
    /// `added 1, updated 2, moved 0, tags kept on 1`.
    pub fn summary(&self) -> String {
        format!(
            "added {}, updated {}, moved {}, tags kept on {}",
            self.added.len(),
            self.updated.len(),
            self.moved.len(),
            self.tags_kept.len()
        )
    }

    /// Whether Anki changed anything at all.
    pub fn changed_anything(&self) -> bool {
        self.created_note_type
            || !self.added.is_empty()
            || !self.updated.is_empty()
            || !self.tags_kept.is_empty()
            || !self.moved.is_empty()
            || !self.media_stored.is_empty()
    }
}

/// A push that stopped: what Anki had done by then, and why it stopped.
#[derive(Debug, Clone)]
pub struct PushFailure {
    pub done: Box<PushReport>,
    pub error: ConnectError,
}

/// A note as Anki holds it.
#[derive(Debug, Clone)]
struct AnkiNote {
    model: String,
    fields: BTreeMap<String, String>,
    tags: BTreeSet<String>,
}

/// Imports `package` (an absolute path the add-on can read) whose notes are `notes`, then
/// does what [`PushOptions`] asks; see the module doc for the order.
pub fn push(
    client: &Client,
    package: &Path,
    notes: &[InspectedNote],
    options: PushOptions,
) -> Result<PushReport, PushFailure> {
    let mut report = PushReport::default();
    match deliver(client, package, notes, options, &mut report) {
        Ok(()) => Ok(report),
        Err(error) => Err(PushFailure {
            done: Box::new(report),
            error,
        }),
    }
}

fn deliver(
    client: &Client,
    package: &Path,
    notes: &[InspectedNote],
    options: PushOptions,
    report: &mut PushReport,
) -> Result<(), ConnectError> {
    client.check_version()?;
    let note_type = notes
        .first()
        .map(|n| n.notetype.clone())
        .unwrap_or_default();
    let models = client.request("modelNames", json!({}))?;
    report.created_note_type = !models
        .as_array()
        .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(&note_type)));
    let before = notes_info(client, notes)?;
    client.request("importPackage", json!({"path": package.to_string_lossy()}))?;
    report.imported = true;
    let after = notes_info(client, notes)?;
    for note in notes {
        let id = note.note_id.unwrap_or_default();
        match (before.get(&id), after.get(&id)) {
            (_, Some(now)) if now.model != note.notetype => report.not_found.push(question(note)),
            (None, Some(_)) => report.added.push(question(note)),
            (_, None) => report.not_found.push(question(note)),
            _ => {}
        }
    }
    let given = update_fields(client, notes, &after, report)?;
    store_media(client, package, &given, report)?;
    keep_tags(client, notes, &before, &after, report)?;
    place_cards(client, notes, &after, options, report)
}

/// Gives the sources' fields to notes whose copy in Anki differs; returns the values given.
fn update_fields(
    client: &Client,
    notes: &[InspectedNote],
    anki: &HashMap<i64, AnkiNote>,
    report: &mut PushReport,
) -> Result<Vec<String>, ConnectError> {
    let mut given = Vec::new();
    for note in notes {
        let Some(held) = note.note_id.and_then(|id| anki.get(&id)) else {
            continue;
        };
        if held.model != note.notetype {
            continue;
        }
        let changed: serde_json::Map<String, Value> = note
            .fields
            .iter()
            .filter(|(name, value)| held.fields.get(name) != Some(value))
            .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
            .collect();
        if changed.is_empty() {
            continue;
        }
        given.extend(
            changed
                .values()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
        client.request(
            "updateNoteFields",
            json!({"note": {"id": note.note_id, "fields": changed}}),
        )?;
        report.updated.push(question(note));
    }
    Ok(given)
}

/// The media file names `html` refers to: `src="…"` and `[sound:…]`.
fn media_names(html: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (open, close) in [("src=\"", '"'), ("[sound:", ']')] {
        let mut rest = html;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            if let Some(end) = rest.find(close) {
                names.push(&rest[..end]);
                rest = &rest[end..];
            }
        }
    }
    names
}

/// Stores in Anki the package's media that fields given with `updateNoteFields` show: an
/// import copies media only for the notes it adds or updates itself. Each file is extracted
/// beside the package (a folder the add-on can read) and stored by path.
fn store_media(
    client: &Client,
    package: &Path,
    given: &[String],
    report: &mut PushReport,
) -> Result<(), ConnectError> {
    let wanted: BTreeSet<&str> = given.iter().flat_map(|field| media_names(field)).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let unreadable = |error: String| ConnectError::Action {
        action: "storeMediaFile".to_string(),
        message: format!("cannot read the media of {}: {error}", package.display()),
    };
    let file = std::fs::File::open(package).map_err(|e| unreadable(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| unreadable(e.to_string()))?;
    let map: BTreeMap<String, String> = {
        let entry = zip
            .by_name("media")
            .map_err(|e| unreadable(e.to_string()))?;
        serde_json::from_reader(entry).map_err(|e| unreadable(e.to_string()))?
    };
    let folder = package.with_extension("media");
    std::fs::create_dir_all(&folder).map_err(|e| unreadable(e.to_string()))?;
    for (index, name) in map
        .iter()
        .filter(|(_, name)| wanted.contains(name.as_str()))
    {
        // The entry's number names the extracted file, never the name from the package.
        let number: u64 = index
            .parse()
            .map_err(|_| unreadable(format!("entry {index:?}")))?;
        let path = folder.join(format!("{number}.bin"));
        let mut entry = zip.by_name(index).map_err(|e| unreadable(e.to_string()))?;
        let mut out = std::fs::File::create(&path).map_err(|e| unreadable(e.to_string()))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| unreadable(e.to_string()))?;
        client.request(
            "storeMediaFile",
            json!({"filename": name, "path": path.to_string_lossy()}),
        )?;
        report.media_stored.push(name.clone());
    }
    Ok(())
}

/// The tags a learner added: those Anki had before the import that are neither the package's
/// nor under the deck's own tag root (section tags, which follow the sources) or the retired tag.
/// The root is the first level of the note's first tag (its section tag), and the name its
/// note type is made from.
fn learner_tags(note: &InspectedNote, before: &AnkiNote) -> Vec<String> {
    let roots: Vec<&str> = [
        note.tags.first().and_then(|tag| tag.split("::").next()),
        note.notetype.strip_prefix("deckforge-"),
    ]
    .into_iter()
    .flatten()
    .filter(|root| !root.is_empty())
    .collect();
    let owned = |tag: &str| {
        roots.iter().any(|root| {
            tag == *root
                || tag
                    .strip_prefix(root)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
    };
    before
        .tags
        .iter()
        .filter(|tag| !note.tags.contains(tag))
        .filter(|tag| !owned(tag) && tag.as_str() != REMOVED_TAG)
        .cloned()
        .collect()
}

/// Puts back the learner's tags the import replaced.
fn keep_tags(
    client: &Client,
    notes: &[InspectedNote],
    before: &HashMap<i64, AnkiNote>,
    after: &HashMap<i64, AnkiNote>,
    report: &mut PushReport,
) -> Result<(), ConnectError> {
    let mut by_tags: BTreeMap<Vec<String>, Vec<(i64, String)>> = BTreeMap::new();
    for note in notes {
        let Some(id) = note.note_id else { continue };
        let (Some(was), Some(now)) = (before.get(&id), after.get(&id)) else {
            continue;
        };
        let lost: Vec<String> = learner_tags(note, was)
            .into_iter()
            .filter(|tag| !now.tags.contains(tag))
            .collect();
        if !lost.is_empty() {
            by_tags.entry(lost).or_default().push((id, question(note)));
        }
    }
    for (tags, owners) in by_tags {
        let ids: Vec<i64> = owners.iter().map(|(id, _)| *id).collect();
        client.request("addTags", json!({"notes": ids, "tags": tags.join(" ")}))?;
        report.tags_kept.extend(owners.into_iter().map(|(_, q)| q));
    }
    Ok(())
}

/// Moves (with `--move`) or counts the cards whose deck is not the one the sources say.
fn place_cards(
    client: &Client,
    notes: &[InspectedNote],
    anki: &HashMap<i64, AnkiNote>,
    options: PushOptions,
    report: &mut PushReport,
) -> Result<(), ConnectError> {
    let wanted: HashMap<i64, &InspectedNote> = notes
        .iter()
        .filter(|n| !n.deck.is_empty())
        .filter_map(|n| n.note_id.map(|id| (id, n)))
        .filter(|(id, n)| anki.get(id).is_some_and(|held| held.model == n.notetype))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = wanted.keys().map(i64::to_string).collect();
    let cards = client.request(
        "findCards",
        json!({"query": format!("nid:{}", ids.join(","))}),
    )?;
    let info = client.request("cardsInfo", json!({"cards": cards}))?;
    let mut moves: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    for card in info.as_array().into_iter().flatten() {
        let (Some(card_id), Some(note_id), Some(deck)) = (
            card["cardId"].as_i64(),
            card["note"].as_i64(),
            card["deckName"].as_str(),
        ) else {
            continue;
        };
        let Some(note) = wanted.get(&note_id) else {
            continue;
        };
        if deck != note.deck {
            moves.entry(note.deck.clone()).or_default().push((
                card_id,
                question(note),
                deck.to_string(),
            ));
        }
    }
    if !options.move_cards {
        report.not_moved = moves.values().map(Vec::len).sum();
        return Ok(());
    }
    for (deck, cards) in moves {
        let ids: Vec<i64> = cards.iter().map(|(id, _, _)| *id).collect();
        client.request("changeDeck", json!({"cards": ids, "deck": deck}))?;
        report.moved.extend(
            cards
                .into_iter()
                .map(|(_, question, from)| (question, from, deck.clone())),
        );
    }
    Ok(())
}

/// A retired note Anki still holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetiredNote {
    pub note_id: i64,
    pub question: String,
}

/// The notes of this deck's note types that Anki holds tagged as retired (`REMOVED_TAG`).
pub fn retired_notes(
    client: &Client,
    notes: &[InspectedNote],
) -> Result<Vec<RetiredNote>, ConnectError> {
    let types = note_types(notes);
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let of_types: Vec<String> = types
        .iter()
        .map(|name| format!("\"note:{}\"", search_escape(name)))
        .collect();
    let query = format!(
        "({}) \"tag:{}\"",
        of_types.join(" OR "),
        search_escape(REMOVED_TAG)
    );
    let ids = client.request("findNotes", json!({ "query": query }))?;
    let info = client.request("notesInfo", json!({ "notes": ids }))?;
    let mut retired = Vec::new();
    for note in info.as_array().into_iter().flatten() {
        let Some(note_id) = note["noteId"].as_i64() else {
            continue;
        };
        let question = note["fields"]["Question"]["value"]
            .as_str()
            .map(crate::write::anki_text::strip_html_preserving_media_filenames)
            .unwrap_or_default();
        retired.push(RetiredNote {
            note_id,
            question: question.split_whitespace().collect::<Vec<_>>().join(" "),
        });
    }
    Ok(retired)
}

/// The distinct note types of `notes`.
fn note_types(notes: &[InspectedNote]) -> BTreeSet<&str> {
    notes.iter().map(|n| n.notetype.as_str()).collect()
}

/// Deletes notes (and their cards and review history) from Anki.
pub fn delete_notes(client: &Client, notes: &[RetiredNote]) -> Result<(), ConnectError> {
    let ids: Vec<i64> = notes.iter().map(|n| n.note_id).collect();
    client.request("deleteNotes", json!({ "notes": ids }))?;
    Ok(())
}

/// A value for Anki's search inside quotes: `"` and `\` escaped, `*` and `_` taken literally.
fn search_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '*' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What Anki holds of `notes`, by note id (notes it does not hold are absent).
fn notes_info(
    client: &Client,
    notes: &[InspectedNote],
) -> Result<HashMap<i64, AnkiNote>, ConnectError> {
    let ids: Vec<i64> = notes.iter().filter_map(|n| n.note_id).collect();
    let info = client.request("notesInfo", json!({ "notes": ids }))?;
    let mut held = HashMap::new();
    for note in info.as_array().into_iter().flatten() {
        // The add-on answers `{}` for an id it does not hold.
        let Some(id) = note["noteId"].as_i64() else {
            continue;
        };
        let fields = note["fields"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, field)| {
                let value = field["value"].as_str().unwrap_or_default();
                (name.clone(), value.to_string())
            })
            .collect();
        let tags = note["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        held.insert(
            id,
            AnkiNote {
                model: note["modelName"].as_str().unwrap_or_default().to_string(),
                fields,
                tags,
            },
        );
    }
    Ok(held)
}

/// A note named by its question as a reader sees it, for the report.
fn question(note: &InspectedNote) -> String {
    let text = crate::write::anki_text::strip_html_preserving_media_filenames(note.first_field());
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(tags: &[&str]) -> InspectedNote {
        InspectedNote {
            guid: "g".into(),
            deck: "Deck".into(),
            notetype: "deckforge-mlops".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            fields: vec![("Question".into(), "<b>Why?</b>".into())],
            modified: Some(1),
            note_id: Some(1),
        }
    }

    #[test]
    fn learner_tags_are_those_not_under_the_deck_root() {
        let held = AnkiNote {
            model: "deckforge-mlops".into(),
            fields: BTreeMap::new(),
            tags: [
                "mlops::Old_section",
                "mlops",
                "hard",
                "marked",
                "exam::week1",
                REMOVED_TAG,
                "author",
                "mlopsy",
            ]
            .into_iter()
            .map(str::to_string)
            .collect(),
        };
        // The package's own tags and the deck root's are the author's; a tag that only starts
        // like the root is the learner's.
        let kept = learner_tags(&note(&["mlops::New_section", "author"]), &held);
        assert_eq!(kept, vec!["exam::week1", "hard", "marked", "mlopsy"]);
        // A note type named otherwise: the root still comes from the section tag.
        let mut renamed = note(&["mlops::New_section"]);
        renamed.notetype = "deckforge-mlops-reversed".into();
        let kept = learner_tags(&renamed, &held);
        assert_eq!(
            kept,
            vec!["author", "exam::week1", "hard", "marked", "mlopsy"]
        );
    }

    #[test]
    fn search_values_are_taken_literally() {
        assert_eq!(search_escape("deckforge-my_deck"), r"deckforge-my\_deck");
        assert_eq!(search_escape("deckforge::removed"), "deckforge::removed");
        assert_eq!(search_escape("a\"b*"), r#"a\"b\*"#);
    }

    #[test]
    fn media_names_are_found_in_images_and_sounds() {
        assert_eq!(
            media_names(r#"<img src="a1.png" alt="x"> [sound:b2.mp3] <img src="c3.svg">"#),
            ["a1.png", "c3.svg", "b2.mp3"]
        );
    }

    #[test]
    fn questions_are_named_as_read() {
        assert_eq!(question(&note(&[])), "Why?");
    }
}
