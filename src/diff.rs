//! Compares two versions of a deck, as sources or as packages, and lists the changes by question.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::build::{
    BuildOptions, ChangeCounts, ChangeKind, ChangedNote, LockMode, REMOVED_TAG, plan_changes,
};
use crate::error::{Error, Result};
use crate::inspect::{InspectedNote, inspect};
use crate::source::{self, LayoutChoice};
use crate::write::anki_text::strip_html_preserving_media_filenames;

/// The changes from an old version to a new one.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub counts: ChangeCounts,
    pub changes: Vec<ChangedNote>,
}

/// Whether `diff` reads `path` as a Markdown source (by its extension) rather than as a deck.
pub fn is_markdown(path: &Path) -> bool {
    matches!(
        path.extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref(),
        Some("md" | "markdown" | "mdown" | "txt")
    )
}

/// Diffs two Markdown sources (with deckforge's identity rules, as a rebuild would see them)
/// or two packages/CSV files (by GUID).
/// `layout` is how the sources are read, as `build --layout` reads them.
pub fn diff(
    old: &Path,
    new: &Path,
    deck_id: Option<&str>,
    layout: LayoutChoice,
) -> Result<DiffReport> {
    if is_markdown(old) && is_markdown(new) {
        diff_sources(old, new, deck_id, layout)
    } else {
        Ok(diff_notes(&with_ids(old)?, &with_ids(new)?))
    }
}

/// The notes of a deck file, which must carry GUIDs: without them (Quizlet, Brainscape,
/// Mnemosyne and SuperMemo files) two versions cannot be matched note for note.
fn with_ids(path: &Path) -> Result<Vec<InspectedNote>> {
    let inspection = inspect(path)?;
    if inspection.notes.iter().any(|n| n.guid.is_empty()) {
        return Err(Error::Malformed {
            path: path.to_path_buf(),
            message: format!(
                "a {} file holds no note ids, so its notes cannot be matched; diff compares \
                 .apkg files and CSVs with ids (Anki, plain) by GUID, or two Markdown sources",
                inspection.format
            ),
        });
    }
    Ok(inspection.notes)
}

fn diff_sources(
    old: &Path,
    new: &Path,
    deck_id: Option<&str>,
    layout: LayoutChoice,
) -> Result<DiffReport> {
    let old_doc = source::load_with(old, layout)?;
    let new_doc = source::load_with(new, layout)?;
    let mut options = BuildOptions::new(vec![old.to_path_buf()], old.with_extension("apkg"), 0);
    options.lock = LockMode::Off;
    // Without a lock the default deck id is the old source's name, as for `build --no-lock`.
    options.deck_id = deck_id.map(str::to_string);
    let before = plan_changes(std::slice::from_ref(&old_doc), &options, None);
    let after = plan_changes(std::slice::from_ref(&new_doc), &options, Some(&before.lock));
    Ok(DiffReport {
        counts: after.counts,
        changes: after.changes,
    })
}

fn visible(html: &str) -> String {
    strip_html_preserving_media_filenames(html)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Equal fields and tags; the question number does not count, as in a rebuild, because
/// inserting one question renumbers every later one.
fn same_content(a: &InspectedNote, b: &InspectedNote) -> bool {
    let content = |n: &InspectedNote| -> Vec<(String, String)> {
        n.fields
            .iter()
            .filter(|(name, _)| name != "Number")
            .cloned()
            .collect()
    };
    a.tags == b.tags && content(a) == content(b)
}

fn diff_notes(old: &[InspectedNote], new: &[InspectedNote]) -> DiffReport {
    let old_by_guid: HashMap<&str, &InspectedNote> =
        old.iter().map(|n| (n.guid.as_str(), n)).collect();
    let new_guids: std::collections::HashSet<&str> = new.iter().map(|n| n.guid.as_str()).collect();
    let removed_tag = |n: &InspectedNote| n.tags.iter().any(|t| t == REMOVED_TAG);
    let mut counts = ChangeCounts::default();
    let mut changes = Vec::new();
    let mut record = |change: ChangeKind, note: &InspectedNote, previous: Option<String>| {
        changes.push(ChangedNote {
            change,
            guid: note.guid.clone(),
            question: visible(note.first_field()),
            previous,
            now_kind: None,
        });
    };
    for note in new {
        match old_by_guid.get(note.guid.as_str()) {
            None => {
                counts.added += 1;
                record(ChangeKind::Added, note, None);
            }
            Some(before) if removed_tag(note) && !removed_tag(before) => {
                counts.removed += 1;
                record(ChangeKind::Removed, before, None);
            }
            Some(before) if same_content(before, note) => counts.unchanged += 1,
            Some(before) if visible(before.first_field()) != visible(note.first_field()) => {
                counts.reworded += 1;
                record(
                    ChangeKind::Reworded,
                    note,
                    Some(visible(before.first_field())),
                );
            }
            Some(_) => {
                counts.updated += 1;
                record(ChangeKind::Updated, note, None);
            }
        }
    }
    for note in old
        .iter()
        .filter(|n| !new_guids.contains(n.guid.as_str()) && !removed_tag(n))
    {
        counts.removed += 1;
        record(ChangeKind::Removed, note, None);
    }
    DiffReport { counts, changes }
}
