//! A question, then its answer in a block quote: `- 请给出三个 Collection 的实现？` followed by
//! `> 参考答案：List、Set …`, as interview notes write a reference answer under each question.
//! The question is a top-level paragraph or a one-item list that reads as a question; the answer
//! is the quote right after it, without its `>` markers (and without an answer label).

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::question::ends_with_question_mark;
use super::{
    Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, question_like,
};

/// The top-level block just read, when it could be a question.
#[derive(Debug, Clone)]
struct Candidate {
    at: usize,
    text: Range<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct QuotedAnswer {
    /// The last top-level block, if it could ask a question; whether it does is only checked
    /// when a quote follows it (most blocks are followed by none, and checking cleans the text).
    candidate: Option<Candidate>,
    /// Items in the top-level list being read, and the first one's text.
    items: usize,
    first_item: Option<Range<usize>>,
    /// The question whose quote is being read.
    quoting: Option<Candidate>,
    /// The question paragraph whose answer is the bullet list being read.
    listing: Option<(Candidate, usize)>,
    cuts: Vec<Range<usize>>,
    sections: Sections,
    cards: Cards,
}

impl Extractor for QuotedAnswer {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let depth = walk.containers.len();
        match event {
            Event::Start(Tag::Item) if depth == 2 => {
                self.items += 1;
                if self.items == 1 {
                    self.first_item = Some(range.clone());
                }
            }
            Event::Start(Tag::BlockQuote(_)) if depth == 1 => {
                self.quoting = self
                    .candidate
                    .take()
                    .and_then(|candidate| asks(walk.src, candidate));
            }
            Event::End(TagEnd::BlockQuote(_)) if depth == 1 => {
                if let Some(question) = self.quoting.take() {
                    self.quote(walk.src, question, range);
                }
            }
            Event::End(TagEnd::Paragraph) if depth == 0 => {
                self.candidate = Some(Candidate {
                    at: range.start,
                    text: range.clone(),
                });
            }
            // `What is Markdown?` then `* a way to format text`: a paragraph that ends with
            // `?`, answered by the bullet list right after it.
            Event::Start(Tag::List(None)) if depth == 1 => {
                self.listing = self
                    .candidate
                    .take()
                    .filter(|c| c.text.start == c.at)
                    .filter(|c| ends_with_question_mark(walk.src[c.text.clone()].trim()))
                    .and_then(|c| asks(walk.src, c))
                    .map(|c| (c, range.start));
            }
            Event::End(TagEnd::List(_)) if depth == 1 && self.listing.is_some() => {
                if let Some((question, start)) = self.listing.take() {
                    self.list(walk.src, question, start..range.end);
                }
                self.items = 0;
                self.first_item = None;
            }
            Event::End(TagEnd::List(_)) if depth == 1 => {
                let item = self.first_item.take().filter(|_| self.items == 1);
                self.items = 0;
                self.candidate = item.map(|item| Candidate {
                    at: range.start,
                    text: item_text(walk.src, &item),
                });
            }
            // A question is only the block right before the quote.
            Event::Start(tag)
                if walk.event_top_level(event) && !matches!(tag, Tag::BlockQuote(_)) =>
            {
                self.candidate = None;
            }
            Event::Rule | Event::Html(_) if depth == 0 => self.candidate = None,
            _ => {}
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        if heading.top_level {
            self.candidate = None;
            self.sections.heading(heading.level, &heading.text);
        }
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        let title = self.sections.title.take();
        let end = self
            .cards
            .open
            .as_ref()
            .map_or(walk.src.len(), |c| c.answer.end);
        let mut found = std::mem::take(&mut self.cards).finish(end, title);
        self.cuts.sort_by_key(|r| r.start);
        found.cuts = std::mem::take(&mut self.cuts);
        found
    }
}

impl QuotedAnswer {
    /// Makes the quote at `quote` the answer of `question`, cutting out its `>` markers.
    fn quote(&mut self, src: &str, question: Candidate, quote: &Range<usize>) {
        let mut at = quote.start;
        for line in src[quote.clone()].split_inclusive('\n') {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let rest = &line[indent..];
            if let Some(after) = rest.strip_prefix('>') {
                let space = usize::from(after.starts_with(' '));
                self.cuts.push(at..at + indent + 1 + space);
            }
            at += line.len();
        }
        self.sections.seen_question = true;
        self.cards.open(RawCard {
            question: clean_question(src[question.text.clone()].trim(), None),
            at: question.at,
            section: self.sections.path(),
            answer: quote.start..quote.end,
            dedent: 0,
        });
        self.cards.close(quote.end);
    }
}

impl QuotedAnswer {
    fn list(&mut self, src: &str, question: Candidate, list: Range<usize>) {
        self.sections.seen_question = true;
        self.cards.open(RawCard {
            question: clean_question(src[question.text.clone()].trim(), None),
            at: question.at,
            section: self.sections.path(),
            answer: list.clone(),
            dedent: 0,
        });
        self.cards.close(list.end);
    }
}

/// The candidate block, when it reads as a question.
fn asks(src: &str, candidate: Candidate) -> Option<Candidate> {
    let body = src.get(candidate.text.clone())?.trim();
    if body.contains('\n') {
        return None;
    }
    let parts = clean_question(body, None);
    (!parts.text.is_empty()
        && (ends_with_question_mark(&parts.text) || question_like(&parts.text, false)))
    .then_some(candidate)
}

/// An item's text without its `-` / `1.` marker.
fn item_text(src: &str, item: &Range<usize>) -> Range<usize> {
    let text = &src[item.clone()];
    let marker = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '*' | '+' | '.' | ')')))
        .unwrap_or(text.len());
    let rest = &text[marker..];
    let start = item.start + marker + (rest.len() - rest.trim_start().len());
    start..item.end.max(start)
}
