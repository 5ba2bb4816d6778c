//! The seed layout: numbered bold questions followed by `Answer:` bullets.
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

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};

use super::question::strip_source_link;
use super::{
    Cards, Container, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question,
    leading_number, strong_inner, visual_column,
};

/// Where the question probe is while deciding whether an ordered list item is a question.
#[derive(Debug, Default)]
enum Probe {
    #[default]
    Idle,
    /// Just saw the start of an ordered list item.
    ItemStart { item_start: usize },
    /// Just saw the start of a top-level bullet item.
    BulletStart { item_start: usize },
    /// Inside that item's first paragraph, before any content.
    ItemParagraph { item_start: usize },
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
    /// A loose item's first paragraph in plain text (`1. What is X?` then the answer in the
    /// item's next blocks); `text` grows with its inline events.
    Plain {
        item_start: usize,
        text: Range<usize>,
        depth: usize,
        /// A tight item (`1. Question?` then a nested `- answer` list): its text has no
        /// paragraph, and the nested list ends it.
        tight: bool,
    },
    /// Something follows the bold span; the item is still a question if that is only a
    /// source link such as `[[src](url)]`. `end` is where the inline content seen so far ends.
    Trailer {
        item_start: usize,
        strong: Range<usize>,
        end: usize,
        depth: usize,
    },
}

#[derive(Debug, Default)]
pub(crate) struct AnswerLabel {
    probe: Probe,
    sections: Sections,
    cards: Cards,
    /// Whether the last top-level item read in plain text ended with `?`: a statement worded
    /// as a task ("Erklären Sie …") right after it, answered the same way, asks too.
    among_questions: bool,
    /// Whether the open card's `Answer:` label has been seen.
    labelled: bool,
    /// Where the open card starts when its bold text asks nothing (`1. **Clear the cache:**`):
    /// it stays a card only if an answer label follows.
    tentative: Option<usize>,
    /// Tentative cards no answer label followed, by start.
    unconfirmed: Vec<usize>,
}

impl Extractor for AnswerLabel {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        if self.probe_consumes(walk, event, range) {
            return;
        }
        match event {
            Event::Start(Tag::Item)
                if matches!(
                    walk.containers.iter().rev().nth(1),
                    Some(Container::List { ordered: true })
                ) =>
            {
                self.probe = Probe::ItemStart {
                    item_start: range.start,
                };
            }
            // `* Question?` answered by a nested list: only plain text in a top-level bullet.
            Event::Start(Tag::Item) if walk.containers.len() == 2 => {
                self.probe = Probe::BulletStart {
                    item_start: range.start,
                };
            }
            Event::Rule => self.cards.close(range.start),
            Event::Start(Tag::Strong) => self.maybe_answer_label(walk.src, range),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                self.maybe_indented_answer(walk.src, range)
            }
            Event::Text(text) => self.maybe_plain_label(walk.src, text, range),
            _ => {}
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        self.cards.close(heading.range.start);
        self.sections.heading(heading.level, &heading.text);
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        self.confirm();
        let unconfirmed = std::mem::take(&mut self.unconfirmed);
        let mut found = self.cards.finish(walk.src.len(), self.sections.title);
        found.cards.retain(|card| !unconfirmed.contains(&card.at));
        found
    }
}

impl AnswerLabel {
    /// Drops the open card if it was tentative (a bold item that does not read as a question)
    /// and no answer label followed it.
    fn confirm(&mut self) {
        if let Some(at) = self.tentative.take() {
            if !self.labelled {
                self.unconfirmed.push(at);
            }
        }
    }

    /// Advances the question probe; returns true when the event was fully handled by it.
    fn probe_consumes(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) -> bool {
        match std::mem::take(&mut self.probe) {
            Probe::Idle => false,
            Probe::ItemStart { item_start } if matches!(event, Event::Start(Tag::Paragraph)) => {
                self.probe = Probe::ItemParagraph { item_start };
                true
            }
            // A tight item's bold text comes straight after the item, a loose one's after a
            // paragraph start.
            Probe::ItemParagraph { item_start }
                if matches!(event, Event::Text(_) | Event::Code(_)) =>
            {
                self.probe = Probe::Plain {
                    item_start,
                    text: range.clone(),
                    depth: 0,
                    tight: false,
                };
                // The text may still hold an `Answer:` label for the open card.
                false
            }
            // Only in a top-level list: a nested `1. Why?` is part of an answer.
            Probe::ItemStart { item_start } | Probe::BulletStart { item_start }
                if matches!(event, Event::Text(_)) && walk.containers.len() == 2 =>
            {
                self.probe = Probe::Plain {
                    item_start,
                    text: range.clone(),
                    depth: 0,
                    tight: true,
                };
                false
            }
            Probe::Plain {
                item_start,
                text,
                depth,
                tight: true,
            } => self.probe_tight(walk, event, range, item_start, text, depth),
            Probe::Plain {
                item_start,
                text,
                depth,
                ..
            } => self.probe_plain(walk, event, range, item_start, text, depth),
            Probe::BulletStart { .. } => false,
            Probe::ItemStart { item_start } | Probe::ItemParagraph { item_start } => match event {
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
                self.probe = in_strong(event, item_start, strong, depth);
                true
            }
            Probe::AfterStrong { item_start, strong } => {
                self.probe_after_strong(walk, event, range, item_start, strong)
            }
            Probe::Trailer {
                item_start,
                strong,
                end,
                depth,
            } => self.probe_trailer(walk, event, range, (item_start, strong, end), depth),
        }
    }

    /// The probe in a tight item's text (`1. Question?` with no paragraph): a question when it
    /// ends with `?` and a list answers it, nested or written just under it.
    fn probe_tight(
        &mut self,
        walk: &Walk<'_>,
        event: &Event<'_>,
        range: &Range<usize>,
        item_start: usize,
        text: Range<usize>,
        depth: usize,
    ) -> bool {
        match event {
            // The answer nested, or written as a list after the item (`  - answer`
            // under `1. `, too shallow to nest).
            Event::Start(Tag::List(_)) | Event::End(TagEnd::Item) if depth == 0 => {
                let question = walk.src[text.clone()].trim();
                // A nested list of questions (`- What is a lease?`) is sub-questions to study,
                // not an answer; a bullet after a bullet item is its sibling, not its answer.
                let numbered = walk.src[item_start..].starts_with(|c: char| c.is_ascii_digit());
                let answered = matches!(event, Event::Start(_))
                    && !first_line_asks(&walk.src[range.start..])
                    || numbered && bullet_follows(&walk.src[range.end..]);
                let asks = super::question::ends_with_question_mark(question);
                let task = self.among_questions && super::question::question_like(question, false);
                if answered && (asks || task) {
                    self.open_question(walk.src, item_start, text.clone(), text.end);
                } else if asks {
                    // An unanswered question is no part of the answer before it; it is warned
                    // about as unanswered.
                    self.cards.close(item_start);
                }
                self.among_questions = asks || task && answered;
            }
            // The answer in a `<details>` block that reveals it: a question whatever its
            // wording ("Чем отличаются proc от lambda").
            Event::Start(Tag::HtmlBlock)
                if depth == 0 && reveal_follows(&walk.src[range.start..]) =>
            {
                self.open_question(walk.src, item_start, text.clone(), text.end);
            }
            Event::End(_) if depth == 0 => {}
            _ => self.carry_plain(event, range, item_start, text, depth, true),
        }
        false
    }

    /// Keeps probing a plain first line past `event`, which nests one level deeper or
    /// shallower, or extends the line's text.
    fn carry_plain(
        &mut self,
        event: &Event<'_>,
        range: &Range<usize>,
        item_start: usize,
        text: Range<usize>,
        depth: usize,
        tight: bool,
    ) {
        let depth = match event {
            Event::Start(_) => depth + 1,
            Event::End(_) => depth.saturating_sub(1),
            _ => depth,
        };
        self.probe = Probe::Plain {
            item_start,
            text: text.start..text.end.max(range.end),
            depth,
            tight,
        };
    }

    /// The probe in a plain (not bold) first line of an item: a question when it ends with `?`.
    fn probe_plain(
        &mut self,
        walk: &Walk<'_>,
        event: &Event<'_>,
        range: &Range<usize>,
        item_start: usize,
        text: Range<usize>,
        depth: usize,
    ) -> bool {
        if depth == 0 && matches!(event, Event::End(TagEnd::Paragraph)) {
            let question = walk.src[text.clone()].trim();
            if super::question::ends_with_question_mark(question)
                || reveal_follows(&walk.src[range.end..])
            {
                self.open_question(walk.src, item_start, text.clone(), text.end);
            }
            return false;
        }
        self.carry_plain(event, range, item_start, text, depth, false);
        false
    }

    /// The probe after an item's bold text: what follows decides whether it is a question.
    fn probe_after_strong(
        &mut self,
        walk: &Walk<'_>,
        event: &Event<'_>,
        range: &Range<usize>,
        item_start: usize,
        strong: Range<usize>,
    ) -> bool {
        match event {
            // An `<!-- id: … -->` comment beside the question does not make it prose.
            Event::Text(text) if text.trim().is_empty() => {
                self.probe = Probe::AfterStrong { item_start, strong };
                true
            }
            Event::InlineHtml(html) if crate::source::explicit_id(html).is_some() => {
                self.probe = Probe::AfterStrong { item_start, strong };
                true
            }
            // `1. **Question?**` with the answer on the item's next lines, unlabelled.
            Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::Item)
            | Event::Start(Tag::List(_))
            | Event::SoftBreak
            | Event::HardBreak => {
                // A bold step title or feature name (`1. **Clear the cache:**`, `2. **Dark
                // mode**`) heads its item without asking anything: only text that reads as a
                // question opens a card here.
                let inner = strong_inner(walk.src, &strong).trim();
                let asks = !inner.ends_with([':', '：']) && super::question_like(inner, false);
                let end = strong.end;
                self.open_question(walk.src, item_start, strong, end);
                if !asks {
                    // Kept only if an `**Answer:**` label follows to vouch for it.
                    self.tentative = Some(item_start);
                }
                false
            }
            Event::Text(_) | Event::Start(Tag::Link { .. }) => {
                let depth = usize::from(matches!(event, Event::Start(_)));
                self.probe = Probe::Trailer {
                    item_start,
                    strong,
                    end: range.end,
                    depth,
                };
                true
            }
            _ => false,
        }
    }

    /// The probe over what follows the bold question on its line (a source link, `#tags` or
    /// an inline answer), up to the end of the line: the item's start, the bold text and where
    /// what follows it was read up to.
    fn probe_trailer(
        &mut self,
        walk: &Walk<'_>,
        event: &Event<'_>,
        range: &Range<usize>,
        (item_start, strong, end): (usize, Range<usize>, usize),
        depth: usize,
    ) -> bool {
        let block_ends = depth == 0
            && matches!(
                event,
                Event::End(TagEnd::Paragraph)
                    | Event::End(TagEnd::Item)
                    | Event::Start(Tag::List(_))
                    | Event::SoftBreak
                    | Event::HardBreak
            );
        if block_ends {
            let trailer = walk.src[strong.end..end].trim();
            let linked =
                matches!(strip_source_link(trailer), (rest, Some(_)) if rest.trim().is_empty());
            // `#tags` after the question become the card's tags.
            let tagged = trailer
                .split_whitespace()
                .all(|w| w.len() > 1 && w.starts_with('#') && !w[1..].contains('#'));
            if linked || tagged {
                self.open_question(walk.src, item_start, strong, end);
            } else if let Some(at) = inline_answer(walk.src, &strong, end) {
                // `1. **Question?** - the answer`, on the item's own line.
                self.open_question(walk.src, item_start, strong, at);
            }
            return false;
        }
        let depth = match event {
            Event::Start(_) => depth + 1,
            Event::End(_) => depth.saturating_sub(1),
            _ => depth,
        };
        let end = end.max(range.end);
        self.probe = Probe::Trailer {
            item_start,
            strong,
            end,
            depth,
        };
        true
    }

    /// Opens a question whose bold text is `strong`, followed up to `end` by a source link
    /// (the answer starts at `end`).
    fn open_question(&mut self, src: &str, item_start: usize, strong: Range<usize>, end: usize) {
        self.confirm();
        let number = leading_number(&src[item_start..]);
        self.sections.seen_question = true;
        self.labelled = false;
        let trailer = src.get(strong.end..end).filter(|t| !is_answer_dash(t));
        let question = format!("{} {}", strong_inner(src, &strong), trailer.unwrap_or(""));
        self.cards.open(RawCard {
            question: clean_question(question.trim(), number),
            at: item_start,
            section: self.sections.path(),
            answer: end..end,
            dedent: visual_column(src, strong.start),
        });
    }

    /// `12.  **Question?**` followed by `    -   **Answer:** …` nests the answer four spaces
    /// deep, as authors do for `1.` to `9.`; under a two-digit number that is too shallow for the
    /// item, so CommonMark reads an indented code block. Authors mean the answer bullet.
    fn maybe_indented_answer(&mut self, src: &str, range: &Range<usize>) {
        if self.labelled || self.cards.open.is_none() {
            return;
        }
        let block = &src[range.clone()];
        let first_line = block.trim_start_matches(['\n', '\r']);
        let start = range.start + (block.len() - first_line.len());
        let after_indent = first_line.trim_start_matches([' ', '\t']);
        let Some(after_bullet) = after_indent
            .strip_prefix(['-', '*', '+'])
            .filter(|rest| rest.starts_with([' ', '\t']))
        else {
            return;
        };
        let label_text = after_bullet.trim_start_matches([' ', '\t']);
        let label_start = start + (first_line.len() - label_text.len());
        let label_len = ["**Answer:**", "**Answer**:", "__Answer:__", "**A:**"]
            .iter()
            .find(|label| {
                label_text
                    .get(..label.len())
                    .is_some_and(|start| start.eq_ignore_ascii_case(label))
            })
            .map(|label| label.len());
        if let (Some(len), Some(card)) = (label_len, self.cards.open.as_mut()) {
            self.labelled = true;
            card.answer = label_start + len..label_start + len;
            card.dedent = visual_column(src, label_start);
        }
    }

    /// `- Answer: text` without bold: the label is plain text at the start of its line.
    fn maybe_plain_label(&mut self, src: &str, text: &str, range: &Range<usize>) {
        if self.labelled || self.cards.open.is_none() {
            return;
        }
        let trimmed = text.trim_start();
        let Some(colon) = ["answer:", "ans:"].iter().find_map(|label| {
            trimmed
                .get(..label.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(label))
                .then_some(label.len())
        }) else {
            return;
        };
        let line_start = src[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let before = src[line_start..range.start].trim();
        let only_a_marker = before.is_empty()
            || matches!(before, "-" | "*" | "+")
            || before
                .strip_suffix(['.', ')'])
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !only_a_marker {
            return;
        }
        let label_start = range.start + (text.len() - trimmed.len());
        if let Some(card) = self.cards.open.as_mut() {
            self.labelled = true;
            card.answer = label_start + colon..label_start + colon;
            card.dedent = visual_column(src, label_start);
        }
    }

    fn maybe_answer_label(&mut self, src: &str, range: &Range<usize>) {
        let Some(card) = self.cards.open.as_mut() else {
            return;
        };
        if self.labelled {
            return;
        }
        let inner = strong_inner(src, range).trim();
        let word = inner.trim_end_matches(':').trim_end();
        if !word.eq_ignore_ascii_case("answer") {
            return;
        }
        let mut end = range.end;
        if !inner.ends_with(':') {
            let rest = &src[end..];
            let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if rest[spaces..].starts_with(':') {
                end += spaces + 1;
            }
        }
        self.labelled = true;
        card.answer = end..end;
        card.dedent = visual_column(src, range.start);
    }
}

/// The probe inside an item's bold text: its nesting followed to the closing `**`.
fn in_strong(event: &Event<'_>, item_start: usize, strong: Range<usize>, depth: usize) -> Probe {
    match event {
        Event::End(TagEnd::Strong) if depth == 0 => Probe::AfterStrong { item_start, strong },
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
    }
}

/// Where the answer starts in `1. **Question?** - the answer`: after a dash or colon that
/// follows a bold question, when text follows it on the line.
fn inline_answer(src: &str, strong: &Range<usize>, end: usize) -> Option<usize> {
    let inner = strong_inner(src, strong);
    let asks = super::question::ends_with_question_mark(inner)
        || super::question_like(inner.trim_end_matches(':'), false);
    let trailer = src.get(strong.end..end)?;
    let rest = trailer.trim_start();
    let after = ["- ", "– ", "— ", ": "]
        .into_iter()
        .find_map(|dash| rest.strip_prefix(dash))?;
    let text = after.trim_start();
    (asks && !text.is_empty()).then(|| end - text.len())
}

/// Whether `text` (between a bold question and its answer) is only the dash that separates them.
/// Whether the first non-blank line of `rest` is a bullet item (`- answer` written under a
/// numbered question, not indented enough to nest in it).
fn bullet_follows(rest: &str) -> bool {
    rest.lines()
        .map(str::trim_start)
        .find(|line| !line.is_empty())
        .is_some_and(|line| {
            line.strip_prefix(['-', '*', '+'])
                .is_some_and(|after| after.starts_with([' ', '\t']))
        })
}

/// Whether the first line of `rest` ends with a question mark.
fn first_line_asks(rest: &str) -> bool {
    rest.lines()
        .next()
        .is_some_and(super::question::ends_with_question_mark)
}

fn is_answer_dash(text: &str) -> bool {
    matches!(text.trim(), "-" | "–" | "—" | ":")
}

/// Whether `rest` starts (after blank space) with a `<details>` block whose summary reveals
/// an answer. Looks only at the block's first few lines.
pub(crate) fn reveal_follows(rest: &str) -> bool {
    let rest = rest.trim_start();
    if !rest
        .get(..8)
        .is_some_and(|t| t.eq_ignore_ascii_case("<details"))
    {
        return false;
    }
    let mut cut = rest.len().min(400);
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &rest[..cut];
    let lower = head.to_ascii_lowercase();
    let (Some(open), Some(close)) = (lower.find("<summary"), lower.find("</summary>")) else {
        return false;
    };
    let Some(text_at) = lower[open..].find('>').map(|i| open + i + 1) else {
        return false;
    };
    text_at <= close
        && super::details::reveals_answer(&super::details::strip_tags(&head[text_at..close]))
}

#[cfg(test)]
mod tests {
    use crate::source::{LayoutChoice, parse_with};
    use std::path::Path;

    #[test]
    fn a_bold_item_that_asks_nothing_needs_an_answer_label() {
        let found = parse_with(
            Path::new("x.md"),
            "1.  **Clear the cache:**\n    - run `clean`\n\n2.  **+1 plus**\n\n-   **Answer:** -1\n",
            LayoutChoice::Auto,
        );
        let cards = crate::source::pairs(&found.cards);
        assert_eq!(cards, [("+1 plus", "-1")]);
    }

    #[test]
    fn an_answer_nested_four_spaces_under_a_two_digit_number_is_still_the_answer() {
        let doc = parse_with(
            Path::new("x.md"),
            "9.  **Nine?**\n    \n    -   **Answer:** nine.\n10.  **Ten?**\n    \n    -   **Answer:** ten, because:\n        -   one\n        -   two\n11.  **Eleven?**\n\n    -   **Answer:** eleven.\n",
            LayoutChoice::Auto,
        );
        let found = crate::source::pairs(&doc.cards);
        assert_eq!(
            found,
            [
                ("Nine?", "nine."),
                ("Ten?", "ten, because:\n-   one\n-   two"),
                ("Eleven?", "eleven."),
            ]
        );
    }

    #[test]
    fn labels_are_compared_on_character_boundaries() {
        let doc = parse_with(
            Path::new("x.md"),
            "1. **Tree?**\n   - **Answer:** see\n\n         ├─ Avatar.js\n\n2. **Box?**\n\n       ├─ x\n",
            LayoutChoice::Auto,
        );
        assert_eq!(doc.cards.len(), 2);
    }

    #[test]
    fn plain_numbered_questions_answered_by_the_list_under_them() {
        let cards = |text: &str| -> Vec<(String, String)> {
            parse_with(Path::new("x.md"), text, LayoutChoice::Auto)
                .cards
                .into_iter()
                .map(|c| (c.question, c.answer))
                .collect()
        };
        let want = vec![
            ("What is A?".to_string(), "- A is a letter.".to_string()),
            ("What is B?".to_string(), "- B is one too.".to_string()),
        ];
        // Nested under the item, and written under it too shallow to nest.
        assert_eq!(
            cards("1. What is A?\n   - A is a letter.\n2. What is B?\n   - B is one too.\n"),
            want
        );
        assert_eq!(
            cards("1. What is A?\n  - A is a letter.\n2. What is B?\n  - B is one too.\n"),
            want
        );
        // A list of questions with nothing under them, then prose: no card.
        assert!(cards("Study:\n\n1. What is A?\n2. What is B?\n\nThe end.\n").is_empty());
    }

    #[test]
    fn a_plain_answer_label_is_a_label_too() {
        let doc = parse_with(
            Path::new("x.md"),
            "1. **What is CI?**\n   - **Answer**: Continuous integration.\n2. **What is CD?**\n   - Answer: Continuous delivery, which\n     ships every change.\n3. **Why?**\n   - The answer: is not a label here.\n",
            LayoutChoice::Auto,
        );
        let answers: Vec<&str> = doc.cards.iter().map(|c| c.answer.as_str()).collect();
        assert_eq!(
            answers,
            [
                "Continuous integration.",
                "Continuous delivery, which\nships every change.",
                "- The answer: is not a label here."
            ]
        );
    }

    #[test]
    fn a_source_link_after_the_bold_question_goes_to_the_source_field() {
        let doc = parse_with(
            Path::new("x.md"),
            "1.  **What is [MLflow](https://mlflow.org)?**\n\n-   **Answer:** A tracker.\n\n2.  **What is DVC?** [[src](https://dvc.org)]\n\n-   **Answer:** Data versioning.\n",
            LayoutChoice::Auto,
        );
        let found: Vec<(&str, &str, Option<&str>)> = doc
            .cards
            .iter()
            .map(|c| {
                (
                    c.question.as_str(),
                    c.answer.as_str(),
                    c.source_link.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            found[..],
            [
                ("What is [MLflow](https://mlflow.org)?", "A tracker.", None),
                ("What is DVC?", "Data versioning.", Some("https://dvc.org")),
            ]
        );
    }
}
