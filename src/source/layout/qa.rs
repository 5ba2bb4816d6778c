//! `Q:` / `A:` lines: `Q: What is X?` then `A: X is …`, also `**Q:**` / `**A:**`,
//! `Question:` / `Answer:` and numbered `Q1:`. The answer may run over several lines, paragraphs
//! or a list, up to the next `Q:` line, heading or thematic break.
//!
//! Labels are only looked for where a line starts inside a paragraph (its first inline event, or
//! the one after a line break), so a `Q:` in the middle of a sentence or in code is never one.

use std::ops::Range;

use pulldown_cmark::{Event, Tag};

use super::{
    Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, line_end,
    visual_column,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Question,
    Answer,
}

/// A question whose text is still being read.
#[derive(Debug)]
struct Pending {
    at: usize,
    text_start: usize,
    number: Option<u32>,
    column: usize,
}

#[derive(Debug, Default)]
pub(crate) struct QuestionAnswer {
    line_head: bool,
    pending: Option<Pending>,
    /// Whether the open card's answer label has been seen.
    labelled: bool,
    sections: Sections,
    cards: Cards,
}

impl Extractor for QuestionAnswer {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let src = walk.src;
        match event {
            Event::Start(Tag::Paragraph) => {
                self.line_head = true;
                return;
            }
            Event::SoftBreak | Event::HardBreak => {
                self.line_head = true;
                return;
            }
            Event::End(pulldown_cmark::TagEnd::Paragraph) => {
                self.line_head = false;
                if let Some(pending) = self.pending.take() {
                    let answer = line_end(src, range.end);
                    self.open(src, pending, range.end, answer, false);
                }
                return;
            }
            Event::Rule => {
                self.finish_pending(src, range.start);
                self.cards.close(range.start);
                return;
            }
            _ => {}
        }
        if !std::mem::take(&mut self.line_head) {
            return;
        }
        if !matches!(
            event,
            Event::Text(_) | Event::Start(Tag::Strong | Tag::Emphasis)
        ) {
            return;
        }
        let Some((kind, number, length)) = label_at(&src[range.start..]) else {
            return;
        };
        let after = range.start + length;
        match kind {
            Kind::Question => {
                self.finish_pending(src, range.start);
                self.cards.close(range.start);
                self.pending = Some(Pending {
                    at: range.start,
                    text_start: after,
                    number,
                    column: visual_column(src, range.start),
                });
            }
            Kind::Answer => {
                let column = visual_column(src, range.start);
                if let Some(pending) = self.pending.take() {
                    self.open(src, pending, range.start, after, true);
                    if let Some(card) = &mut self.cards.open {
                        card.dedent = column;
                    }
                } else if let Some(card) = self.cards.open.as_mut().filter(|_| !self.labelled) {
                    card.answer = after..after;
                    card.dedent = column;
                    self.labelled = true;
                }
            }
        }
    }

    fn heading(&mut self, walk: &Walk<'_>, heading: &Heading) {
        self.finish_pending(walk.src, heading.range.start);
        self.cards.close(heading.range.start);
        if heading.top_level {
            self.sections.heading(heading.level, &heading.text);
        }
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        self.finish_pending(walk.src, walk.src.len());
        let title = self.sections.title.take();
        std::mem::take(&mut self.cards).finish(walk.src.len(), title)
    }
}

impl QuestionAnswer {
    fn finish_pending(&mut self, src: &str, end: usize) {
        if let Some(pending) = self.pending.take() {
            self.open(src, pending, end, end, false);
        }
    }

    /// Opens the card whose question text ends at `text_end` and whose answer starts at `answer`.
    fn open(
        &mut self,
        src: &str,
        pending: Pending,
        text_end: usize,
        answer: usize,
        labelled: bool,
    ) {
        let mut text = src[pending.text_start..text_end.max(pending.text_start)].trim();
        // `**Q: What is X?**`: the label took the opening bold, the question keeps the closing one.
        if let Some(inner) = text.strip_suffix("**").filter(|t| !t.contains("**")) {
            text = inner.trim_end();
        }
        self.sections.seen_question = true;
        self.labelled = labelled;
        self.cards.open(RawCard {
            question: clean_question(text, pending.number),
            at: pending.at,
            section: self.sections.path(),
            answer: answer..src.len(),
            dedent: pending.column,
        });
    }
}

/// Parses a `Q:` / `**A:**` / `Question 3:` label at the start of `text`: its kind, number and
/// length in bytes (trailing spaces included).
fn label_at(text: &str) -> Option<(Kind, Option<u32>, usize)> {
    let mut rest = text;
    let marker = ["**", "__", "*", "_"]
        .into_iter()
        .find(|m| rest.starts_with(m));
    if let Some(marker) = marker {
        rest = &rest[marker.len()..];
    }
    let words: [(&str, Kind, bool); 5] = [
        ("question", Kind::Question, false),
        ("answer", Kind::Answer, false),
        ("ans", Kind::Answer, false),
        ("Q", Kind::Question, true),
        ("A", Kind::Answer, true),
    ];
    let (kind, after_word) = words.into_iter().find_map(|(word, kind, exact)| {
        let head = rest.get(..word.len())?;
        let matches = if exact {
            head == word
        } else {
            head.eq_ignore_ascii_case(word)
        };
        matches.then(|| (kind, &rest[word.len()..]))
    })?;
    rest = after_word.trim_start_matches([' ', '\t']);
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let number = rest[..digits].parse().ok();
    rest = &rest[digits..];
    let mut closed = marker.is_none();
    if let Some(marker) = marker.filter(|m| rest.starts_with(m)) {
        rest = &rest[marker.len()..];
        closed = true;
    }
    rest = rest.trim_start_matches([' ', '\t']);
    let separator = if kind == Kind::Question {
        rest.strip_prefix([':', '.'])
    } else {
        rest.strip_prefix(':')
    };
    rest = separator?;
    if !closed {
        if let Some(marker) = marker.filter(|m| rest.starts_with(m)) {
            rest = &rest[marker.len()..];
        }
    }
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    Some((kind, number, text.len() - rest.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label_at("Q: What?"), Some((Kind::Question, None, 3)));
        assert_eq!(label_at("**A:** Yes"), Some((Kind::Answer, None, 7)));
        assert_eq!(label_at("**A**: Yes"), Some((Kind::Answer, None, 7)));
        assert_eq!(
            label_at("Question 3: Why?"),
            Some((Kind::Question, Some(3), 12))
        );
        assert_eq!(label_at("Q1. Why?"), Some((Kind::Question, Some(1), 4)));
        assert_eq!(label_at("Answer:"), Some((Kind::Answer, None, 7)));
        assert_eq!(label_at("A. Smith said"), None);
        assert_eq!(label_at("Quite: so"), None);
        assert_eq!(label_at("A:B testing"), None);
        assert_eq!(label_at("Answers: many"), None);
    }
}
