//! Definition lists, as Pandoc and PHP Markdown Extra write glossaries: a term on its own line,
//! then `:   definition` lines. The term is the question; its definitions are the answer.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::{
    Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, visual_column,
};

#[derive(Debug, Default)]
pub(crate) struct Definitions {
    cuts: Vec<Range<usize>>,
    sections: Sections,
    cards: Cards,
}

impl Extractor for Definitions {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let src = walk.src;
        match event {
            Event::End(TagEnd::DefinitionListTitle) => {
                let term = src[range.clone()].trim();
                if term.is_empty() {
                    return;
                }
                self.sections.seen_question = true;
                self.cards.open(RawCard {
                    question: clean_question(term, None),
                    at: range.start,
                    section: self.sections.path(),
                    answer: range.end..range.end,
                    dedent: 0,
                });
            }
            Event::Start(Tag::DefinitionListDefinition) => {
                let Some(card) = &mut self.cards.open else {
                    return;
                };
                // The first definition starts the answer after its `:` marker; later ones join
                // it without theirs.
                let text = &src[range.clone()];
                let marker = text.len() - text.trim_start_matches([':', ' ', '\t']).len();
                if card.answer.is_empty() {
                    card.answer = range.start + marker..range.end;
                    card.dedent = visual_column(src, range.start + marker);
                } else {
                    self.cuts.push(range.start..range.start + marker);
                }
            }
            Event::End(TagEnd::DefinitionListDefinition) => {
                if let Some(card) = &mut self.cards.open {
                    card.answer.end = range.end;
                }
            }
            Event::End(TagEnd::DefinitionList) => {
                if let Some(end) = self.cards.open.as_ref().map(|c| c.answer.end) {
                    self.cards.close(end);
                }
            }
            _ => {}
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        if heading.top_level {
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
        found.cuts = std::mem::take(&mut self.cuts);
        found
    }
}
