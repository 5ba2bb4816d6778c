//! Finds the questions and answers in a Markdown document by walking pulldown-cmark's event stream.
//!
//! Layout read here (the one of `examples/mlops-interview-questions.md`):
//!
//! ```text
//! ### **Section**                      heading: a section boundary
//! 1.  **Question?**                    ordered item whose first block is entirely bold
//!     -   **Answer:** text             the answer starts after the `Answer:` label,
//! -   **Answer:** text                 nested inside the item or after it,
//! -   sibling bullet                   and runs until the next question,
//!     -   nested bullet                heading, thematic break or the end of the document
//! ----------
//! ```
//!
//! The walk is a single pass with a small state machine, so memory stays proportional to the
//! cards found, not to the events. Answers are kept as Markdown: the source text between the
//! label and the next boundary, dedented to the label's column so nested lists stay lists.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::{CardDraft, LineIndex};

/// Parser options shared by extraction and rendering, so both see the same document.
pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

/// What extraction found besides the cards.
#[derive(Debug, Default)]
pub struct Extracted {
    pub cards: Vec<CardDraft>,
    /// The text of a level-1 heading seen before the first question, used as a fallback deck name.
    pub title_heading: Option<String>,
    /// Questions that had nothing after them, as (line, column, question).
    pub unanswered: Vec<(usize, usize, String)>,
}

/// Where the question probe is while deciding whether an ordered list item is a question.
#[derive(Debug)]
enum Probe {
    Idle,
    /// Just saw the start of an ordered list item.
    ItemStart {
        item_start: usize,
    },
    /// Inside that item's first paragraph, before any content.
    ItemParagraph {
        item_start: usize,
    },
    /// Inside a bold span that opened the item; `depth` counts nested tags.
    InStrong {
        item_start: usize,
        strong: Range<usize>,
        depth: usize,
    },
    /// The bold span ended; the item is a question if nothing else follows in its block.
    AfterStrong {
        item_start: usize,
        strong: Range<usize>,
    },
}

/// A question whose answer is still being delimited.
#[derive(Debug)]
struct OpenCard {
    question: String,
    number: Option<u32>,
    line: usize,
    column: usize,
    section: Vec<String>,
    /// Where the answer starts when no `Answer:` label is found, and the column to dedent by.
    body_start: usize,
    body_column: usize,
    /// Where the answer starts after an `Answer:` label, and the label's column.
    label: Option<(usize, usize)>,
}

struct Walker<'a> {
    src: &'a str,
    lines: LineIndex<'a>,
    ordered_lists: Vec<bool>,
    probe: Probe,
    headings: Vec<(usize, String)>,
    heading_capture: Option<(usize, String)>,
    open: Option<OpenCard>,
    out: Extracted,
}

/// Extracts every question of `src` (the whole file, front matter included).
pub fn extract(src: &str) -> Extracted {
    let mut walker = Walker {
        src,
        lines: LineIndex::new(src),
        ordered_lists: Vec::new(),
        probe: Probe::Idle,
        headings: Vec::new(),
        heading_capture: None,
        open: None,
        out: Extracted::default(),
    };
    // pulldown-cmark builds a tree of the whole input before the first event, several times the
    // text's size; parsing section by section bounds that (a million cards: gigabytes).
    let mut start = 0;
    for end in chunk_ends(src) {
        let chunk = &src[start..end];
        for (event, range) in Parser::new_ext(chunk, parser_options()).into_offset_iter() {
            walker.event(event, range.start + start..range.end + start);
        }
        start = end;
    }
    walker.close_card(src.len());
    walker.out
}

/// Where to cut `src` into pieces of at least [`CHUNK_BYTES`] that parse as they would in the
/// whole: each piece but the last ends before a `#` heading at the start of a line, after a
/// blank line, outside fenced code and HTML comments. Such a heading closes every open block
/// (lists, quotes, paragraphs, HTML blocks that end at a blank line), so no block spans a cut.
/// Documents with raw HTML blocks that may run past blank lines are not cut at all.
fn chunk_ends(src: &str) -> Vec<usize> {
    const CHUNK_BYTES: usize = 1 << 20;
    let mut ends = Vec::new();
    if src.len() > CHUNK_BYTES && !has_unbounded_html_block(src) {
        let mut fence: Option<(u8, usize)> = None;
        let mut in_comment = false;
        let mut previous_blank = false;
        let mut chunk_start = 0;
        let mut offset = 0;
        // Front matter may hold `# comments`; it is never cut.
        let body = front_matter_end(src);
        for line in src.split_inclusive('\n') {
            let line_start = offset;
            offset += line.len();
            let trimmed = line.trim_start_matches(' ');
            let indent = line.len() - trimmed.len();
            if let Some((marker, count)) = fence {
                let run = trimmed.bytes().take_while(|&b| b == marker).count();
                if indent <= 3 && run >= count && trimmed[run..].trim().is_empty() {
                    fence = None;
                }
                previous_blank = false;
                continue;
            }
            if in_comment {
                in_comment = !line.contains("-->");
                previous_blank = false;
                continue;
            }
            if line_start >= body
                && previous_blank
                && line.starts_with('#')
                && line_start - chunk_start >= CHUNK_BYTES
            {
                ends.push(line_start);
                chunk_start = line_start;
            }
            let run = |marker: u8| trimmed.bytes().take_while(|&b| b == marker).count();
            if indent <= 3 && (run(b'`') >= 3 || run(b'~') >= 3) {
                let marker = trimmed.as_bytes()[0];
                fence = Some((marker, run(marker)));
            }
            if let Some(open) = line.rfind("<!--") {
                in_comment = !line[open..].contains("-->");
            }
            previous_blank = line.trim().is_empty();
        }
    }
    ends.push(src.len());
    ends
}

/// Whether `src` may hold an HTML block that runs past blank lines and headings (CommonMark
/// HTML block kinds 1, 3, 4 and 5); kind 2, comments, is tracked line by line instead.
fn has_unbounded_html_block(src: &str) -> bool {
    src.match_indices('<').any(|(at, _)| {
        let rest = &src.as_bytes()[at + 1..];
        let starts = |tag: &str| {
            rest.len() >= tag.len() && rest[..tag.len()].eq_ignore_ascii_case(tag.as_bytes())
        };
        match rest.first() {
            Some(b'?') => true,
            Some(b'!') => rest
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'['),
            _ => ["script", "pre", "style", "textarea"]
                .iter()
                .any(|t| starts(t)),
        }
    })
}

/// The offset just past YAML front matter (`---` ... `---` or `...`), 0 without any, and the
/// whole text when it is never closed.
fn front_matter_end(src: &str) -> usize {
    let mut lines = src.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return 0;
    }
    let mut offset = src.find('\n').map_or(src.len(), |i| i + 1);
    for line in lines {
        offset += line.len();
        if matches!(line.trim_end(), "---" | "...") {
            return offset;
        }
    }
    src.len()
}

impl<'a> Walker<'a> {
    fn event(&mut self, event: Event<'a>, range: Range<usize>) {
        if self.probe_consumes(&event, &range) {
            return;
        }
        match event {
            Event::Start(Tag::List(start)) => self.ordered_lists.push(start.is_some()),
            Event::End(TagEnd::List(_)) => {
                self.ordered_lists.pop();
            }
            Event::Start(Tag::Item) if self.ordered_lists.last() == Some(&true) => {
                self.probe = Probe::ItemStart {
                    item_start: range.start,
                };
            }
            Event::Start(Tag::Heading { level, .. }) => {
                self.close_card(range.start);
                self.heading_capture = Some((level as usize, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => self.finish_heading(),
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, heading)) = &mut self.heading_capture {
                    heading.push_str(&text);
                }
            }
            Event::Rule => self.close_card(range.start),
            Event::Start(Tag::Strong) => self.maybe_answer_label(range),
            _ => {}
        }
    }

    /// Advances the question probe; returns true when the event was fully handled by it.
    fn probe_consumes(&mut self, event: &Event<'a>, range: &Range<usize>) -> bool {
        match std::mem::replace(&mut self.probe, Probe::Idle) {
            Probe::Idle => false,
            Probe::ItemStart { item_start } => match event {
                Event::Start(Tag::Paragraph) => {
                    self.probe = Probe::ItemParagraph { item_start };
                    true
                }
                Event::Start(Tag::Strong) => {
                    self.probe = Probe::InStrong {
                        item_start,
                        strong: range.clone(),
                        depth: 0,
                    };
                    true
                }
                _ => false,
            },
            Probe::ItemParagraph { item_start } => match event {
                Event::Start(Tag::Strong) => {
                    self.probe = Probe::InStrong {
                        item_start,
                        strong: range.clone(),
                        depth: 0,
                    };
                    true
                }
                _ => false,
            },
            Probe::InStrong {
                item_start,
                strong,
                depth,
            } => {
                self.probe = match event {
                    Event::End(TagEnd::Strong) if depth == 0 => {
                        Probe::AfterStrong { item_start, strong }
                    }
                    Event::Start(_) => Probe::InStrong {
                        item_start,
                        strong,
                        depth: depth + 1,
                    },
                    Event::End(_) => Probe::InStrong {
                        item_start,
                        strong,
                        depth: depth.saturating_sub(1),
                    },
                    _ => Probe::InStrong {
                        item_start,
                        strong,
                        depth,
                    },
                };
                true
            }
            Probe::AfterStrong { item_start, strong } => match event {
                // An `<!-- id: … -->` comment beside the question does not make it prose.
                Event::Text(text) if text.trim().is_empty() => {
                    self.probe = Probe::AfterStrong { item_start, strong };
                    true
                }
                Event::InlineHtml(html) if super::explicit_id(html).is_some() => {
                    self.probe = Probe::AfterStrong { item_start, strong };
                    true
                }
                Event::End(TagEnd::Paragraph)
                | Event::End(TagEnd::Item)
                | Event::Start(Tag::List(_)) => {
                    self.open_question(item_start, strong);
                    false
                }
                _ => false,
            },
        }
    }

    fn open_question(&mut self, item_start: usize, strong: Range<usize>) {
        self.close_card(item_start);
        let inner = strong_inner(self.src, &strong);
        let question = collapse_whitespace(inner);
        let (line, column) = self.lines.line_col(item_start);
        let number = leading_number(&self.src[item_start..]);
        let section = self.section_path();
        self.open = Some(OpenCard {
            question,
            number,
            line,
            column,
            section,
            body_start: strong.end,
            body_column: visual_column(self.src, strong.start),
            label: None,
        });
    }

    fn maybe_answer_label(&mut self, range: Range<usize>) {
        let Some(card) = self.open.as_mut() else {
            return;
        };
        if card.label.is_some() {
            return;
        }
        let inner = strong_inner(self.src, &range).trim();
        let word = inner.trim_end_matches(':').trim_end();
        if !word.eq_ignore_ascii_case("answer") {
            return;
        }
        let mut end = range.end;
        if !inner.ends_with(':') {
            let rest = &self.src[end..];
            let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if rest[spaces..].starts_with(':') {
                end += spaces + 1;
            }
        }
        card.label = Some((end, visual_column(self.src, range.start)));
    }

    fn finish_heading(&mut self) {
        let Some((level, text)) = self.heading_capture.take() else {
            return;
        };
        let text = collapse_whitespace(&text);
        let before_any_card = self.out.cards.is_empty() && self.open.is_none();
        if level == 1 && before_any_card && self.out.title_heading.is_none() {
            self.out.title_heading = Some(text);
            return;
        }
        while self.headings.last().is_some_and(|(l, _)| *l >= level) {
            self.headings.pop();
        }
        if !text.is_empty() {
            self.headings.push((level, text));
        }
    }

    fn section_path(&self) -> Vec<String> {
        self.headings.iter().map(|(_, text)| text.clone()).collect()
    }

    /// Ends the open card's answer at `end` and records the card.
    fn close_card(&mut self, end: usize) {
        let Some(card) = self.open.take() else {
            return;
        };
        let (start, column) = card.label.unwrap_or((card.body_start, card.body_column));
        let answer = dedent(&self.src[start.min(end)..end], column);
        let answer = answer.trim().to_string();
        if answer.is_empty() {
            self.out
                .unanswered
                .push((card.line, card.column, card.question));
            return;
        }
        self.out.cards.push(CardDraft {
            question: card.question,
            answer,
            section: card.section,
            number: card.number,
            line: card.line,
            column: card.column,
            explicit_id: None,
        });
    }
}

/// The Markdown between a bold span's delimiters.
fn strong_inner<'s>(src: &'s str, strong: &Range<usize>) -> &'s str {
    let text = &src[strong.clone()];
    let delimited = text.len() >= 4
        && (text.starts_with("**") && text.ends_with("**")
            || text.starts_with("__") && text.ends_with("__"));
    if delimited {
        &text[2..text.len() - 2]
    } else {
        text
    }
}

fn leading_number(item: &str) -> Option<u32> {
    let digits: &str = {
        let trimmed = item.trim_start();
        let end = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        &trimmed[..end]
    };
    digits.parse().ok()
}

/// Joins soft line breaks and runs of whitespace into single spaces.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The visual column (tabs to multiples of 4) of byte `offset` within its line.
fn visual_column(src: &str, offset: usize) -> usize {
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    src[line_start..offset].chars().fold(0, |col, c| {
        if c == '\t' {
            col + 4 - col % 4
        } else {
            col + 1
        }
    })
}

/// Removes up to `columns` columns of leading whitespace from every line but the first,
/// which starts mid-line (after a label or question) and is left as it is.
pub fn dedent(text: &str, columns: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if index == 0 || columns == 0 {
            out.push_str(line);
            continue;
        }
        let mut col = 0;
        let mut cut = 0;
        for (i, c) in line.char_indices() {
            let width = match c {
                ' ' => 1,
                '\t' => 4 - col % 4,
                _ => break,
            };
            if col + width > columns {
                // A tab that straddles the cut keeps its remaining width as spaces.
                out.extend(std::iter::repeat_n(' ', col + width - columns));
                cut = i + 1;
                break;
            }
            col += width;
            cut = i + c.len_utf8();
            if col == columns {
                break;
            }
        }
        out.push_str(&line[cut..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(cards[0].section, vec!["First".to_string()]);
        assert_eq!(cards[1].section, vec!["Second".to_string()]);
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
    fn parsing_in_chunks_finds_what_parsing_the_whole_finds() {
        let whole = |src: &str| {
            let mut walker = Walker {
                src,
                lines: LineIndex::new(src),
                ordered_lists: Vec::new(),
                probe: Probe::Idle,
                headings: Vec::new(),
                heading_capture: None,
                open: None,
                out: Extracted::default(),
            };
            for (event, range) in Parser::new_ext(src, parser_options()).into_offset_iter() {
                walker.event(event, range);
            }
            walker.close_card(src.len());
            (
                walker.out.cards,
                walker.out.unanswered,
                walker.out.title_heading,
            )
        };
        let seed = include_str!("../../examples/mlops-interview-questions.md");
        let body = seed.split_once("\n---\n").unwrap().1;
        let tricky = [
            "\n```md\n\n# not a heading in a fence\n\n```\n",
            "\n<!--\n\n# not a heading in a comment\n\n-->\n",
            "\n> quoted\n\n# a heading after a quote\n",
            "\n1.  **Lazy?**\n\n-   **Answer:** a\n   ```\n\n# cut?\n   ```\n",
        ];
        let mut src = seed.to_string();
        let mut i = 0;
        while src.len() < 3 << 20 {
            src.push_str(body);
            src.push_str(tricky[i % tricky.len()]);
            i += 1;
        }
        assert!(chunk_ends(&src).len() > 2, "the document is cut");
        let chunked = extract(&src);
        let expected = whole(&src);
        assert_eq!(chunked.cards, expected.0);
        assert_eq!(chunked.unanswered, expected.1);
        assert_eq!(chunked.title_heading, expected.2);
        let with_html = format!("{src}\n<pre>\n\n# x\n</pre>\n");
        assert_eq!(chunk_ends(&with_html), [with_html.len()]);
    }

    #[test]
    fn dedent_keeps_the_first_line_and_handles_tabs() {
        assert_eq!(dedent(" a\n    b\n  c\n", 4), " a\nb\nc\n");
        assert_eq!(dedent("x\n\t- y\n", 2), "x\n  - y\n");
    }
}
