//! Which decks a changed file affects, for `deckforge watch`: the decision is kept apart from
//! the file-watching loop so it can be tested without waiting for a file system.
//!
//! A deck depends on its sources, its template files (and any file of its templates folder)
//! and the images beside or below its sources. Its own output, lock and the hidden temporary
//! files and journal a build writes are not dependencies, or every build would start another.

use std::path::{Path, PathBuf};

// The watcher's paths are absolute and real (/tmp may be a link), the options' often relative:
// both are compared resolved.
use crate::write::atomic::resolved_path;

use crate::build::BuildOptions;
use crate::config::CONFIG_FILE;

/// The folders to watch (recursively) for `decks`: those of their sources and templates,
/// without any folder inside another.
pub fn folders(decks: &[BuildOptions]) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = decks
        .iter()
        .flat_map(|deck| deck.inputs.iter().chain(&deck.templates.files))
        .map(|file| resolved_path(&parent(file)))
        .collect();
    folders.sort();
    folders.dedup();
    let mut minimal: Vec<PathBuf> = Vec::new();
    for folder in folders {
        if !minimal.iter().any(|outer| folder.starts_with(outer)) {
            minimal.push(folder);
        }
    }
    minimal
}

/// The indices of the decks a change to `path` affects: all of them for a deckforge.toml
/// (the project may have changed), none for a folder or a deck's own output, lock or
/// temporary files.
pub fn affected(decks: &[BuildOptions], path: &Path) -> Vec<usize> {
    let path = resolved_path(path);
    let hidden = path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'));
    // A folder's own event (its listing changed) says nothing its files' events do not.
    if hidden || path.is_dir() || decks.iter().any(|deck| is_written_by(deck, &path)) {
        return Vec::new();
    }
    if path.file_name().is_some_and(|name| name == CONFIG_FILE) {
        return (0..decks.len()).collect();
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let media = crate::render::media::is_media_extension(&extension);
    (0..decks.len())
        .filter(|&i| {
            let deck = &decks[i];
            let source = deck.inputs.iter().any(|input| resolved_path(input) == path);
            let template = deck
                .templates
                .files
                .iter()
                .any(|file| path.starts_with(resolved_path(&parent(file))));
            // An image, sound or video beside or below a source may be one it shows; other
            // files there (another deck's source, a log) are not the deck's.
            let beside = media
                && deck
                    .inputs
                    .iter()
                    .any(|input| path.starts_with(resolved_path(&parent(input))));
            source || template || beside
        })
        .collect()
}

/// Whether a build of `deck` writes `path`.
fn is_written_by(deck: &BuildOptions, path: &Path) -> bool {
    resolved_path(&deck.output) == path
        || deck
            .lock_path()
            .is_some_and(|lock| resolved_path(&lock) == path)
}

fn parent(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck(inputs: &[&str], output: &str) -> BuildOptions {
        let mut options =
            BuildOptions::new(inputs.iter().map(PathBuf::from).collect(), output.into(), 0);
        options.templates.files = vec![PathBuf::from("design/front.html")];
        options
    }

    #[test]
    fn a_change_rebuilds_the_decks_that_read_it_and_no_deck_rebuilds_itself() {
        let decks = [
            deck(&["a/one.md"], "a/one.apkg"),
            deck(&["b/two.md", "b/more.md"], "out/two.csv"),
        ];
        assert_eq!(affected(&decks, Path::new("a/one.md")), [0]);
        assert_eq!(affected(&decks, Path::new("b/more.md")), [1]);
        assert_eq!(affected(&decks, Path::new("a/img/cat.png")), [0]);
        assert_eq!(affected(&decks, Path::new("design/style.css")), [0, 1]);
        assert_eq!(affected(&decks, Path::new("deckforge.toml")), [0, 1]);
        assert!(affected(&decks, Path::new("a/other.md")).is_empty());
        assert!(affected(&decks, Path::new("a/serve.log")).is_empty());
        assert!(affected(&decks, Path::new("a/one.apkg")).is_empty());
        assert!(affected(&decks, Path::new("out/two.csv")).is_empty());
        assert!(affected(&decks, Path::new("a/one.deckforge.lock")).is_empty());
        assert!(affected(&decks, Path::new("a/.one.apkg.deckforge-1-2.apkg")).is_empty());
    }

    #[test]
    fn folders_inside_watched_folders_are_not_watched_twice() {
        let decks = [deck(&["notes/a.md", "notes/sub/b.md"], "a.apkg")];
        let folders = folders(&decks);
        assert_eq!(folders.len(), 2, "{folders:?}");
        assert!(folders.iter().any(|f| f.ends_with("notes")));
        assert!(folders.iter().any(|f| f.ends_with("design")));
    }
}
