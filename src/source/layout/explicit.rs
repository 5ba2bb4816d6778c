//! Cards the author marked explicitly, read in every document whatever its layout: the
//! spaced-repetition syntax of Obsidian and RemNote. `Question::Answer` and `Question:::Answer`
//! (the reversible kind) on one line, and multi-line cards whose sides meet at a line holding
//! only `?` or `??`.
//!
//! A `::` is a separator only where it cannot be a path: outside code spans, once on its line,
//! with the answer starting like a sentence or the separator set off by spaces (`Vec::new`
//! and `std::mem::take` stay prose).
//!
//! A paragraph or list item that makes no card here but holds a cloze goes to `loose`.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::{Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, loose};

#[derive(Debug, Default)]
pub(crate) struct Explicit {
    paragraph: Option<usize>,
    sections: Sections,
    cards: Cards,
    loose: loose::Collector,
}

impl Extractor for Explicit {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        match event {
            Event::Start(Tag::Paragraph) => self.paragraph = Some(range.start),
            Event::End(TagEnd::Paragraph) => {
                if let Some(start) = self.paragraph.take() {
                    let before = self.cards.done.len();
                    self.paragraph_cards(walk.src, start..range.end);
                    if self.cards.done.len() == before {
                        self.loose
                            .paragraph(walk, start..range.end, &mut self.sections);
                    }
                }
            }
            _ => {}
        }
        let in_paragraph = self.paragraph.is_some();
        if let Some(item) = self.loose.tight_item(walk, event, range, in_paragraph) {
            // A list item's `Question::Answer` is no cloze sentence.
            let lines = lines(walk.src, &item);
            if !lines.iter().any(|line| separated(walk.src, line).is_some()) {
                self.loose.paragraph(walk, item, &mut self.sections);
            }
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        if heading.top_level {
            self.sections.heading(heading.level, &heading.text);
        }
        self.loose.section_ends(heading.range.start);
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        let title = self.sections.title.take();
        let mut found = std::mem::take(&mut self.cards).finish(walk.src.len(), title);
        found.loose = std::mem::take(&mut self.loose).finish(walk.src.len());
        found
    }
}

impl Explicit {
    fn paragraph_cards(&mut self, src: &str, paragraph: Range<usize>) {
        let text = &src[paragraph.clone()];
        if !text.contains("::") && !text.contains('?') {
            return;
        }
        let lines = lines(src, &paragraph);
        let turn = lines
            .iter()
            .position(|line| matches!(src[line.clone()].trim(), "?" | "??"));
        if let Some(turn) = turn.filter(|&t| t > 0) {
            let question = lines[0].start..lines[turn - 1].end;
            // The card runs on to the first blank line, over a list that follows its last
            // line (`Where method can be:` then `- Input …`) or that is its whole back.
            let end = run_end(src, paragraph.end);
            let start = lines.get(turn + 1).map_or(lines[turn].end, |l| l.start);
            if src[start..end].trim().is_empty() {
                return;
            }
            let reversed = src[lines[turn].clone()].trim() == "??";
            self.card(src, question, start..end, reversed);
            return;
        }
        for line in lines {
            if let Some((question, answer, reversed)) = separated(src, &line) {
                self.card(src, question, answer, reversed);
            }
        }
    }

    fn card(&mut self, src: &str, question: Range<usize>, answer: Range<usize>, reversed: bool) {
        let text = src[question.clone()].trim();
        if text.is_empty() {
            return;
        }
        self.sections.seen_question = true;
        let mut parts = clean_question(text, None);
        parts.reversed = reversed;
        self.cards.open(RawCard {
            question: parts,
            at: question.start,
            section: self.sections.path(),
            answer: answer.clone(),
            dedent: 0,
        });
        self.cards.close(answer.end);
    }
}

/// The end of the run of non-blank lines that goes on at `from` (a block's end), before a
/// heading or a blank line.
fn run_end(src: &str, from: usize) -> usize {
    let mut at = match src[..from].ends_with('\n') {
        true => from,
        false => src[from..].find('\n').map_or(src.len(), |i| from + i + 1),
    };
    let mut end = from;
    for line in src[at..].split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            break;
        }
        at += line.len();
        end = at - (line.len() - line.trim_end().len());
    }
    end.max(from)
}

/// The byte ranges of the lines of `range`, without their line breaks.
fn lines(src: &str, range: &Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = range.start;
    for line in src[range.clone()].split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        out.push(at..at + body.len());
        at += line.len();
    }
    out
}

/// A `Question::Answer` or `Question:::Answer` line: the two sides' ranges, and whether the
/// separator was `:::` (the reverse card too).
fn separated(src: &str, line: &Range<usize>) -> Option<(Range<usize>, Range<usize>, bool)> {
    let text = &src[line.clone()];
    // A cloze's `{{c1::` and hint `::` are no separators.
    let clozes = crate::source::cloze::spans(text);
    let separators: Vec<usize> = text
        .match_indices("::")
        .map(|(at, _)| at)
        .filter(|at| !clozes.iter().any(|cloze| cloze.contains(at)))
        .collect();
    // `:::` counts once as `::`, so a second match means two separators or a path.
    if text.contains('`') || text.contains("://") || separators.len() != 1 {
        return None;
    }
    let at = separators[0];
    let width = if text[at..].starts_with(":::") { 3 } else { 2 };
    let (left, right) = (&text[..at], &text[at + width..]);
    if left.trim().is_empty() || right.trim().is_empty() || right.starts_with(':') {
        return None;
    }
    let spaced = left.ends_with(' ') && right.starts_with(' ');
    let sentence = right
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_numeric() || !c.is_ascii());
    // A question before the separator is no path (`What is X?::the answer`), nor an
    // interrogative followed by a phrase (`What do branches do::alter the flow`).
    let asks = super::question::ends_with_question_mark(left)
        || super::question::question_like(left, false) && right.split_whitespace().count() >= 3;
    let listed = ["- ", "* ", "+ ", ">", "|", "#"]
        .iter()
        .any(|m| left.trim_start().starts_with(m));
    if !(spaced || sentence || asks) || listed {
        return None;
    }
    let start = line.start;
    Some((start..start + at, start + at + width..line.end, width == 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Option<(&str, &str)> {
        separated(text, &(0..text.len())).map(|(q, a, _)| (&text[q], &text[a]))
    }

    #[test]
    fn separators_and_paths() {
        assert_eq!(
            split("Mitochondria::The powerhouse"),
            Some(("Mitochondria", "The powerhouse"))
        );
        assert_eq!(
            split("Ribosome:::Makes proteins"),
            Some(("Ribosome", "Makes proteins"))
        );
        assert_eq!(
            split("capital of France :: Paris"),
            Some(("capital of France ", " Paris"))
        );
        assert_eq!(split("Call Vec::new to start"), None);
        assert_eq!(
            split("What is a NOP?::no operation"),
            Some(("What is a NOP?", "no operation"))
        );
        assert_eq!(
            split("**What is windowing?** :: **Windowing** gives"),
            Some(("**What is windowing?** ", " **Windowing** gives"))
        );
        assert_eq!(split("What is Vec::new for?"), None);
        assert_eq!(split("use std::mem::take"), None);
        assert_eq!(split("see `a::B`"), None);
        assert_eq!(split("http://x.example::Y"), None);
        assert_eq!(
            split("The {{c1::Capital::City}} of France :: Paris"),
            Some(("The {{c1::Capital::City}} of France ", " Paris"))
        );
        assert_eq!(split("The {{c1::Capital}} of France"), None);
        assert_eq!(separated("A:::B", &(0..5)).map(|s| s.2), Some(true));
        assert_eq!(separated("A::B", &(0..4)).map(|s| s.2), Some(false));
    }
}
