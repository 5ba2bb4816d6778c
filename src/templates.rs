//! The card templates and CSS of deckforge's note type: embedded defaults from `templates/`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::CardTemplate;
use crate::write::atomic::{write_error, write_file};

/// The files a template folder may hold; each one present replaces the default.
pub const TEMPLATE_FILES: [&str; 3] = ["front.html", "back.html", "style.css"];

/// Front, back and styling of the single card template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    /// The front (question side) template, Anki's `qfmt`.
    pub front: String,
    /// The back (answer side) template, Anki's `afmt`; `{{FrontSide}}` repeats the front.
    pub back: String,
    /// The note type's CSS, shared by both sides.
    pub css: String,
    /// The files these were read from, so a build never writes its output over one.
    pub files: Vec<PathBuf>,
}

/// The template name is part of the note type's schema; it never changes.
pub const CARD_TEMPLATE_NAME: &str = "Question → Answer";

impl Default for Templates {
    fn default() -> Self {
        Templates {
            front: include_str!("../templates/front.html").to_string(),
            back: include_str!("../templates/back.html").to_string(),
            css: include_str!("../templates/style.css").to_string(),
            files: Vec::new(),
        }
    }
}

impl Templates {
    /// The defaults with any of `front.html`, `back.html` and `style.css` found in `dir` replacing them.
    pub fn from_dir(dir: &Path) -> Result<Templates> {
        if !dir.is_dir() {
            return Err(Error::io(
                dir,
                "read the templates folder",
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            ));
        }
        let mut templates = Templates::default();
        let mut found = 0;
        let mut read = Vec::new();
        for (name, slot) in TEMPLATE_FILES.iter().zip([
            &mut templates.front,
            &mut templates.back,
            &mut templates.css,
        ]) {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    *slot = text;
                    found += 1;
                    read.push(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, "read the template", e)),
            }
        }
        if found == 0 {
            return Err(Error::Syntax {
                path: dir.to_path_buf(),
                line: 1,
                message: "the templates folder holds none of front.html, back.html, style.css"
                    .to_string(),
            });
        }
        templates.files = read;
        Ok(templates)
    }

    /// Writes the three default files into `dir` (created if missing), for editing and then
    /// `--templates DIR`. Existing files are replaced only with `force`; without it nothing
    /// is written when any of them exists. Returns the paths written.
    pub fn export_defaults(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
        let defaults = Templates::default();
        let paths: Vec<PathBuf> = TEMPLATE_FILES.iter().map(|name| dir.join(name)).collect();
        if !force {
            if let Some(existing) = paths.iter().find(|path| path.exists()) {
                return Err(Error::WouldOverwrite {
                    path: existing.clone(),
                });
            }
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(dir, "create the templates folder", e))?;
        for (path, text) in paths
            .iter()
            .zip([&defaults.front, &defaults.back, &defaults.css])
        {
            write_file(path, |out| {
                out.write_all(text.as_bytes()).map_err(write_error(path))
            })?;
        }
        Ok(paths)
    }

    /// The note type's card templates: one, named [`CARD_TEMPLATE_NAME`].
    pub fn card_templates(&self) -> Vec<CardTemplate> {
        vec![CardTemplate {
            name: CARD_TEMPLATE_NAME.to_string(),
            front: self.front.clone(),
            back: self.back.clone(),
        }]
    }
}
