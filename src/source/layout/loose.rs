//! Clozes standing alone: a sentence with a cloze that belongs to no question is a cloze card
//! by itself, as in Anki's own Cloze note type. Every document may hold them, so they are placed
//! once the document's layout is known: only then is it clear which paragraphs are answers.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::{Container, Extracted, RawCard, Sections, Walk, clean_question, overlaps};
use crate::source::cloze::{Standalone, standalone};
use crate::source::{CardDraft, LineIndex};

/// A paragraph (or a list item's text) holding a cloze, outside every explicit card.
#[derive(Debug, Clone)]
pub(crate) struct Loose {
    /// The paragraph as the question; its answer is empty (the cloze card's Extra).
    pub card: RawCard,
    /// It holds only `==…==` shorthands, no `{{cN::…}}`.
    pub shorthand_only: bool,
    /// Inside a block quote, whose `>` markers would be part of its text.
    pub quoted: bool,
    /// From the heading above it to the next one.
    pub section: Range<usize>,
}

/// Gathers the loose clozes while the explicit reader walks the document: it hands over the
/// paragraphs that made no card, and the text of tight list items, which comes without one.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    found: Vec<Loose>,
    /// Where the section being read starts (its heading); its clozes get its end later.
    section_start: usize,
    /// The text of the tight list item being read.
    tight: Option<Range<usize>>,
    /// Open headings, code blocks and tables, whose text is no list item's text.
    blocks: usize,
}

impl Collector {
    /// Follows a tight list item's text; returns it once it ends (at the item's end or its
    /// first block).
    pub(crate) fn tight_item(
        &mut self,
        walk: &Walk<'_>,
        event: &Event<'_>,
        range: &Range<usize>,
        in_paragraph: bool,
    ) -> Option<Range<usize>> {
        let in_item = matches!(walk.containers.last(), Some(Container::Item { .. }));
        match event {
            Event::Start(Tag::Heading { .. } | Tag::CodeBlock(_) | Tag::Table(_)) => {
                self.blocks += 1
            }
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::Table) => {
                self.blocks = self.blocks.saturating_sub(1)
            }
            Event::Text(_)
            | Event::Code(_)
            | Event::InlineMath(_)
            | Event::InlineHtml(_)
            | Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
                if in_item && !in_paragraph && self.blocks == 0 =>
            {
                let tight = self.tight.get_or_insert(range.clone());
                tight.end = tight.end.max(range.end);
                return None;
            }
            _ => {}
        }
        let ends = matches!(event, Event::Start(_) | Event::End(TagEnd::Item))
            && !matches!(event, Event::Start(tag) if is_inline(tag));
        self.tight.take_if(|_| ends)
    }

    /// Keeps a paragraph that made no card, if it holds a cloze.
    pub(crate) fn paragraph(
        &mut self,
        walk: &Walk<'_>,
        paragraph: Range<usize>,
        sections: &mut Sections,
    ) {
        let text = &walk.src[paragraph.clone()];
        let Some(kind) = standalone(text) else {
            return;
        };
        let question = clean_question(text.trim(), None);
        if question.text.is_empty() {
            return;
        }
        sections.seen_question = true;
        self.found.push(Loose {
            card: RawCard {
                question,
                at: paragraph.start,
                section: sections.path(),
                answer: paragraph.end..paragraph.end,
                dedent: 0,
            },
            shorthand_only: kind == Standalone::Shorthand,
            quoted: walk.containers.contains(&Container::Quote),
            section: self.section_start..usize::MAX,
        });
    }

    /// A heading (or the document's end) at `at` ends the section of the clozes above it.
    pub(crate) fn section_ends(&mut self, at: usize) {
        for loose in self.found.iter_mut().rev() {
            if loose.section.end != usize::MAX {
                break;
            }
            loose.section.end = at;
        }
        self.section_start = at;
    }

    pub(crate) fn finish(mut self, end: usize) -> Vec<Loose> {
        self.section_ends(end);
        self.found
    }
}

/// Inline markup, which goes on a tight list item's text rather than ending it.
fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Link { .. }
            | Tag::Image { .. }
            | Tag::Superscript
            | Tag::Subscript
    )
}

const QUOTED: &str = "a cloze in a block quote outside every question makes no card";
const HIGHLIGHT: &str = "a `==…==` highlight outside every question, under a heading with \
     questions, makes no card (write `{{c1::…}}` to make it a cloze card)";

/// Makes cards of the loose clozes that lie in no card read so far (`extracted`): one inside
/// an answer stays part of it. A `==…==` highlight is a card only in a section that holds no
/// question of the document's layout (`layout_spans`): next to questions, a highlight is more
/// likely emphasis than a card; it is then warned about, as is a quoted cloze.
pub(crate) fn place(
    src: &str,
    loose: Vec<Loose>,
    layout_spans: &[Range<usize>],
    extracted: &mut Extracted,
) {
    if loose.is_empty() {
        return;
    }
    let taken = union(&extracted.spans);
    let layout_spans = union(layout_spans);
    let mut lines = LineIndex::new(src);
    let mut more = Extracted::default();
    for Loose {
        card,
        shorthand_only,
        quoted,
        section,
    } in loose
    {
        let span = card.at..card.answer.end.max(card.at + 1);
        if overlaps(&taken, &span) {
            continue;
        }
        let (line, column) = lines.line_col(card.at);
        let why = match () {
            _ if quoted => Some(QUOTED),
            _ if shorthand_only && overlaps(&layout_spans, &section) => Some(HIGHLIGHT),
            _ => None,
        };
        if let Some(why) = why {
            more.dropped.push((line, column, card.question.text, why));
            continue;
        }
        // `#tags` end the sentence as they end an answer line.
        let (text, hashtags) = crate::source::tags::strip_line_tags(&card.question.text);
        let mut tags = card.question.tags;
        for tag in hashtags {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        more.spans.push(span);
        more.cards.push(CardDraft {
            question: text.to_string(),
            answer: String::new(),
            section: card.section,
            number: None,
            line,
            column,
            explicit_id: None,
            source_link: card.question.source_link,
            tags,
            kind: crate::model::NoteKind::Basic,
        });
    }
    extracted.merge(more);
}

/// `spans` sorted and merged into disjoint ranges (an explicit card may lie inside an answer).
fn union(spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|s| s.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for span in sorted {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::super::{LayoutChoice, extract};

    /// (question, answer, section) of every card read from `text`.
    fn cards(text: &str) -> Vec<(String, String, String)> {
        extract(text, LayoutChoice::Auto)
            .cards
            .into_iter()
            .map(|c| (c.question, c.answer, c.section.join(" > ")))
            .collect()
    }

    fn warnings(text: &str) -> Vec<(usize, &'static str)> {
        let extracted = extract(text, LayoutChoice::Auto);
        extracted.dropped.iter().map(|d| (d.0, d.3)).collect()
    }

    const BIOLOGY: &str = "# Biology\n## Cells\n### What is the powerhouse of the cell?\n\
        The mitochondrion.\n### Cloze\nThe ==nucleus== holds the cell's ==DNA==.\n\n\
        Photosynthesis happens in the {{c1::chloroplast::organelle}}.\n\nCapital of France::Paris\n";

    #[test]
    fn a_cloze_sentence_outside_every_question_is_a_card_with_no_extra() {
        let read = cards(BIOLOGY);
        let row = |q: &str, a: &str| (q.to_string(), a.to_string(), "Cells > Cloze".to_string());
        assert_eq!(read.len(), 4, "{read:#?}");
        assert_eq!(read[0].0, "What is the powerhouse of the cell?");
        assert_eq!(
            read[1],
            row("The ==nucleus== holds the cell's ==DNA==.", "")
        );
        assert_eq!(
            read[2],
            row(
                "Photosynthesis happens in the {{c1::chloroplast::organelle}}.",
                ""
            )
        );
        assert_eq!(read[3], row("Capital of France", "Paris"));
        assert!(warnings(BIOLOGY).is_empty());
        let whole = super::super::extract_whole(BIOLOGY, LayoutChoice::Auto);
        assert_eq!(whole.cards.len(), 4, "read in one piece alike");
    }

    #[test]
    fn a_cloze_inside_an_answer_stays_in_it() {
        let text = "### What does the nucleus hold?\nThe {{c1::DNA}}.\n\nAnd ==RNA== too.\n";
        let read = cards(text);
        assert_eq!(read.len(), 1, "{read:#?}");
        assert!(read[0].1.contains("{{c1::DNA}}") && read[0].1.contains("==RNA=="));
    }

    #[test]
    fn list_items_and_tags_and_what_is_no_cloze() {
        let text = "# Notes\n\n- The {{c1::heap}} is slow #memory\n- plain item\n\n\
            > Quoted {{c1::cloze}}.\n\nWrite `{{c1::text}}` for a cloze; {{c1:: never closed.\n";
        let extracted = extract(text, LayoutChoice::Auto);
        let questions: Vec<_> = extracted
            .cards
            .iter()
            .map(|c| c.question.as_str())
            .collect();
        assert_eq!(questions, ["The {{c1::heap}} is slow"]);
        assert_eq!(extracted.cards[0].tags, ["memory"]);
        assert_eq!(extracted.cards[0].line, 3);
        assert_eq!(warnings(text), [(6, super::QUOTED)]);
    }

    #[test]
    fn a_highlight_is_a_card_only_in_a_section_without_questions() {
        let intro = "# Rust\n\nThis covers ==ownership==.\n\n1. **What is a move?**\n\n   \
            - **Answer:** Ownership passes on.\n\n## Flashcards\n\nA ==borrow== is a reference.\n";
        let read = cards(intro);
        assert_eq!(read.len(), 2, "{read:#?}");
        assert_eq!(read[1].0, "A ==borrow== is a reference.");
        assert_eq!(read[1].2, "Flashcards");
        assert_eq!(warnings(intro), [(3, super::HIGHLIGHT)]);
        // A document of highlights only: each paragraph is a card.
        let only = "Just a ==highlight==.\n\nAnd {{c1::another}}.\n";
        assert_eq!(cards(only).len(), 2);
        assert_eq!(
            extract(only, LayoutChoice::Auto).layout,
            Some(super::super::Layout::Explicit)
        );
    }
}
