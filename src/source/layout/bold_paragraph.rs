//! A paragraph that is entirely bold is the question: `**What is X? 👶**`.
//!
//! The answer is the following blocks up to the next such paragraph, a `<br/>` line, a heading
//! outside lists or a thematic break. Only top-level paragraphs count, and only question-like
//! ones (or ones carrying a difficulty emoji, or right after a separator), so `**Note:**` lines
//! inside answers and bold "Back to Top" links are never questions.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::question::{ends_with_question_mark, is_ideograph};
use super::{
    Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, line_end,
    question_like, strong_inner,
};

#[derive(Debug, Default)]
enum Probe {
    #[default]
    Idle,
    /// In a top-level paragraph, before any content.
    Start {
        paragraph: usize,
        after_boundary: bool,
    },
    /// Inside the bold span that opened it.
    InStrong {
        paragraph: usize,
        after_boundary: bool,
        strong: Range<usize>,
        depth: usize,
        text_outside_links: bool,
        links: usize,
    },
    /// After the bold span: only whitespace and emoji may follow.
    AfterStrong {
        paragraph: usize,
        after_boundary: bool,
        strong: Range<usize>,
        trailer: Range<usize>,
        /// The first line break after the bold span.
        broken: Option<usize>,
    },
    /// `**1. Question?**` on the paragraph's first line, its answer on the lines after it.
    Continued {
        paragraph: usize,
        strong: Range<usize>,
        trailer: Range<usize>,
        answer: usize,
    },
    /// A paragraph made only of `<br>` tags, a separator.
    Break { paragraph: usize },
    /// Anything else.
    Other,
}

#[derive(Debug, Default)]
pub(crate) struct BoldParagraph {
    probe: Probe,
    /// Whether the last top-level block was a separator, heading or thematic break (or none).
    not_after_boundary: bool,
    /// The number of the last numbered paragraph read as a question (`26、…`).
    last_numbered: Option<u32>,
    sections: Sections,
    cards: Cards,
}

impl Extractor for BoldParagraph {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let src = walk.src;
        match event {
            Event::Start(Tag::Paragraph) if walk.top_level() => {
                self.probe = Probe::Start {
                    paragraph: range.start,
                    after_boundary: !self.not_after_boundary,
                };
                self.not_after_boundary = true;
                return;
            }
            Event::End(TagEnd::Paragraph) => {
                match std::mem::take(&mut self.probe) {
                    Probe::AfterStrong {
                        paragraph,
                        after_boundary,
                        strong,
                        trailer,
                        ..
                    } => {
                        self.question(src, paragraph, after_boundary, &strong, &trailer, range.end)
                    }
                    Probe::Continued {
                        paragraph,
                        strong,
                        trailer,
                        answer,
                    } => self.continued(src, paragraph, &strong, &trailer, answer..range.end),
                    Probe::Break { paragraph } => {
                        self.cards.close(paragraph);
                        self.not_after_boundary = false;
                    }
                    Probe::Other if walk.top_level() => self.numbered(src, range),
                    _ => {}
                }
                return;
            }
            Event::Html(_) if walk.top_level() && is_break(&src[range.clone()]) => {
                self.cards.close(range.start);
                self.not_after_boundary = false;
                return;
            }
            Event::Rule if walk.top_level() => {
                self.cards.close(range.start);
                self.not_after_boundary = false;
                return;
            }
            Event::Start(_) if walk.event_top_level(event) => self.not_after_boundary = true,
            _ => {}
        }
        self.probe = advance(std::mem::take(&mut self.probe), event, range);
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        // A lone `#` is an answer (the symbol asked for), not a heading that ends one.
        if heading.top_level && !heading.text.is_empty() {
            self.not_after_boundary = false;
            self.cards.close(heading.range.start);
            self.sections.heading(heading.level, &heading.text);
        }
    }

    fn finish(self: Box<Self>, walk: &Walk<'_>) -> Found {
        self.cards.finish(walk.src.len(), self.sections.title)
    }
}

impl BoldParagraph {
    /// `1、 如何…？` or `1.What is …?`: a one-line top-level paragraph numbered in a way
    /// CommonMark does not read as a list, which asks a question (a `?`, or Chinese question
    /// words) or continues the numbering of the one before, is a question too; its answer is
    /// what follows, as for a bold one.
    fn numbered(&mut self, src: &str, paragraph: &Range<usize>) {
        let text = src[paragraph.clone()].trim();
        if text.contains('\n') {
            return;
        }
        let question = clean_question(text, None);
        let asks = ends_with_question_mark(&question.text)
            || question.text.contains(is_ideograph) && question_like(&question.text, false);
        // In a numbered run, the next number is a question whatever its wording (`27、求结果：`).
        let continues = question
            .number
            .is_some_and(|n| self.last_numbered.and_then(|l| l.checked_add(1)) == Some(n));
        if question.number.is_none() || !(asks || continues) {
            return;
        }
        self.last_numbered = question.number;
        self.sections.seen_question = true;
        self.cards.open(RawCard {
            question,
            at: paragraph.start,
            section: self.sections.path(),
            answer: line_end(src, paragraph.end)..src.len(),
            dedent: 0,
        });
    }

    /// A bold question on a paragraph's first line, answered by the paragraph's other lines:
    /// only a question that surely asks (numbered or ending with `?`), as a bold `**Note:**`
    /// line opens many an answer's paragraph.
    fn continued(
        &mut self,
        src: &str,
        paragraph: usize,
        strong: &Range<usize>,
        trailer: &Range<usize>,
        rest: Range<usize>,
    ) {
        let answer = rest.start;
        let mut markdown = strong_inner(src, strong).to_string();
        // `**Term** —` then the definition on the next lines: the dash only separates.
        let dashed = matches!(src[trailer.clone()].trim(), "—" | "–" | "--");
        if !dashed {
            markdown.push(' ');
            markdown.push_str(&src[trailer.clone()]);
        }
        let question = clean_question(&markdown, None);
        // A glossary term: `**Term** (expansion)` ended by a hard line break (two spaces or a
        // backslash) or a dash, its definition on the next line. A `**Note:**` label ends with
        // a colon. `**Navigation**` above a line of links is no term.
        let term = (dashed || src[answer..].starts_with([' ', '\\']))
            && !question.text.ends_with(':')
            && text_outside_links(&src[rest]);
        if question.number.is_none() && !ends_with_question_mark(&question.text) && !term {
            return;
        }
        self.sections.seen_question = true;
        self.cards.open(RawCard {
            question,
            at: paragraph,
            section: self.sections.path(),
            answer: line_end(src, answer)..src.len(),
            dedent: 0,
        });
    }

    fn question(
        &mut self,
        src: &str,
        paragraph: usize,
        after_boundary: bool,
        strong: &Range<usize>,
        trailer: &Range<usize>,
        end: usize,
    ) {
        let mut markdown = strong_inner(src, strong).to_string();
        markdown.push(' ');
        markdown.push_str(&src[trailer.clone()]);
        let question = clean_question(&markdown, None);
        // `**Where to put these FAQs:**` introduces what follows: a label, whatever its words.
        let label = question.text.ends_with([':', '：']);
        let likely = question_like(&question.text, question.number.is_some()) && !label
            || !question.tags.is_empty()
            || after_boundary && !label;
        if !likely {
            return;
        }
        self.sections.seen_question = true;
        self.cards.open(RawCard {
            question,
            at: paragraph,
            section: self.sections.path(),
            answer: line_end(src, end)..src.len(),
            dedent: 0,
        });
    }
}

/// The probe after one more event of a top-level paragraph.
fn advance(probe: Probe, event: &Event<'_>, range: &Range<usize>) -> Probe {
    match probe {
        Probe::Idle => Probe::Idle,
        Probe::Start {
            paragraph,
            after_boundary,
        } => match event {
            Event::Start(Tag::Strong) => Probe::InStrong {
                paragraph,
                after_boundary,
                strong: range.clone(),
                depth: 0,
                text_outside_links: false,
                links: 0,
            },
            Event::InlineHtml(html) if is_break(html) => Probe::Break { paragraph },
            _ => Probe::Other,
        },
        Probe::Break { paragraph } => match event {
            Event::InlineHtml(html) if is_break(html) => Probe::Break { paragraph },
            Event::SoftBreak | Event::HardBreak => Probe::Break { paragraph },
            Event::Text(text) if text.trim().is_empty() => Probe::Break { paragraph },
            _ => Probe::Other,
        },
        Probe::InStrong { .. } => in_strong(probe, event, range),
        Probe::AfterStrong { .. } => after_strong(probe, event, range),
        continued @ Probe::Continued { .. } => continued,
        Probe::Other => Probe::Other,
    }
}

/// The probe inside a paragraph's opening bold text, followed to its closing `**`: a question
/// only if some of the bold text lies outside links.
fn in_strong(probe: Probe, event: &Event<'_>, range: &Range<usize>) -> Probe {
    let Probe::InStrong {
        paragraph,
        after_boundary,
        strong,
        depth,
        text_outside_links,
        links,
    } = probe
    else {
        return probe;
    };
    match event {
        Event::End(TagEnd::Strong) if depth == 0 => {
            if text_outside_links {
                Probe::AfterStrong {
                    paragraph,
                    after_boundary,
                    strong,
                    trailer: range.end..range.end,
                    broken: None,
                }
            } else {
                Probe::Other
            }
        }
        Event::Start(tag) => Probe::InStrong {
            paragraph,
            after_boundary,
            strong,
            depth: depth + 1,
            text_outside_links,
            links: links + usize::from(matches!(tag, Tag::Link { .. } | Tag::Image { .. })),
        },
        Event::End(tag) => Probe::InStrong {
            paragraph,
            after_boundary,
            strong,
            depth: depth.saturating_sub(1),
            text_outside_links,
            links: links.saturating_sub(usize::from(matches!(tag, TagEnd::Link | TagEnd::Image))),
        },
        Event::Text(text) | Event::Code(text) => Probe::InStrong {
            paragraph,
            after_boundary,
            strong,
            depth,
            text_outside_links: text_outside_links || (links == 0 && !text.trim().is_empty()),
            links,
        },
        _ => Probe::InStrong {
            paragraph,
            after_boundary,
            strong,
            depth,
            text_outside_links,
            links,
        },
    }
}

/// The probe after the opening bold text: only blank or symbol text, breaks and an id comment
/// may follow it on its line for the paragraph to be a question; after a line break, the
/// paragraph's other lines may be its answer.
fn after_strong(probe: Probe, event: &Event<'_>, range: &Range<usize>) -> Probe {
    let Probe::AfterStrong {
        paragraph,
        after_boundary,
        strong,
        trailer,
        broken,
    } = probe
    else {
        return probe;
    };
    match event {
        // `**API** (Application Programming Interface)`: an expansion in brackets belongs to
        // the term, on the bold text's line.
        Event::Text(text)
            if broken.is_none() && text.trim().starts_with('(') && text.trim().ends_with(')') =>
        {
            Probe::AfterStrong {
                paragraph,
                after_boundary,
                strong,
                trailer: trailer.start..range.end,
                broken,
            }
        }
        Event::Text(text)
            if text
                .chars()
                .all(|c| c.is_whitespace() || !c.is_alphanumeric() && !c.is_ascii()) =>
        {
            Probe::AfterStrong {
                paragraph,
                after_boundary,
                strong,
                trailer: if broken.is_some() {
                    trailer
                } else {
                    trailer.start..range.end
                },
                broken,
            }
        }
        Event::SoftBreak | Event::HardBreak => Probe::AfterStrong {
            paragraph,
            after_boundary,
            strong,
            trailer,
            broken: broken.or(Some(range.start)),
        },
        Event::InlineHtml(html) if crate::source::explicit_id(html).is_some() => {
            Probe::AfterStrong {
                paragraph,
                after_boundary,
                strong,
                trailer,
                broken,
            }
        }
        _ => match broken {
            Some(at) => Probe::Continued {
                paragraph,
                strong,
                trailer,
                answer: at,
            },
            None => Probe::Other,
        },
    }
}

/// Whether some letters of `text` lie outside its `[text](target)` links.
fn text_outside_links(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        if rest[..open].chars().any(char::is_alphanumeric) {
            return true;
        }
        let Some(close) = rest[open..].find("](").map(|at| open + at) else {
            return rest[open..].chars().any(char::is_alphanumeric);
        };
        let Some(end) = rest[close..].find(')').map(|at| close + at) else {
            return true;
        };
        rest = &rest[end + 1..];
    }
    rest.chars().any(char::is_alphanumeric)
}

/// Whether an HTML fragment is nothing but line-break tags.
fn is_break(html: &str) -> bool {
    let mut rest = html.trim();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let lower = rest.get(..3).map(str::to_ascii_lowercase);
        if lower.as_deref() != Some("<br") {
            return false;
        }
        let Some(close) = rest.find('>') else {
            return false;
        };
        if !rest[3..close]
            .trim()
            .trim_end_matches('/')
            .trim()
            .is_empty()
        {
            return false;
        }
        rest = rest[close + 1..].trim_start();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_break;
    use crate::source::layout::{LayoutChoice, extract};

    #[test]
    fn a_lone_hash_answers_instead_of_ending_the_answer() {
        let found = extract(
            "**Which symbol makes a heading?**\n\n#\n\n**Which makes a list?**\n\n*\n",
            LayoutChoice::Auto,
        );
        let answers: Vec<&str> = found.cards.iter().map(|c| c.answer.as_str()).collect();
        assert_eq!(answers, ["#", "*"]);
    }

    #[test]
    fn glossary_terms_ended_by_a_hard_break() {
        let found = extract(
            "## A\n\n**API** (Application Programming Interface)  \nHow programs talk.\n\n\
             **Atom**\\\nThe smallest unit.\n\n---\n\n**Navigation**  \n[Back](../README.md) | [Next](b.md)\n",
            LayoutChoice::Auto,
        );
        let cards = crate::source::pairs(&found.cards);
        assert_eq!(
            cards,
            [
                (
                    "API (Application Programming Interface)",
                    "How programs talk."
                ),
                ("Atom", "The smallest unit."),
            ]
        );
    }

    #[test]
    fn glossary_terms_ended_by_a_dash() {
        let found = extract(
            "# Glossary\n\n**CRUD** —\nCreate, read, update, delete.\n\n\
             **Shelf mark** –\nWhere a book lives.\n\n**Plain bold**\nis no term.\n",
            LayoutChoice::Auto,
        );
        let cards = crate::source::pairs(&found.cards);
        assert_eq!(
            cards,
            [
                ("CRUD", "Create, read, update, delete."),
                (
                    "Shelf mark",
                    "Where a book lives.\n\n**Plain bold**\nis no term."
                ),
            ]
        );
    }

    #[test]
    fn break_tags() {
        assert!(is_break("<br/>\n"));
        assert!(is_break("<BR>"));
        assert!(is_break("<br /> <br>"));
        assert!(!is_break("<br/> text"));
        assert!(!is_break("<bra>"));
    }
}
