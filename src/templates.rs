//! The card templates and CSS of deckforge's note type: embedded defaults from `templates/`.
//!
//! Templates are checked against the note type's fields when a build starts: Anki shows a
//! card whose template names an unknown field (`{{Nope}}`) as an error page, so a build refuses
//! it with the file and line instead of shipping it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::{CardTemplate, FIELD_NAMES};
use crate::write::atomic::{write_error, write_file};

/// The files a template folder may hold; each one present replaces the default.
pub(crate) const TEMPLATE_FILES: [&str; 3] = ["front.html", "back.html", "style.css"];

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
pub(crate) const CARD_TEMPLATE_NAME: &str = "Question → Answer";

/// The reverse card's template name in the reversed note type; it never changes once shipped.
pub(crate) const REVERSE_TEMPLATE_NAME: &str = "Answer → Question";

/// The cloze note type's template name; it never changes once shipped.
pub(crate) const CLOZE_TEMPLATE_NAME: &str = "Cloze";

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

/// Fields Anki fills in itself, on either side.
const SPECIAL_FIELDS: [&str; 7] = [
    "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag", "CardID",
];

fn template_error(path: &Path, line: usize, message: String) -> Error {
    Error::Syntax {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// Checks every `{{…}}` of a template as Anki reads it: the field after the last `:` (filters
/// such as `text:` or `tts en_US:` come first) must be one of the note type's, a special field,
/// or `FrontSide` on the back; `{{#F}}` / `{{^F}}` sections must close with `{{/F}}` in order.
/// Returns every problem with its line, in order (an unclosed `{{` ends the search).
fn check_template(template: &str, back: bool) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut offset = 0;
    while let Some(start) = template[offset..].find("{{").map(|i| offset + i) {
        let line = template[..start].matches('\n').count() + 1;
        let Some(length) = template[start + 2..].find("}}") else {
            problems.push((line, "`{{` is never closed with `}}`".to_string()));
            break;
        };
        let tag = template[start + 2..start + 2 + length].trim();
        offset = start + 2 + length + 2;
        let (kind, body) = match tag.chars().next() {
            Some(c @ ('#' | '^' | '/')) => (Some(c), tag[1..].trim()),
            _ => (None, tag),
        };
        let field = body.rsplit(':').next().unwrap_or_default().trim();
        let known = FIELD_NAMES.contains(&field)
            || SPECIAL_FIELDS.contains(&field)
            || (back && field == "FrontSide" && kind.is_none());
        if !known {
            let front_side = if back {
                ", and FrontSide on the back"
            } else {
                ""
            };
            problems.push((
                line,
                format!(
                    "{{{{{tag}}}}} names no field of the note type; its fields are {}{front_side}",
                    FIELD_NAMES.join(", ")
                ),
            ));
        }
        match (kind, open.last()) {
            (Some('#' | '^'), _) => open.push((field.to_string(), line)),
            (Some(_), Some((name, _))) if name == field => {
                open.pop();
            }
            (Some(_), Some((name, opened))) => problems.push((
                line,
                format!("{{{{/{field}}}}} closes {{{{#{name}}}}} from line {opened}"),
            )),
            (Some(_), None) => problems.push((line, format!("{{{{/{field}}}}} closes nothing"))),
            (None, _) => {}
        }
    }
    problems.extend(
        open.into_iter()
            .map(|(name, line)| (line, format!("{{{{#{name}}}}} is never closed"))),
    );
    problems
}

impl Templates {
    /// The defaults with any of `front.html`, `back.html` and `style.css` found in `dir` replacing them.
    pub fn from_dir(dir: &Path) -> Result<Templates> {
        if !dir.exists() {
            return Err(Error::Malformed {
                path: dir.to_path_buf(),
                message: format!(
                    "no such templates folder; `deckforge templates export {}` writes the \
                     default design there to edit",
                    dir.display()
                ),
            });
        }
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

    /// Checks both templates against the note type's fields (see the module documentation),
    /// naming the template file and line of the first problem. Builds call it.
    pub(crate) fn check_fields(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(template_error(&problem.path, problem.line, problem.message)),
            None => Ok(()),
        }
    }

    /// Every problem of both templates as a warning naming the template file and line
    /// (`front.html` or `back.html` for a default one); a preview lists them all, since it shows
    /// a broken card on the page as Anki would instead of refusing it.
    pub(crate) fn problems(&self) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        for (text, back, name) in [
            (&self.front, false, "front.html"),
            (&self.back, true, "back.html"),
        ] {
            let path = self
                .files
                .iter()
                .find(|f| f.file_name().is_some_and(|n| n == name))
                .cloned()
                .unwrap_or_else(|| PathBuf::from(name));
            problems.extend(
                check_template(text, back)
                    .into_iter()
                    .map(|(line, message)| Diagnostic::warning(&path, line, 1, message)),
            );
        }
        problems
    }

    /// The reversed note type's card templates: these templates' card, then the reverse one
    /// (answer → question, named [`REVERSE_TEMPLATE_NAME`]). The reverse design is built in.
    pub(crate) fn reversed_templates(&self) -> Vec<CardTemplate> {
        let mut templates = self.card_templates();
        templates.push(CardTemplate {
            name: REVERSE_TEMPLATE_NAME.to_string(),
            front: include_str!("../templates/reverse-front.html").to_string(),
            back: include_str!("../templates/reverse-back.html").to_string(),
        });
        templates
    }

    /// The cloze note type's one template ([`CLOZE_TEMPLATE_NAME`]), built in: Anki renders
    /// `{{cloze:Text}}` once per cloze number.
    pub(crate) fn cloze_template(&self) -> CardTemplate {
        CardTemplate {
            name: CLOZE_TEMPLATE_NAME.to_string(),
            front: include_str!("../templates/cloze-front.html").to_string(),
            back: include_str!("../templates/cloze-back.html").to_string(),
        }
    }

    /// The cloze note type's CSS: these templates' CSS and the cloze rules, kept apart so the
    /// basic type's design (and its stamp) is untouched.
    pub(crate) fn cloze_css(&self) -> String {
        format!("{}{}", self.css, include_str!("../templates/cloze.css"))
    }

    /// The note type's card templates: one, named [`CARD_TEMPLATE_NAME`].
    pub(crate) fn card_templates(&self) -> Vec<CardTemplate> {
        vec![CardTemplate {
            name: CARD_TEMPLATE_NAME.to_string(),
            front: self.front.clone(),
            back: self.back.clone(),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_templates_pass_their_own_check() {
        let defaults = Templates::default();
        assert_eq!(check_template(&defaults.front, false), []);
        assert_eq!(check_template(&defaults.back, true), []);
    }

    #[test]
    fn the_built_in_reverse_and_cloze_templates_name_only_their_fields() {
        let defaults = Templates::default();
        let reverse = &defaults.reversed_templates()[1];
        assert_eq!(reverse.name, REVERSE_TEMPLATE_NAME);
        assert_eq!(
            check_template(&reverse.front, false),
            Vec::<(usize, String)>::new()
        );
        assert_eq!(
            check_template(&reverse.back, true),
            Vec::<(usize, String)>::new()
        );
        // The cloze type's Text and Extra sit where Question and Answer do.
        let cloze = defaults.cloze_template();
        let as_basic = |t: &str| t.replace("Text", "Question").replace("Extra", "Answer");
        assert!(cloze.front.contains("{{cloze:Text}}") && cloze.back.contains("{{cloze:Text}}"));
        assert_eq!(
            check_template(&as_basic(&cloze.front), false),
            Vec::<(usize, String)>::new()
        );
        assert_eq!(
            check_template(&as_basic(&cloze.back), true),
            Vec::<(usize, String)>::new()
        );
        assert!(defaults.cloze_css().starts_with(&defaults.css));
    }

    #[test]
    fn unknown_fields_and_unbalanced_sections_are_found_with_their_line() {
        let ok = "{{text:Question}} {{tts en_US:Answer}} {{#Tags}}{{Tags}}{{/Tags}} {{^Source}}-{{/Source}}";
        assert_eq!(check_template(ok, false), []);
        let [(line, message)] = &check_template("a\nb {{Nope}}", false)[..] else {
            panic!("one problem")
        };
        let line = *line;
        assert_eq!(line, 2);
        assert!(message.starts_with("{{Nope}} names no field"), "{message}");
        assert!(
            !check_template("{{FrontSide}}", false).is_empty(),
            "the front has no FrontSide"
        );
        assert_eq!(check_template("{{FrontSide}}", true), []);
        assert_eq!(
            check_template("{{#Section}}\n{{/Number}}", false),
            [
                (2, "{{/Number}} closes {{#Section}} from line 1".to_string()),
                (1, "{{#Section}} is never closed".to_string())
            ]
        );
        assert_eq!(
            check_template("x\n{{#Section}}", false),
            [(2, "{{#Section}} is never closed".to_string())]
        );
        assert_eq!(check_template("{{Question", false).len(), 1);
    }

    #[test]
    fn every_problem_of_both_templates_is_named_with_its_file() {
        let templates = Templates {
            front: "{{Nope}}\n{{#Open}}x".to_string(),
            back: "{{FrontSide}}\n{{/Bad}}".to_string(),
            css: String::new(),
            files: vec![PathBuf::from("design/front.html")],
        };
        let problems: Vec<String> = templates.problems().iter().map(|d| d.to_string()).collect();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].starts_with("design/front.html:1:1: warning: {{Nope}} names no field"));
        assert!(
            problems[1].starts_with("design/front.html:2:1: warning: {{#Open}} names no field")
        );
        assert_eq!(
            problems[2],
            "design/front.html:2:1: warning: {{#Open}} is never closed"
        );
        // The back was not overridden: it is named by its default file name.
        assert!(problems[3].starts_with("back.html:2:1: warning: {{/Bad}} names no field"));
        assert_eq!(
            problems[4],
            "back.html:2:1: warning: {{/Bad}} closes nothing"
        );
        let error = templates.check_fields().unwrap_err().to_string();
        assert!(
            error.starts_with("design/front.html:1: {{Nope}}"),
            "{error}"
        );
    }
}
