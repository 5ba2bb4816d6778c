//! Questions as headings inside numbered list items: `1.  ### Question?`.
//!
//! Any list item whose first block is a heading is a question; numbering may restart per section
//! and items may be mis-indented, which pulldown-cmark's list structure absorbs. A heading that
//! lost its number still counts when it sits at the question level and ends with `?`. Other
//! headings inside an item belong to its answer; headings outside lists are sections.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::Event;

use super::question::ends_with_question_mark;
use super::{
    Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, leading_number,
    line_end, visual_column,
};

#[derive(Debug)]
enum Mark {
    /// A heading that opens a list item, with the item's start.
    Item(Heading, usize),
    /// A heading inside an item's answer that ends with `?`.
    Nested(Heading),
    /// A heading outside every list.
    Top(Heading),
    Rule(usize),
}

#[derive(Debug, Default)]
pub(crate) struct ListHeadings {
    marks: Vec<Mark>,
}

impl Extractor for ListHeadings {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        if matches!(event, Event::Rule) && walk.top_level() {
            self.marks.push(Mark::Rule(range.start));
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        let mark = if let Some(item) = heading.item_start {
            Mark::Item(heading.clone(), item)
        } else if heading.top_level {
            Mark::Top(heading.clone())
        } else if ends_with_question_mark(&heading.text) {
            Mark::Nested(heading.clone())
        } else {
            return;
        };
        self.marks.push(mark);
    }

    fn finish(self: Box<Self>, walk: &Walk<'_>) -> Found {
        let src = walk.src;
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for mark in &self.marks {
            if let Mark::Item(heading, _) = mark {
                *counts.entry(heading.level).or_default() += 1;
            }
        }
        let level = counts
            .into_iter()
            .max_by_key(|(level, count)| (*count, *level))
            .map(|(level, _)| level);
        let mut sections = Sections::default();
        let mut cards = Cards::default();
        for mark in &self.marks {
            let (heading, at, number) = match mark {
                Mark::Rule(at) => {
                    cards.close(*at);
                    continue;
                }
                Mark::Item(heading, item) => (heading, *item, leading_number(&src[*item..])),
                Mark::Nested(heading) | Mark::Top(heading)
                    if Some(heading.level) == level && ends_with_question_mark(&heading.text) =>
                {
                    (heading, heading.range.start, None)
                }
                Mark::Nested(_) => continue,
                Mark::Top(heading) => {
                    cards.close(heading.range.start);
                    sections.heading(heading.level, &heading.text);
                    continue;
                }
            };
            sections.seen_question = true;
            cards.open(RawCard {
                question: clean_question(&src[heading.inner.clone()], number),
                at,
                section: sections.path(),
                answer: line_end(src, heading.range.end)..src.len(),
                dedent: visual_column(src, heading.range.start),
            });
        }
        let title = sections.title.take();
        cards.finish(src.len(), title)
    }
}
