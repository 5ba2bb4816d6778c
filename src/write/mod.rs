//! Output writers: each takes the finished [`Package`](crate::model::Package) and writes one format atomically.

pub mod anki_text;
pub mod apkg;
pub mod atomic;
pub mod csv;
mod parallel_zip;
pub mod presets;

use std::path::Path;

use crate::error::{Error, Result};
use presets::{Preset, TextOptions};

/// The file formats deckforge writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Anki package (`.apkg`).
    Apkg,
    /// A text format: Anki's CSV import or another app's (`.csv`, `.txt`, `.tsv`, ...).
    Text(Preset),
}

impl OutputFormat {
    /// Picks the format from the output file's extension: `.apkg` or `.csv` (Anki's CSV).
    pub fn from_path(path: &Path) -> Result<Self> {
        Self::for_output(path, &TextOptions::default())
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
