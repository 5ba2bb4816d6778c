//! Turns source documents into card drafts: reading files, front matter, and the Markdown walk.

pub(crate) mod cloze;
pub mod frontmatter;
// The layouts are being reworked (issue of helper "reader"); their items become `pub(crate)`
// with that work, until then the lint that asks for it is quiet here.
#[allow(unreachable_pub)]
pub mod layout;
pub mod markdown;
pub(crate) mod tags;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::NoteKind;
pub(crate) use frontmatter::FrontMatter;
pub use layout::{Layout, LayoutChoice};

/// One question and its answer as the author wrote them (Markdown), with where they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardDraft {
    /// The question as inline Markdown, without its number or bold markers.
    pub question: String,
    /// The answer as Markdown, without the `Answer:` label.
    pub answer: String,
    /// The headings above the question, outermost first.
    pub section: std::sync::Arc<[String]>,
    /// The number the author gave the question, if any.
    pub number: Option<u32>,
    /// 1-based line and column of the question in its file.
    pub line: usize,
    pub column: usize,
    /// The author's permanent id from an `<!-- id: … -->` comment on the question's line or
    /// the line before it; it outranks every other identity rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explicit_id: Option<String>,
    /// A source link the author put after the question (`[[src](…)]`), for the Source field.
    pub source_link: Option<String>,
    /// Tags the question carries, such as `difficulty::easy` from a 👶 emoji.
    pub tags: Vec<String>,
    /// The kind of note it makes: cloze when it holds a cloze (shorthands already written
    /// out as `{{cN::…}}` in the question and answer), reversed when marked so
    /// (`Question:::Answer`, `??`, front matter `cards: both`), else basic.
    #[serde(default, skip_serializing_if = "NoteKind::is_basic")]
    pub kind: NoteKind,
}

/// A question's first paragraph, for messages: a quiz question's code and options follow it.
pub(crate) fn headline(question: &str) -> &str {
    question.split("\n\n").next().unwrap_or(question).trim()
}

/// The id in an `<!-- id: … -->` comment, if `html` is exactly one such comment.
pub fn explicit_id(html: &str) -> Option<&str> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let id = inner.strip_prefix("id:")?.trim();
    let valid = !id.is_empty() && !id.contains(char::is_whitespace) && !id.contains("--");
    valid.then_some(id)
}

/// Finds explicit ids beside questions and drops id comment lines from answers, where one sits
/// on the line before the next question.
fn attach_explicit_ids(text: &str, cards: &mut [CardDraft]) {
    if !text.contains("<!--") {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    let id_in_line = |line: &str| -> Option<String> {
        let start = line.find("<!--")?;
        let end = line[start..].find("-->")? + start + 3;
        explicit_id(&line[start..end]).map(str::to_string)
    };
    for card in cards.iter_mut() {
        let on_line = lines.get(card.line - 1).and_then(|l| id_in_line(l));
        let before = card
            .line
            .checked_sub(2)
            .and_then(|i| lines.get(i))
            .filter(|l| explicit_id(l).is_some())
            .and_then(|l| id_in_line(l));
        card.explicit_id = on_line.or(before);
        if card.answer.contains("<!--") {
            card.answer = card
                .answer
                .lines()
                .filter(|line| explicit_id(line).is_none())
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string();
        }
    }
}

/// Each card's question and answer, for tests that compare what a document reads as.
#[cfg(test)]
pub(crate) fn pairs(cards: &[CardDraft]) -> Vec<(&str, &str)> {
    cards
        .iter()
        .map(|card| (card.question.as_str(), card.answer.as_str()))
        .collect()
}

/// A parsed source document.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub front_matter: FrontMatter,
    pub title_heading: Option<String>,
    pub cards: Vec<CardDraft>,
    pub diagnostics: Vec<Diagnostic>,
    /// The layout the cards were read with.
    pub layout: Option<Layout>,
    /// (line, column, number) of every numbered question, answered or not, in document order.
    pub numbers: Vec<(usize, usize, u32)>,
    /// What the front matter's `cards:` says: `Some(true)` for `both` (every question also
    /// makes its reverse card), `Some(false)` for `basic`, `None` when unsaid (the project's
    /// `cards` option then decides).
    pub reversed: Option<bool>,
}

impl Document {
    /// The deck name the document suggests: front matter title, then a leading `# Title`,
    /// then the file name.
    pub fn suggested_deck_name(&self) -> String {
        self.front_matter
            .get("deck")
            .map(str::to_string)
            .or_else(|| self.front_matter.title())
            .or_else(|| self.title_heading.clone())
            .unwrap_or_else(|| file_stem(&self.path))
    }

    /// The permanent deck id the document declares in its front matter, if any.
    pub(crate) fn declared_deck_id(&self) -> Option<&str> {
        self.front_matter
            .get("deck_id")
            .or_else(|| self.front_matter.get("deck-id"))
    }
}

pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "deck".to_string())
}

/// Reads and parses one Markdown file, detecting its layout.
pub fn load(path: &Path) -> Result<Document> {
    load_with(path, LayoutChoice::Auto)
}

/// Reads and parses one Markdown file in the given layout.
pub(crate) fn load_with(path: &Path, layout: LayoutChoice) -> Result<Document> {
    load_pinned(path, layout, None)
}

/// [`load_with`] with the level of the question headings fixed by the project
/// (`question_level` in `deckforge.toml`); the file's front matter still wins.
pub(crate) fn load_pinned(
    path: &Path,
    layout: LayoutChoice,
    question_level: Option<usize>,
) -> Result<Document> {
    let bytes = crate::input::read_source(path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let byte = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..byte].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::NotUtf8 {
            path: path.to_path_buf(),
            line,
            byte,
        }
    })?;
    let document = parse_pinned(path, &text, layout, question_level);
    if document.cards.is_empty() {
        let reason = if text.trim().is_empty() {
            "the file is empty".to_string()
        } else if let LayoutChoice::Fixed(layout) = layout {
            format!(
                "nothing in the `{layout}` layout ({}); try `--layout auto`",
                layout.describe()
            )
        } else if document.layout.is_some() {
            "every question lacks an answer or has a placeholder answer".to_string()
        } else {
            let layouts: Vec<String> = Layout::ALL
                .iter()
                .map(|l| format!("{} ({})", l.name(), l.describe()))
                .collect();
            format!("expected one of these layouts: {}", layouts.join("; "))
        };
        return Err(Error::NoQuestions {
            path: path.to_path_buf(),
            reason,
        });
    }
    Ok(document)
}

/// Parses Markdown text, detecting its layout; `path` is only used to label diagnostics.
pub fn parse(path: &Path, text: &str) -> Document {
    parse_with(path, text, LayoutChoice::Auto)
}

/// Parses Markdown text in the given layout; `path` is only used to label diagnostics.
pub fn parse_with(path: &Path, text: &str, layout: LayoutChoice) -> Document {
    parse_pinned(path, text, layout, None)
}

/// [`parse_with`] with a default question heading level (the front matter's wins).
pub(crate) fn parse_pinned(
    path: &Path,
    text: &str,
    layout: LayoutChoice,
    question_level: Option<usize>,
) -> Document {
    // Windows editors start UTF-8 files with a byte order mark; it would hide the front matter
    // fence and the first question. It is not on any line, so line numbers stay right.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Read in composed form (NFC), as Anki stores text: the layouts' words (`Erklären`), the
    // tags made from sections and every hash then read decomposed accents as the same letters.
    let text = &*crate::identity::normalise::composed(text);
    let front_matter = frontmatter::parse(text);
    let mut pins = Vec::new();
    let (layout, question_level) = pinned(&front_matter, layout, question_level, &mut pins);
    let mut extracted = layout::extract_pinned(text, layout, question_level);
    attach_explicit_ids(text, &mut extracted.cards);
    let (document_tags, not_tags) = tags::front_matter_tags(&front_matter);
    tags::apply(&document_tags, &mut extracted.cards);
    let mut diagnostics: Vec<Diagnostic> = pins
        .into_iter()
        .map(|message| Diagnostic::warning(path, 1, 1, message))
        .collect();
    let reversed = cards_choice(&front_matter, text, path, &mut diagnostics);
    decide_kinds(&mut extracted.cards, reversed, path, &mut diagnostics);
    let tags_line = text
        .lines()
        .take(front_matter.line_count)
        .position(|l| l.starts_with("tags:") || l.starts_with("tag:"))
        .map_or(1, |i| i + 1);
    diagnostics.extend(not_tags.iter().map(|entry| {
        Diagnostic::warning(
            path,
            tags_line,
            1,
            format!("front matter `tags`: `{entry}` is not a tag (letters, digits, `_`, `-` and `/`, not all digits); ignored"),
        )
    }));
    diagnostics.extend(reading_warnings(path, &extracted));
    diagnostics.sort_by_key(|d| (d.line, d.column));
    Document {
        path: path.to_path_buf(),
        front_matter,
        title_heading: extracted.title_heading,
        cards: extracted.cards,
        diagnostics,
        layout: extracted.layout,
        numbers: extracted.numbers,
        reversed,
    }
}

/// The front matter's `cards:` (`both` or `basic`), warning about any other value.
fn cards_choice(
    front_matter: &FrontMatter,
    text: &str,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<bool> {
    let value = front_matter.get("cards")?;
    match value.trim().to_ascii_lowercase().as_str() {
        "both" | "reversed" => Some(true),
        "basic" | "one" => Some(false),
        _ => {
            let line = text
                .lines()
                .take(front_matter.line_count)
                .position(|l| l.starts_with("cards:"))
                .map_or(1, |i| i + 1);
            diagnostics.push(Diagnostic::warning(
                path,
                line,
                1,
                format!("front matter `cards: {value}` is neither `both` nor `basic`; ignored"),
            ));
            None
        }
    }
}

/// Gives each card its kind: cloze if it holds a cloze (its shorthands written out), else
/// reversed if marked so or the document says `cards: both`; malformed clozes are warned about.
fn decide_kinds(
    cards: &mut [CardDraft],
    reversed: Option<bool>,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for card in cards {
        for text in [&card.question, &card.answer] {
            diagnostics.extend(
                cloze::problems(text)
                    .into_iter()
                    .map(|problem| Diagnostic::warning(path, card.line, card.column, problem)),
            );
        }
        if let Some((question, answer)) = cloze::expand(&card.question, &card.answer) {
            card.question = question;
            card.answer = answer;
            card.kind = NoteKind::Cloze;
        } else if reversed == Some(true) {
            card.kind = NoteKind::Reversed;
        }
    }
}

/// The warnings of reading one document: questions left out and why, second styles, and a
/// code block that swallows the rest of the file.
fn reading_warnings(path: &Path, extracted: &layout::Extracted) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    diagnostics.extend(extracted.unanswered.iter().map(|(line, column, question)| {
        Diagnostic::warning(
            path,
            *line,
            *column,
            format!(
                "question has no answer and was left out: {}",
                headline(question)
            ),
        )
    }));
    diagnostics.extend(extracted.placeholders.iter().map(
        |(line, column, question, placeholder)| {
            Diagnostic::warning(
                path,
                *line,
                *column,
                format!(
                    "answer is a placeholder ({placeholder:?}); the question was left out: {}",
                    headline(question)
                ),
            )
        },
    ));
    diagnostics.extend(
        extracted
            .second_style
            .iter()
            .map(|(line, column, question, layout)| {
                Diagnostic::warning(
                    path,
                    *line,
                    *column,
                    format!(
                        "looks like a question in a second style ({layout}) and was left out: {}",
                        headline(question)
                    ),
                )
            }),
    );
    diagnostics.extend(
        extracted
            .dropped
            .iter()
            .map(|(line, column, question, why)| {
                Diagnostic::warning(
                    path,
                    *line,
                    *column,
                    format!("{why}: {}", headline(question)),
                )
            }),
    );
    diagnostics.extend(extracted.unanswered_items.iter().map(
        |(line, column, first, count)| {
            let what = if *count == 1 {
                "list item reads as a question but has no answer, so no card was made".to_string()
            } else {
                format!("{count} list items from here read as questions but have no answers, so no cards were made")
            };
            Diagnostic::warning(path, *line, *column, format!("{what}: {}", headline(first)))
        },
    ));
    if let Some((line, questions)) = extracted.unclosed_fence {
        diagnostics.push(Diagnostic::warning(
            path,
            line,
            1,
            format!(
                "this code block is never closed, so the rest of the file is code: {questions} question-like lines after it were not read (close it with a matching fence)"
            ),
        ));
    }
    diagnostics
}

/// The layout and question heading level a file's front matter pins (`deckforge-layout:
/// headings`, `deckforge-question-level: 3`), unless the command line forces a layout. A level
/// alone means the `headings` layout. Values that make no sense are reported in `problems`.
fn pinned(
    front_matter: &FrontMatter,
    choice: LayoutChoice,
    project_level: Option<usize>,
    problems: &mut Vec<String>,
) -> (LayoutChoice, Option<usize>) {
    let get = |key: &str| {
        front_matter
            .get(key)
            .or_else(|| front_matter.get(&key.replace('-', "_")))
    };
    let level = get("deckforge-question-level").and_then(|value| {
        let level = value.trim().trim_start_matches('#');
        let parsed = match level.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) if !level.is_empty() => None,
            Err(_) => Some(value.trim().len()),
        };
        let level = parsed.filter(|n| (1..=6).contains(n));
        if level.is_none() {
            problems.push(format!(
                "front matter `deckforge-question-level: {value}` is not a heading level (1 to 6, or `###`); ignored"
            ));
        }
        level
    });
    let level = level.or(project_level);
    if choice != LayoutChoice::Auto {
        return (choice, level);
    }
    let layout = match get("deckforge-layout").map(str::parse::<LayoutChoice>) {
        Some(Ok(layout)) => layout,
        Some(Err(message)) => {
            problems.push(format!(
                "front matter `deckforge-layout`: {message}; detecting it instead"
            ));
            LayoutChoice::Auto
        }
        None => LayoutChoice::Auto,
    };
    match (layout, level) {
        (LayoutChoice::Auto, Some(_)) => (LayoutChoice::Fixed(Layout::Headings), level),
        _ => (layout, level),
    }
}

/// Maps byte offsets to 1-based line and column numbers, cheaply for increasing offsets.
pub(crate) struct LineIndex<'a> {
    src: &'a str,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        LineIndex {
            src,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Line and column (in characters) of `offset`.
    pub(crate) fn line_col(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.offset {
            *self = LineIndex::new(self.src);
        }
        for (i, b) in self.src.as_bytes()[self.offset..offset].iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        let column = self.src[self.line_start..offset].chars().count() + 1;
        (self.line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The default reader's grammar, as `layout::extract` detects it (moved here from the
    // Markdown dialect module, which the layouts import and so must not import them).
    fn extract(src: &str) -> layout::Extracted {
        layout::extract(src, LayoutChoice::Auto)
    }

    fn questions(src: &str) -> Vec<(String, String)> {
        extract(src)
            .cards
            .into_iter()
            .map(|c| (c.question, c.answer))
            .collect()
    }

    #[test]
    fn answer_nested_inside_the_item() {
        let src = "1.  **What is X?**\n    \n    -   **Answer:** X is Y.\n2.  **Why?**\n    \n    -   **Answer:** Because.\n";
        assert_eq!(
            questions(src),
            vec![
                ("What is X?".into(), "X is Y.".into()),
                ("Why?".into(), "Because.".into())
            ]
        );
    }

    #[test]
    fn answer_after_the_item_after_extra_blank_lines() {
        let src = "10.  **What is a registry?**\n    \n\n-   **Answer:** A store.\n\n11.  **Next?**\n\n-   **Answer:** Yes.\n";
        let cards = extract(src).cards;
        assert_eq!(cards[0].answer, "A store.");
        assert_eq!(cards[0].number, Some(10));
        assert_eq!(cards[1].number, Some(11));
        assert_eq!(cards[1].line, 6);
    }

    #[test]
    fn answer_over_sibling_bullets_stays_a_list() {
        let src = "72.  **Techniques?**\n\n-   **Answer:** Common techniques include:\n-   SHAP: a.\n-   LIME: b.\n\n73.  **Next?**\n\n-   **Answer:** c\n";
        let cards = extract(src).cards;
        assert_eq!(
            cards[0].answer,
            "Common techniques include:\n-   SHAP: a.\n-   LIME: b."
        );
    }

    #[test]
    fn nested_sub_bullets_and_an_empty_label_line() {
        let src = "98.  **Roles?**\n\n-   **Answer:**\n    -   **Data:** pipelines.\n    -   **Ops:** infra.\n\n----------\n\nClosing words.\n";
        let cards = extract(src).cards;
        assert_eq!(cards.len(), 1);
        assert_eq!(
            cards[0].answer,
            "-   **Data:** pipelines.\n-   **Ops:** infra."
        );
    }

    #[test]
    fn sections_come_from_headings_and_rules_end_answers() {
        let src = "# Title\n\nIntro **bold** text.\n\n### **First**\n\n1.  **Q1?**\n\n-   **Answer:** A1.\n\n### **Second**\n\n2.  **Q2?**\n\n-   **Answer:** A2.\n\n---\n\nOutro.\n";
        let extracted = extract(src);
        assert_eq!(extracted.title_heading.as_deref(), Some("Title"));
        let cards = extracted.cards;
        assert_eq!(cards.len(), 2);
        assert_eq!(*cards[0].section, ["First".to_string()]);
        assert_eq!(*cards[1].section, ["Second".to_string()]);
        assert_eq!(cards[1].answer, "A2.");
    }

    #[test]
    fn an_item_that_is_not_entirely_bold_is_not_a_question() {
        let src = "1.  **Bold** then text\n\n-   **Answer:** nothing\n";
        assert!(extract(src).cards.is_empty());
    }

    #[test]
    fn a_question_without_an_answer_is_reported() {
        let extracted = extract("1.  **Lonely?**\n\n2.  **Other?**\n\n-   **Answer:** yes\n");
        assert_eq!(extracted.cards.len(), 1);
        assert_eq!(extracted.unanswered, vec![(1, 1, "Lonely?".to_string())]);
    }

    #[test]
    fn label_with_the_colon_outside_the_bold() {
        let cards = extract("1. **Q?**\n   - **Answer**: text\n").cards;
        assert_eq!(cards[0].answer, "text");
    }

    #[test]
    fn line_index_counts_lines_and_columns() {
        let mut index = LineIndex::new("ab\ncd\n\nxé y");
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(4), (2, 2));
        assert_eq!(index.line_col(10), (4, 3));
        assert_eq!(index.line_col(1), (1, 2));
    }

    #[test]
    fn explicit_ids_beside_or_before_the_question() {
        let doc = parse(
            Path::new("x.md"),
            "1.  **First?** <!-- id: first -->\n\n-   **Answer:** one\n\n<!-- id: second -->\n2.  **Second?**\n\n-   **Answer:** two\n\n3.  **Third?**\n\n-   **Answer:** three\n",
        );
        let ids: Vec<Option<&str>> = doc.cards.iter().map(|c| c.explicit_id.as_deref()).collect();
        assert_eq!(ids, [Some("first"), Some("second"), None]);
        assert_eq!(doc.cards[0].answer, "one");
        assert_eq!(explicit_id("<!-- id: a b -->"), None);
        assert_eq!(explicit_id("<!--id:x-->"), Some("x"));
    }

    #[test]
    fn a_byte_order_mark_hides_neither_front_matter_nor_the_first_question() {
        let doc = parse(
            Path::new("bom.md"),
            "\u{feff}---\ntitle: BOM deck\n---\n1.  **What is X?**\n\n-   **Answer:** x.\n",
        );
        assert_eq!(doc.suggested_deck_name(), "BOM deck");
        assert_eq!(doc.cards.len(), 1);
        assert!(doc.cards[0].section.is_empty());
        assert_eq!(doc.cards[0].line, 4);
    }

    #[test]
    fn front_matter_pins_the_layout_and_the_question_level() {
        let body = "# Notes\n\n## Setup\n\n### Install the tools\n\nRun the installer.\n\n### Configure the path\n\nAdd the folder.\n\nQ: Where are logs?\nA: In the state folder.\n";
        let auto = parse(Path::new("x.md"), body);
        assert_eq!(auto.layout, Some(Layout::QA));
        let level = parse(
            Path::new("x.md"),
            &format!("---\ndeckforge-question-level: 3\n---\n{body}"),
        );
        assert_eq!(level.layout, Some(Layout::Headings));
        let questions: Vec<&str> = level.cards.iter().map(|c| c.question.as_str()).collect();
        assert_eq!(questions, ["Install the tools", "Configure the path"]);
        let pinned = parse(
            Path::new("x.md"),
            &format!("---\ndeckforge_layout: q-a\n---\n{body}"),
        );
        assert_eq!(pinned.layout, Some(Layout::QA));
        let wrong = parse(
            Path::new("x.md"),
            &format!("---\ndeckforge-layout: nope\ndeckforge-question-level: 9\n---\n{body}"),
        );
        assert_eq!(wrong.layout, Some(Layout::QA));
        let messages: Vec<&str> = wrong
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("unknown layout `nope`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("not a heading level")),
            "{messages:?}"
        );
    }

    #[test]
    fn deck_name_prefers_front_matter() {
        let doc = parse(
            Path::new("x/notes.md"),
            "---\ntitle: My deck\n---\n# Heading\n",
        );
        assert_eq!(doc.suggested_deck_name(), "My deck");
        let doc = parse(Path::new("x/notes.md"), "# Heading\n");
        assert_eq!(doc.suggested_deck_name(), "Heading");
        let doc = parse(Path::new("x/notes.md"), "text\n");
        assert_eq!(doc.suggested_deck_name(), "notes");
    }

    /// A file saved with decomposed accents (`a` + U+0308) reads as the same cards, in composed
    /// form: the layouts' words (`Erklären`) and the section tags see the same letters.
    #[test]
    fn decomposed_accents_read_as_composed_text() {
        let text = "# Schutzrechte\n\n## \u{dc}bersicht\n\n- Was ist ein Patent?\n  - Ein Schutzrecht.\n\
                    - Erkl\u{e4}ren Sie die Neuheitsschonfrist.\n  - Sechs Monate Schonfrist.\n";
        let nfd = text
            .replace('\u{e4}', "a\u{308}")
            .replace('\u{dc}', "U\u{308}");
        let composed = parse(Path::new("x.md"), text);
        let decomposed = parse(Path::new("x.md"), &nfd);
        assert_eq!(pairs(&composed.cards).len(), 2);
        assert_eq!(pairs(&decomposed.cards), pairs(&composed.cards));
        assert_eq!(decomposed.cards[1].section, composed.cards[1].section);
    }
}
