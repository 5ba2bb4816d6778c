//! Output writers: every format implements one [`Writer`] trait, pulling the deck's notes from a
//! [`NoteSource`] one at a time (mdBook's `Renderer` is the pattern), so no writer calls back
//! into the build and no format holds a large deck rendered in memory.

pub mod anki_text;
pub mod apkg;
pub mod atomic;
pub mod csv;
mod parallel_zip;
pub mod presets;
mod sqlite_file;

use std::borrow::Cow;
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{DeckMeta, Note, NoteSource};
use crate::progress::ProgressFn;
use atomic::{FilledFile, PendingFile};
use presets::{Preset, TextOptions};

/// One output format. `fill` writes the deck into a complete, synced temporary file beside
/// `target`, which the caller renames into place (with the lock, through
/// `atomic::persist_together`), so a failed write leaves the previous output.
pub trait Writer {
    fn fill(
        &self,
        meta: &DeckMeta,
        notes: &dyn NoteSource,
        target: &Path,
        progress: ProgressFn,
    ) -> Result<FilledFile>;
}

/// The `.apkg` writer (see [`apkg`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApkgWriter;

impl Writer for ApkgWriter {
    fn fill(
        &self,
        meta: &DeckMeta,
        notes: &dyn NoteSource,
        target: &Path,
        progress: ProgressFn,
    ) -> Result<FilledFile> {
        apkg::fill_apkg(meta, notes, target, progress)
    }
}

/// A text writer: Anki's CSV or another app's format ([`Preset`]), with or without a BOM.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextWriter {
    pub preset: Preset,
    pub bom: bool,
}

impl Writer for TextWriter {
    fn fill(
        &self,
        meta: &DeckMeta,
        notes: &dyn NoteSource,
        target: &Path,
        _progress: ProgressFn,
    ) -> Result<FilledFile> {
        PendingFile::create(target)?
            .fill_with(|out| write_text(meta, notes, self.preset, self.bom, out))
    }
}

/// Writes `notes` in `preset`'s text format to `out`, after a BOM if `bom`.
pub(crate) fn write_text<W: std::io::Write>(
    meta: &DeckMeta,
    notes: &dyn NoteSource,
    preset: Preset,
    bom: bool,
    out: &mut W,
) -> std::io::Result<()> {
    if bom {
        out.write_all(presets::BOM.as_bytes())?;
    }
    presets::write_preset(meta, notes, preset, out)
}

/// Calls `each` with every note in order, the notes made (for a build: rendered) on every core
/// a batch at a time, so a text output streams as an `.apkg` does.
pub(crate) fn each_note(
    notes: &dyn NoteSource,
    mut each: impl FnMut(&Note) -> std::io::Result<()>,
) -> std::io::Result<()> {
    const PER_THREAD: usize = 256;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let count = notes.count();
    let mut start = 0;
    while start < count {
        let end = (start + PER_THREAD * threads).min(count);
        let batch: Vec<Cow<'_, Note>> = if threads < 2 || end - start <= PER_THREAD {
            (start..end).map(|i| notes.note(i)).collect()
        } else {
            std::thread::scope(|scope| {
                let parts: Vec<_> = (start..end)
                    .step_by(PER_THREAD)
                    .map(|from| {
                        let to = (from + PER_THREAD).min(end);
                        scope.spawn(move || (from..to).map(|i| notes.note(i)).collect::<Vec<_>>())
                    })
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|part| part.join().expect("making a note does not panic"))
                    .collect()
            })
        };
        for note in &batch {
            each(note)?;
        }
        start = end;
    }
    Ok(())
}

/// The file formats deckforge writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Anki package (`.apkg`).
    Apkg,
    /// A text format: Anki's CSV import or another app's (`.csv`, `.txt`, `.tsv`, ...).
    Text(Preset),
}

impl OutputFormat {
    /// The writer of this format.
    pub fn writer(self, bom: bool) -> Box<dyn Writer> {
        match self {
            OutputFormat::Apkg => Box::new(ApkgWriter),
            OutputFormat::Text(preset) => Box::new(TextWriter { preset, bom }),
        }
    }

    /// Picks the format from the preset, if one is named, and otherwise from the extension.
    /// A preset names a text format, so a non-Anki preset (or a BOM) on an `.apkg` output
    /// is a mistake worth stopping for rather than a package with the wrong name.
    pub fn for_output(path: &Path, text: &TextOptions) -> Result<Self> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let is_apkg = extension.as_deref() == Some("apkg");
        let format = match (text.preset, extension.as_deref()) {
            (None | Some(Preset::Anki), Some("apkg")) => OutputFormat::Apkg,
            (Some(preset), _) if !is_apkg => OutputFormat::Text(preset),
            (Some(preset), _) => {
                return Err(Error::TextOptionOnPackage {
                    path: path.to_path_buf(),
                    option: format!("--preset {preset}"),
                    hint: format!("name the output .{} instead", preset.extension()),
                });
            }
            (None, Some("csv")) => OutputFormat::Text(Preset::Anki),
            (None, _) => {
                return Err(Error::UnknownOutputFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        if text.bom && format == OutputFormat::Apkg {
            return Err(Error::TextOptionOnPackage {
                path: path.to_path_buf(),
                option: "--bom".to_string(),
                hint: "a BOM only applies to text outputs such as .csv".to_string(),
            });
        }
        Ok(format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(path: &str, preset: Option<Preset>, bom: bool) -> Result<OutputFormat> {
        OutputFormat::for_output(Path::new(path), &TextOptions { preset, bom })
    }

    #[test]
    fn the_preset_overrides_the_extension() {
        assert_eq!(choose("a.apkg", None, false).unwrap(), OutputFormat::Apkg);
        assert_eq!(
            choose("a.CSV", None, true).unwrap(),
            OutputFormat::Text(Preset::Anki)
        );
        assert_eq!(
            choose("a.csv", Some(Preset::Plain), false).unwrap(),
            OutputFormat::Text(Preset::Plain)
        );
        assert_eq!(
            choose("a.txt", Some(Preset::Quizlet), false).unwrap(),
            OutputFormat::Text(Preset::Quizlet)
        );
        assert_eq!(
            choose("a.apkg", Some(Preset::Anki), false).unwrap(),
            OutputFormat::Apkg
        );
    }

    #[test]
    fn text_options_on_a_package_and_unknown_extensions_are_refused() {
        let err = choose("a.apkg", Some(Preset::Quizlet), false).unwrap_err();
        assert!(matches!(err, Error::TextOptionOnPackage { .. }), "{err}");
        assert!(err.to_string().contains("--preset quizlet"), "{err}");
        let err = choose("a.apkg", None, true).unwrap_err();
        assert!(err.to_string().contains("--bom"), "{err}");
        let err = choose("a.txt", None, false).unwrap_err();
        assert!(matches!(err, Error::UnknownOutputFormat { .. }), "{err}");
        assert!(err.to_string().contains("--preset"), "{err}");
    }
}
