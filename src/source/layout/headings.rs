//! Questions written as headings: `#### 1) Question [[src](…)]`, `### Question?`.
//!
//! The answer is every block up to the next heading of the same or a higher level (or the next
//! question, or a thematic break). Which headings are questions is decided once the whole
//! document has been seen: the question level is the level most question-like headings that
//! hold content are at. At that level a heading is a question when it is numbered, ends with
//! `?` or opens like a question; at a higher level only when it ends with `?` and holds no
//! questions itself (so `## Why Rust?` above `### …?` questions stays a section); deeper headings
//! inside an answer are part of it.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::Event;

use super::question::ends_with_question_mark;
use super::{
    Cards, Extractor, Found, Heading, QuestionParts, RawCard, Sections, Walk, clean_question,
    line_end, question_like,
};

#[derive(Debug)]
enum Mark {
    Heading {
        level: usize,
        range: Range<usize>,
        text: String,
        question: QuestionParts,
        question_like: bool,
        ends_with_question_mark: bool,
        has_content: bool,
    },
    Rule(usize),
}

#[derive(Debug, Default)]
pub(crate) struct Headings {
    marks: Vec<Mark>,
}

impl Extractor for Headings {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        if !walk.event_top_level(event) {
            return;
        }
        match event {
            Event::Rule => self.marks.push(Mark::Rule(range.start)),
            Event::Start(tag) if !matches!(tag, pulldown_cmark::Tag::Heading { .. }) => {
                if let Some(Mark::Heading { has_content, .. }) = self.marks.last_mut() {
                    *has_content = true;
                }
            }
            _ => {}
        }
    }

    fn heading(&mut self, walk: &Walk<'_>, heading: &Heading) {
        if !heading.top_level {
            return;
        }
        let question = clean_question(&walk.src[heading.inner.clone()], None);
        self.marks.push(Mark::Heading {
            level: heading.level,
            range: heading.range.clone(),
            text: heading.text.clone(),
            question_like: question_like(&question.text, question.number.is_some()),
            ends_with_question_mark: ends_with_question_mark(&question.text),
            question,
            has_content: false,
        });
    }

    fn finish(self: Box<Self>, walk: &Walk<'_>) -> Found {
        let level = question_level(&self.marks);
        let mut sections = Sections::default();
        let mut cards = Cards::default();
        let mut open_level: Option<usize> = None;
        for (index, mark) in self.marks.iter().enumerate() {
            let (h_level, range, text, question, is_question) = match mark {
                Mark::Rule(at) => {
                    cards.close(*at);
                    open_level = None;
                    continue;
                }
                Mark::Heading {
                    level: h_level,
                    range,
                    text,
                    question,
                    question_like,
                    ends_with_question_mark,
                    ..
                } => {
                    let is_question = match level {
                        None => false,
                        Some(level) if *h_level == level => *question_like,
                        Some(level) if *h_level < level => {
                            *ends_with_question_mark && !holds_questions(&self.marks, index, level)
                        }
                        Some(_) => *ends_with_question_mark && open_level.is_none(),
                    };
                    (*h_level, range, text, question, is_question)
                }
            };
            if is_question {
                sections.pop_to(h_level);
                sections.seen_question = true;
                cards.open(RawCard {
                    question: question.clone(),
                    at: range.start,
                    section: sections.path(),
                    answer: line_end(walk.src, range.end)..walk.src.len(),
                    dedent: 0,
                });
                open_level = Some(h_level);
            } else if open_level.is_some_and(|open| h_level > open) {
                // A sub-heading inside the answer.
            } else {
                cards.close(range.start);
                open_level = None;
                sections.heading(h_level, text);
            }
        }
        let title = sections.title.take();
        cards.finish(walk.src.len(), title)
    }
}

/// The level most question-like headings that hold content are at; ties go to the deeper level.
fn question_level(marks: &[Mark]) -> Option<usize> {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for mark in marks {
        if let Mark::Heading {
            level,
            question_like: true,
            has_content: true,
            ..
        } = mark
        {
            *counts.entry(*level).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(level, count)| (*count, *level))
        .map(|(level, _)| level)
}

/// Whether the heading at `index` has question headings at `level` below it.
fn holds_questions(marks: &[Mark], index: usize, level: usize) -> bool {
    let Some(Mark::Heading { level: own, .. }) = marks.get(index) else {
        return false;
    };
    for mark in &marks[index + 1..] {
        if let Mark::Heading {
            level: next,
            question_like,
            ..
        } = mark
        {
            if next <= own {
                return false;
            }
            if *next == level && *question_like {
                return true;
            }
        }
    }
    false
}
