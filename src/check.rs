//! What `deckforge check` tells an author about a document: duplicate questions, missing and
//! placeholder answers, answers that stop mid-sentence, numbering gaps and repeats, HTML the
//! sanitiser would strip, and images or sounds a build could not pack. Returned as values; only the command line prints them.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use std::path::PathBuf;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::identity::normalise_question;
use crate::model::NoteKind;
use crate::render::html::{HtmlRenderer, sanitizer};
use crate::render::media::MediaCollector;
use crate::render::media::may_show_image;
use crate::source::markdown::parser_options;
use crate::source::{self, CardDraft, Document, LayoutChoice};
use crate::write::atomic::parent_folder;

/// How one file was read: the layout its questions were found in and how many notes and
/// cards it gave (a reversed note makes two cards, a cloze note one per cloze number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    pub path: PathBuf,
    /// The layout's `--layout` name; `None` when the file could not be read or holds no cards.
    pub layout: Option<&'static str>,
    pub notes: usize,
    pub cards: usize,
}

/// The cards a document's notes make, as a build makes them (without `--reversed`, which
/// `check` is not given).
fn cards_of(document: &Document) -> usize {
    document
        .cards
        .iter()
        .map(|draft| match draft.kind {
            NoteKind::Cloze => source::cloze::card_numbers(&draft.question, &draft.answer).len(),
            NoteKind::Reversed => 2,
            NoteKind::Basic if document.reversed == Some(true) => 2,
            NoteKind::Basic => 1,
        })
        .sum()
}

/// What `deckforge check` found: how each file was read, and the diagnostics.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub files: Vec<FileSummary>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads `paths` and checks them, with a summary of how each file was read, in input order: a
/// file that cannot be read or holds no questions is an error diagnostic, everything else a
/// warning.
pub fn check_report(paths: &[PathBuf], layout: LayoutChoice, allow_html: bool) -> CheckReport {
    let mut documents = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let loaded = source::load_with(path, layout);
        files.push(FileSummary {
            path: path.clone(),
            layout: loaded
                .as_ref()
                .ok()
                .and_then(|d| d.layout)
                .map(|l| l.name()),
            notes: loaded.as_ref().map_or(0, |d| d.cards.len()),
            cards: loaded.as_ref().map_or(0, cards_of),
        });
        match loaded {
            Ok(document) => documents.push(document),
            Err(error) => {
                // A file-level error (no line) points at the file's start.
                let line = error.line().unwrap_or(1);
                let message = error.detail();
                let message = message
                    .strip_prefix(&format!("{}: ", path.display()))
                    .unwrap_or(&message)
                    .to_string();
                errors.push(Diagnostic::error(path, line, 1, message));
            }
        }
    }
    let mut diagnostics = check(&documents, allow_html);
    diagnostics.extend(errors);
    CheckReport { files, diagnostics }
}

/// Everything `deckforge check` reports: each document's own diagnostics (unanswered and
/// placeholder questions), duplicates across all documents, and `lint`.
pub fn check(documents: &[Document], allow_html: bool) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = documents
        .iter()
        .flat_map(|d| d.diagnostics.iter().cloned())
        .collect();
    diagnostics.extend(duplicates(documents));
    diagnostics.extend(lint(documents, allow_html));
    diagnostics.extend(media(documents, allow_html));
    sort(documents, &mut diagnostics);
    diagnostics
}

/// The checks `build` adds to the diagnostics it already makes while assembling (which cover
/// unanswered questions and duplicates): truncated answers, numbering and unsafe HTML.
pub(crate) fn lint(documents: &[Document], allow_html: bool) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let html = (!allow_html).then(HtmlRules::new);
    for document in documents {
        numbering(document, &mut diagnostics);
        for card in &document.cards {
            if looks_truncated(&card.answer) {
                diagnostics.push(at(
                    document,
                    card,
                    format!(
                        "answer looks truncated (it stops without punctuation): {}",
                        source::headline(&card.question)
                    ),
                ));
            }
            if let Some(rules) = &html {
                let mut stripped = rules.stripped(&card.question);
                for item in rules.stripped(&card.answer) {
                    if !stripped.contains(&item) {
                        stripped.push(item);
                    }
                }
                if !stripped.is_empty() {
                    diagnostics.push(at(
                        document,
                        card,
                        format!(
                            "unsafe HTML will be removed from the card ({}); use --allow-html only for trusted sources",
                            stripped.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    diagnostics
}

/// The warnings a build of an `.apkg` gives for images and sounds it cannot pack (missing,
/// outside the document's folder, too large, content unlike the extension), found the same
/// way: the cards that may show one are rendered and their media resolved, without packing.
fn media(documents: &[Document], allow_html: bool) -> Vec<Diagnostic> {
    let renderer = HtmlRenderer::new(allow_html).with_highlighting(false);
    let mut collector = MediaCollector::default();
    let mut diagnostics = Vec::new();
    for document in documents {
        let folder = parent_folder(&document.path);
        for card in document.cards.iter().filter(|c| may_show_image(c)) {
            for html in [
                renderer.inline(&card.question),
                renderer.block(&card.answer),
            ] {
                let (_, problems) = collector.pack(html, folder);
                diagnostics.extend(problems.into_iter().map(|p| at(document, card, p)));
            }
        }
    }
    diagnostics
}

fn at(document: &Document, card: &CardDraft, message: String) -> Diagnostic {
    Diagnostic::warning(&document.path, card.line, card.column, message)
}

/// Sorts by input order, then line and column.
fn sort(documents: &[Document], diagnostics: &mut [Diagnostic]) {
    let order: HashMap<&std::path::Path, usize> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.path.as_path(), i))
        .collect();
    diagnostics.sort_by_key(|d| {
        (
            order.get(d.path.as_path()).copied().unwrap_or(usize::MAX),
            d.line,
            d.column,
        )
    });
}

/// Questions asked twice (after normalisation), in one document or across several.
pub fn duplicates(documents: &[Document]) -> Vec<Diagnostic> {
    let mut first: HashMap<String, (usize, usize)> = HashMap::new();
    let mut diagnostics = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        for card in &document.cards {
            let key = normalise_question(&card.question);
            match first.get(&key) {
                None => {
                    first.insert(key, (index, card.line));
                }
                Some(&(doc, line)) => diagnostics.push(at(
                    document,
                    card,
                    format!(
                        "duplicate question, also at {}:{line}; it gets its own GUID",
                        documents[doc].path.display()
                    ),
                )),
            }
        }
    }
    diagnostics
}

/// Gaps and repeats in question numbers. Numbering may restart at 1 (per list or section);
/// otherwise each number should be one more than the last.
fn numbering(document: &Document, diagnostics: &mut Vec<Diagnostic>) {
    let mut previous: Option<u32> = None;
    for &(line, column, number) in &document.numbers {
        let message = match previous {
            _ if number == 1 => None,
            None => None,
            Some(prev) if number == prev + 1 => None,
            Some(prev) if number == prev => Some(format!("question number {number} is repeated")),
            Some(prev) if number > prev + 1 => Some(if number == prev + 2 {
                format!(
                    "question number {} is missing (from {prev} to {number})",
                    prev + 1
                )
            } else {
                format!(
                    "question numbers {}–{} are missing (from {prev} to {number})",
                    prev + 1,
                    number - 1
                )
            }),
            Some(prev) => Some(format!(
                "question number {number} comes after {prev}; numbers should increase"
            )),
        };
        if let Some(message) = message {
            diagnostics.push(Diagnostic::warning(&document.path, line, column, message));
        }
        previous = Some(number);
    }
}

/// Whether an answer's last block is a paragraph that ends mid-sentence: on a letter, a digit,
/// a comma or a colon that announces something that never comes.
pub(crate) fn looks_truncated(answer: &str) -> bool {
    // Most answers end with a full stop, and so does their last text, which settles it without
    // a parse: Markdown puts a final `.`, `!` or `?` in text unless it closes a reference or
    // footnote definition (`[x]: url.`), which shows no text of its own.
    if answer.trim_end().ends_with(['.', '!', '?']) && !answer.contains("]:") {
        return false;
    }
    truncated_when_parsed(answer)
}

/// [`looks_truncated`] read from the parsed answer.
fn truncated_when_parsed(answer: &str) -> bool {
    let mut depth = 0usize;
    let mut last_top_block_is_paragraph = false;
    let mut last_text = String::new();
    let mut last_inline_is_text = false;
    for event in Parser::new_ext(answer, parser_options()) {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    last_top_block_is_paragraph = matches!(tag, Tag::Paragraph);
                    last_text.clear();
                }
                if depth > 0 {
                    last_inline_is_text = false;
                }
                depth += 1;
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                if !matches!(tag, TagEnd::Paragraph) && depth > 0 {
                    last_inline_is_text = false;
                }
            }
            Event::Text(text) if depth == 1 => {
                last_text.push_str(&text);
                last_inline_is_text = true;
            }
            Event::Html(_) if depth == 0 => last_top_block_is_paragraph = false,
            _ => last_inline_is_text = false,
        }
    }
    if !last_top_block_is_paragraph || !last_inline_is_text {
        return false;
    }
    match last_text.trim_end().chars().next_back() {
        Some(',' | ':') => true,
        // A short answer such as "Paris" or "Yes" needs no full stop; a long paragraph does.
        Some(c) if c.is_alphanumeric() => {
            last_text.split_whitespace().count() >= SHORT_ANSWER_WORDS
        }
        _ => false,
    }
}

/// Paragraphs with fewer words than this may end without punctuation.
const SHORT_ANSWER_WORDS: usize = 6;

/// The sanitiser's allow-lists, to name what it would strip.
struct HtmlRules {
    tags: HashSet<&'static str>,
    dropped_with_content: HashSet<&'static str>,
    tag_attributes: HashMap<&'static str, HashSet<&'static str>>,
    generic_attributes: HashSet<&'static str>,
    url_schemes: HashSet<&'static str>,
}

impl HtmlRules {
    fn new() -> Self {
        let builder = sanitizer();
        HtmlRules {
            tags: builder.clone_tags(),
            dropped_with_content: builder.clone_clean_content_tags(),
            tag_attributes: builder.clone_tag_attributes(),
            generic_attributes: builder.clone_generic_attributes(),
            url_schemes: builder.clone_url_schemes(),
        }
    }

    /// What the sanitiser would remove from `markdown`'s raw HTML and links.
    fn stripped(&self, markdown: &str) -> Vec<String> {
        let mut found = Vec::new();
        // Raw HTML starts with `<`, and a link with a scheme has `[` and a `:` (written, escaped
        // or as an entity, which has a `&`): most fields have neither and need no parse.
        let may_link = markdown.contains('[') && markdown.contains([':', '&']);
        if !markdown.contains('<') && !may_link {
            return found;
        }
        let mut push = |item: String| {
            if !found.contains(&item) {
                found.push(item);
            }
        };
        for event in Parser::new_ext(markdown, parser_options()) {
            match event {
                Event::Html(html) | Event::InlineHtml(html) => {
                    for (tag, attributes) in start_tags(&html) {
                        // Rendering turns these into Anki's `[sound:…]` (render::html).
                        if matches!(tag.as_str(), "audio" | "video" | "source") {
                            continue;
                        }
                        if self.dropped_with_content.contains(tag.as_str()) {
                            push(format!("<{tag}> and its content"));
                            continue;
                        }
                        if !self.tags.contains(tag.as_str()) {
                            push(format!("<{tag}>"));
                            continue;
                        }
                        for (name, value) in attributes {
                            let allowed = self.generic_attributes.contains(name.as_str())
                                || self
                                    .tag_attributes
                                    .get(tag.as_str())
                                    .is_some_and(|a| a.contains(name.as_str()));
                            if !allowed {
                                push(format!("{name}= on <{tag}>"));
                            } else if matches!(name.as_str(), "href" | "src" | "cite")
                                && !self.url_allowed(&value)
                            {
                                push(format!("{name}={value:?}"));
                            }
                        }
                    }
                }
                Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                    if !self.url_allowed(&dest_url) =>
                {
                    push(format!("link to {:?}", dest_url.as_ref()));
                }
                _ => {}
            }
        }
        found
    }

    fn url_allowed(&self, url: &str) -> bool {
        let url = url.trim();
        match url.split_once(':') {
            Some((scheme, _))
                if !scheme.is_empty()
                    && !scheme.contains(['/', '?', '#'])
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                self.url_schemes
                    .contains(scheme.to_ascii_lowercase().as_str())
            }
            _ => true,
        }
    }
}

/// The start tags in an HTML fragment: lower-case name and (name, value) attributes.
fn start_tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut tags = Vec::new();
    let chars: Vec<char> = html.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '<' {
            i += 1;
            continue;
        }
        if html_starts_with(&chars[i..], "<!--") {
            i += 4;
            while i < chars.len() && !html_starts_with(&chars[i..], "-->") {
                i += 1;
            }
            continue;
        }
        i += 1;
        if i >= chars.len() || !chars[i].is_ascii_alphabetic() {
            continue;
        }
        let mut name = String::new();
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
            name.push(chars[i].to_ascii_lowercase());
            i += 1;
        }
        let mut attributes = Vec::new();
        loop {
            while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
                i += 1;
            }
            if i >= chars.len() || chars[i] == '>' {
                break;
            }
            let mut attribute = String::new();
            while i < chars.len() && !chars[i].is_whitespace() && !"=>/".contains(chars[i]) {
                attribute.push(chars[i].to_ascii_lowercase());
                i += 1;
            }
            let mut value = String::new();
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && chars[i] == '=' {
                i += 1;
                while i < chars.len() && chars[i].is_whitespace() {
                    i += 1;
                }
                if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                    let quote = chars[i];
                    i += 1;
                    while i < chars.len() && chars[i] != quote {
                        value.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '>' {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
            }
            if attribute.is_empty() {
                i += 1;
            } else {
                attributes.push((attribute, value));
            }
        }
        tags.push((name, attributes));
    }
    tags
}

fn html_starts_with(chars: &[char], prefix: &str) -> bool {
    prefix
        .chars()
        .enumerate()
        .all(|(i, c)| chars.get(i) == Some(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_answers() {
        assert!(looks_truncated(
            "Ensure that all model versions are documented. Use explainability techniques"
        ));
        assert!(looks_truncated("The steps are as follows:"));
        assert!(!looks_truncated("A full sentence."));
        assert!(!looks_truncated("Intro:\n\n- item without a period"));
        assert!(
            !looks_truncated("Paris"),
            "a short answer needs no full stop"
        );
        assert!(looks_truncated(
            "Ensure that models are documented. Use explainability techniques"
        ));
        assert!(!looks_truncated("```\ncode\n```"));
        assert!(!looks_truncated("See [the docs](https://x.example)"));
        assert!(!looks_truncated("Use `x`"));
    }

    #[test]
    fn a_final_stop_settles_truncation_as_the_parse_would() {
        let ending_in_a_stop = [
            "A full sentence.",
            "Is it? Yes it is, and for longer than six words!",
            "first paragraph words words words\n\n- a list item ending with a stop.",
            "    indented code that ends with a stop.",
            "```\nfenced code with many words in it.\n```\n\nthen a paragraph with many words in it\n\n<!-- c. -->",
            "a long paragraph of words without an end <b>bold.</b>",
            "a long paragraph of words then an entity &#65;.",
            "a long paragraph of words then an escape \\.",
            "a long paragraph of words then `code.`.",
            "Term with many words in it\n: a definition.",
            "| a | b |\n|---|---|\n| one two three four five six | c. |",
            "a long paragraph of words and $math.$.",
            "a long paragraph of words *emphasised.*!",
            "heading words one two three four\n===.",
        ];
        for answer in ending_in_a_stop {
            assert!(!truncated_when_parsed(answer), "{answer:?}");
            assert!(!looks_truncated(answer), "{answer:?}");
        }
        // A definition holds the stop: the paragraph before it is what counts.
        let defined = "a long paragraph of words without any end\n\n[x]: https://x.example/a.";
        assert!(truncated_when_parsed(defined));
        assert!(looks_truncated(defined));
    }

    #[test]
    fn unsafe_html_is_named() {
        let rules = HtmlRules::new();
        assert_eq!(
            rules.stripped("<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> <b style=\"x\">b</b> [a](javascript:alert(1)) <details><summary>s</summary></details> <sub>2</sub>"),
            vec![
                "<script> and its content",
                "onerror= on <img>",
                "style= on <b>",
                "link to \"javascript:alert(1)\"",
            ]
        );
        assert!(
            rules
                .stripped("H<sub>2</sub>O <img src=\"a.png\" alt=\"a\"> <!-- note <script> -->")
                .is_empty()
        );
    }

    #[test]
    fn links_without_raw_html_are_checked_too() {
        let rules = HtmlRules::new();
        for (markdown, url) in [
            ("See [this](javascript:alert(1)).", "javascript:alert(1)"),
            ("See ![x](vbscript:x).", "vbscript:x"),
            (
                "See [this](javascript&#58;alert(1)).",
                "javascript:alert(1)",
            ),
            ("See [this](javascript\\:alert(1)).", "javascript:alert(1)"),
            (
                "See [this][r].\n\n[r]: javascript:alert(1)",
                "javascript:alert(1)",
            ),
        ] {
            assert_eq!(
                rules.stripped(markdown),
                vec![format!("link to {url:?}")],
                "{markdown}"
            );
        }
        assert!(
            rules
                .stripped("See [this](https://x.example): fine.")
                .is_empty()
        );
    }
}
