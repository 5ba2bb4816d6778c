//! The question-and-answer layouts deckforge reads, one extractor per layout, and the detector
//! that picks the layout a document is written in.
//!
//! Every extractor consumes the same pulldown-cmark event stream in a single pass. Extractors
//! only record byte ranges (where a question is, where its answer starts and ends); the answer
//! text is cut out of the source once the walk is over, minus the clutter found on the way
//! ("Back to Top" links and the like). Memory therefore grows with the cards, not the events.
//!
//! Detection runs every extractor at once and keeps the one that found the most answered,
//! question-like cards; ties go to the more specific layout (an `Answer:` label beats a bare
//! heading). Two more readings are added to the winner's: another layout's questions that lie
//! outside every card of the winner (a document in two styles), and the cards the author marked
//! explicitly (`Question::Answer`), which every document may hold. None of this parses the
//! document again.

mod answer_label;
mod bold_paragraph;
mod chunks;
mod clutter;
mod comments;
mod continued;
mod definitions;
mod details;
mod explicit;
mod headings;
mod label_blocks;
mod list_headings;
mod loose;
mod qa;
mod question;
mod quoted;
mod rewrite;
mod table;
mod unanswered;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::markdown::{collapse_whitespace, dedent, parser_options};
use super::{CardDraft, LineIndex};
use clutter::{Clutter, Reveal};
pub(crate) use question::{QuestionParts, clean_question, question_like};

/// A way of writing questions and answers in Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `<!-- front -->` / `<!-- back -->` comments before each side of a card.
    CommentMarkers,
    /// `1. **Question?**` items followed by `- **Answer:** …` bullets.
    AnswerLabel,
    /// `Q: …` / `A: …` lines, also `**Q:**` / `**A:**` and `Question:` / `Answer:`.
    QA,
    /// Ordered list items whose first block is a heading: `1.  ### Question?`.
    ListHeadings,
    /// `<details><summary>Question</summary> answer </details>` blocks.
    Details,
    /// A question paragraph or one-item list, then its answer in a block quote.
    QuotedAnswer,
    /// `**Question**` / `##### Question 1:` label blocks, the question, then an `**Answer**`
    /// label block and the answer.
    LabelBlocks,
    /// Table rows under a `| Question | Answer |` header.
    Table,
    /// Definition lists: a term, then `:   definition`.
    Definitions,
    /// A paragraph that is entirely bold is the question; the answer runs to the next one.
    BoldParagraph,
    /// Headings are the questions (`#### 1) Question`, `### Question?`).
    Headings,
    /// Only the cards marked explicitly: `Question::Answer`, `?` / `??` lines (these are read
    /// in every layout).
    Explicit,
}

impl Layout {
    /// Every layout, in the order ties are broken (most specific first).
    /// The last one is [`Layout::Explicit`], whose cards every layout reads.
    pub const ALL: [Layout; 12] = [
        Layout::CommentMarkers,
        Layout::AnswerLabel,
        Layout::QA,
        Layout::ListHeadings,
        Layout::Details,
        Layout::QuotedAnswer,
        Layout::LabelBlocks,
        Layout::Table,
        Layout::Definitions,
        Layout::BoldParagraph,
        Layout::Headings,
        Layout::Explicit,
    ];

    /// The name used by `--layout`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::CommentMarkers => "comment-markers",
            Layout::AnswerLabel => "answer-label",
            Layout::QA => "q-a",
            Layout::ListHeadings => "list-headings",
            Layout::Details => "details",
            Layout::QuotedAnswer => "quoted-answer",
            Layout::LabelBlocks => "label-blocks",
            Layout::Table => "table",
            Layout::Definitions => "definitions",
            Layout::BoldParagraph => "bold-paragraph",
            Layout::Headings => "headings",
            Layout::Explicit => "explicit",
        }
    }

    /// One line describing the layout, for help texts and error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::CommentMarkers => "`<!-- front -->` and `<!-- back -->` comments",
            Layout::AnswerLabel => "numbered bold questions followed by `Answer:` bullets",
            Layout::QA => "`Q:` and `A:` lines",
            Layout::ListHeadings => "numbered list items holding a question heading",
            Layout::Details => "`<details><summary>Question</summary>` blocks",
            Layout::QuotedAnswer => "a question, then its answer in a `>` block quote",
            Layout::LabelBlocks => "`**Question**` and `**Answer**` label blocks",
            Layout::Table => "tables with Question and Answer columns",
            Layout::Definitions => "definition lists (a term, then `:   definition`)",
            Layout::BoldParagraph => "bold paragraphs as questions",
            Layout::Headings => "question headings (numbered or ending with `?`)",
            Layout::Explicit => "`Question::Answer` lines and `?` separator lines",
        }
    }

    fn extractor(self, question_level: Option<usize>) -> Box<dyn Extractor> {
        match self {
            Layout::CommentMarkers => Box::new(comments::Comments::default()),
            Layout::AnswerLabel => Box::new(answer_label::AnswerLabel::default()),
            Layout::QA => Box::new(qa::QuestionAnswer::default()),
            Layout::ListHeadings => Box::new(list_headings::ListHeadings::default()),
            Layout::Details => Box::new(details::Details::default()),
            Layout::QuotedAnswer => Box::new(quoted::QuotedAnswer::default()),
            Layout::LabelBlocks => Box::new(label_blocks::LabelBlocks::default()),
            Layout::Table => Box::new(table::Table::default()),
            Layout::Definitions => Box::new(definitions::Definitions::default()),
            Layout::BoldParagraph => Box::new(bold_paragraph::BoldParagraph::default()),
            Layout::Headings => Box::new(headings::Headings::pinned(question_level)),
            Layout::Explicit => Box::new(explicit::Explicit::default()),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which layout to read a document with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayoutChoice {
    /// Detect it per document.
    #[default]
    Auto,
    Fixed(Layout),
}

impl FromStr for LayoutChoice {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        if name == "auto" {
            return Ok(LayoutChoice::Auto);
        }
        Layout::ALL
            .into_iter()
            .find(|layout| layout.name() == name)
            .map(LayoutChoice::Fixed)
            .ok_or_else(|| {
                let names: Vec<_> = Layout::ALL.iter().map(|l| l.name()).collect();
                format!(
                    "unknown layout `{name}`; expected auto, {}",
                    names.join(", ")
                )
            })
    }
}

/// What extraction found in one document.
#[derive(Debug, Default)]
pub(crate) struct Extracted {
    /// The layout the cards were read with (`None` when nothing was found).
    pub layout: Option<Layout>,
    pub cards: Vec<CardDraft>,
    /// The text of a level-1 heading seen before the first question, used as a fallback deck name.
    pub title_heading: Option<String>,
    /// Questions that had nothing after them, as (line, column, question).
    pub unanswered: Vec<(usize, usize, String)>,
    /// Questions whose answer is a placeholder such as `Answer here`, as (line, column, question,
    /// placeholder).
    pub placeholders: Vec<(usize, usize, String, String)>,
    /// (line, column, number) of every numbered question, answered or not, in document order.
    pub numbers: Vec<(usize, usize, u32)>,
    /// Questions another layout would read that are left out: (line, column, question, layout).
    pub second_style: Vec<(usize, usize, String, Layout)>,
    /// Lines that read as questions but became no card of their own: (line, column, question,
    /// why), such as a question heading inside another question's answer.
    pub dropped: Vec<(usize, usize, String, &'static str)>,
    /// Runs of question-like list items outside every card: (line, column, the first item,
    /// how many items).
    pub unanswered_items: Vec<(usize, usize, String, usize)>,
    /// Where every question read (a card or not) and its answer lie, sorted.
    spans: Vec<Range<usize>>,
    /// A top-level code fence that is never closed, so it swallows the rest of the document:
    /// (its line, how many question-like lines it swallows).
    pub unclosed_fence: Option<(usize, usize)>,
}

/// Extracts the questions of `text` (the whole file, front matter included).
#[cfg(test)]
pub(crate) fn extract(text: &str, choice: LayoutChoice) -> Extracted {
    extract_in(text, choice, None, true)
}

/// [`extract`] with the level of the headings that are questions fixed by the author (in the
/// `headings` layout every heading with content at that level is a question).
pub(crate) fn extract_pinned(
    text: &str,
    choice: LayoutChoice,
    question_level: Option<usize>,
) -> Extracted {
    extract_in(text, choice, question_level, true)
}

/// [`extract`] with the document parsed in one piece, to check that cutting changes nothing.
#[cfg(test)]
pub(crate) fn extract_whole(text: &str, choice: LayoutChoice) -> Extracted {
    extract_in(text, choice, None, false)
}

fn extract_in(
    text: &str,
    choice: LayoutChoice,
    question_level: Option<usize>,
    in_chunks: bool,
) -> Extracted {
    // The parser starts after the front matter, so it never sees the `---` fences while every
    // offset and line number stays that of the file.
    let body = front_matter_len(text);
    let rewritten = rewrite::rewrite(text, body);
    let src: &str = &rewritten;
    // Explicit cards are read in every document, so their extractor always runs (last).
    let layouts: Vec<Layout> = match choice {
        LayoutChoice::Auto => Layout::ALL.to_vec(),
        LayoutChoice::Fixed(Layout::Explicit) => vec![Layout::Explicit],
        LayoutChoice::Fixed(layout) => vec![layout, Layout::Explicit],
    };
    let mut extractors: Vec<Box<dyn Extractor>> = layouts
        .iter()
        .map(|l| l.extractor(question_level))
        .collect();
    let mut walk = Walk::new(src);
    let mut clutter = Clutter::default();
    let ends = if in_chunks {
        chunks::chunk_ends(src)
    } else {
        vec![src.len()]
    };
    let mut unclosed_fence = None;
    let mut feed = |start: usize, parser: Parser<'_>| {
        for (event, range) in parser.into_offset_iter() {
            let range = range.start + start..range.end + start;
            if let Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(_))) = &event {
                if walk.top_level() && unclosed(&src[range.clone()]) {
                    unclosed_fence = Some(range.start);
                }
            }
            let heading = walk.enter(&event, &range);
            clutter.event(src, &event, &range);
            for extractor in extractors.iter_mut() {
                extractor.event(&walk, &event, &range);
                if let Some(heading) = &heading {
                    extractor.heading(&walk, heading);
                }
            }
            walk.leave(&event);
        }
    };
    let starts = std::iter::once(body).chain(ends.iter().copied());
    let pieces: Vec<(usize, usize)> = starts.zip(ends.iter().copied()).collect();
    if pieces.len() == 1 {
        feed(body, Parser::new_ext(&src[body..], parser_options()));
    } else {
        // A parser reads its whole piece into a tree before the first event; building the next
        // piece's tree on another core while this one walks the events halves reading time.
        std::thread::scope(|scope| {
            let (ready, parsed) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for (start, end) in pieces {
                    let parser = Parser::new_ext(&src[start..end], parser_options());
                    // The walker only stops early by panicking, which the scope reports.
                    if ready.send((start, parser)).is_err() {
                        return;
                    }
                }
            });
            for (start, parser) in parsed {
                feed(start, parser);
            }
        });
    }
    let (clutter, reveals) = clutter.finish();
    let read = Read {
        walk,
        clutter,
        reveals,
        unclosed_fence,
    };
    read.extracted(src, body, layouts, extractors)
}

/// What the walk over a document's events left: its state, the clutter, and where an unclosed
/// top-level fence starts.
struct Read<'a> {
    walk: Walk<'a>,
    clutter: Vec<Range<usize>>,
    reveals: Vec<Reveal>,
    unclosed_fence: Option<usize>,
}

impl Read<'_> {
    /// The cards of the layout that explains the document best, with the warnings of reading.
    fn extracted(
        self,
        src: &str,
        body: usize,
        layouts: Vec<Layout>,
        extractors: Vec<Box<dyn Extractor>>,
    ) -> Extracted {
        let Read {
            walk,
            clutter,
            reveals,
            unclosed_fence,
        } = self;
        let swallowed = unclosed_fence.map(|at| {
            let (line, _) = LineIndex::new(src).line_col(at);
            let questions = src[at..]
                .lines()
                .skip(1)
                .filter(|l| looks_like_a_question_line(l))
                .count();
            (line, questions)
        });
        let mut extracted = read_layouts(src, layouts, extractors, &walk, &clutter, &reveals);
        extracted.unclosed_fence = swallowed.filter(|(_, questions)| *questions > 0);
        extracted.spans.sort_by_key(|s| s.start);
        let mut lines = LineIndex::new(src);
        for (at, first, count) in unanswered::runs(src, body, &extracted.spans) {
            let (line, column) = lines.line_col(at);
            extracted
                .unanswered_items
                .push((line, column, first, count));
        }
        extracted
    }
}

/// Whether a fenced code block's source lacks its closing fence (it then runs to the end).
fn unclosed(block: &str) -> bool {
    let first = block.trim_start();
    let marker = first.as_bytes().first().copied().unwrap_or(b'`');
    let count = first.bytes().take_while(|&b| b == marker).count();
    let body = block.trim_end();
    let Some((_, last)) = body.rsplit_once('\n') else {
        return true;
    };
    let last = last.trim();
    !(last.bytes().take_while(|&b| b == marker).count() >= count
        && last.bytes().all(|b| b == marker))
}

/// A line that reads as a question in some layout: a heading, a `Q:` label, a bold or
/// numbered line ending with `?`.
fn looks_like_a_question_line(line: &str) -> bool {
    let line = line.trim();
    line.starts_with('#') && line.trim_start_matches('#').starts_with(' ')
        || line.starts_with("Q:")
        || line.starts_with("**Q")
        || (line.starts_with("**") || line.starts_with(|c: char| c.is_ascii_digit()))
            && question::ends_with_question_mark(line)
}

/// Picks the layout that explains the document best among what every extractor found, and adds
/// the explicit cards.
fn read_layouts(
    src: &str,
    layouts: Vec<Layout>,
    extractors: Vec<Box<dyn Extractor>>,
    walk: &Walk<'_>,
    clutter: &[Range<usize>],
    reveals: &[Reveal],
) -> Extracted {
    let mut founds: Vec<(Layout, Found)> = layouts
        .into_iter()
        .zip(extractors)
        .map(|(layout, extractor)| (layout, extractor.finish(walk)))
        .collect();
    let mut explicit = founds.pop().map(|(_, found)| found).unwrap_or_default();
    let loose = std::mem::take(&mut explicit.loose);
    if founds.is_empty() {
        let mut extracted = materialise(src, Layout::Explicit, &explicit, clutter, reveals);
        loose::place(src, loose, &[], &mut extracted);
        if extracted.cards.is_empty() && extracted.unanswered.is_empty() {
            extracted.layout = None;
        }
        return extracted;
    }
    // The explicit cards' lines are no part of any other card's answer.
    let explicit_lines = explicit
        .cards
        .iter()
        .map(|card| clutter::whole_lines(src, &(card.at..card.answer.end)));
    let mut layout_clutter: Vec<Range<usize>> =
        clutter.iter().cloned().chain(explicit_lines).collect();
    layout_clutter.sort_by_key(|r| r.start);
    let mut best: Option<(usize, usize, Extracted, usize)> = None;
    for (index, (layout, found)) in founds.iter().enumerate() {
        // Every card found counts at most once as plausible and once as answered: a layout
        // that found no more cards than the best one counts cannot beat it, so its answers
        // are never cut out (on a large document, that is most of reading's memory).
        let most = found.cards.len();
        if best
            .as_ref()
            .is_some_and(|(p, a, _, _)| (most, most) <= (*p, *a))
        {
            continue;
        }
        let extracted = materialise(src, *layout, found, &layout_clutter, reveals);
        let answered = extracted.cards.len();
        let plausible = plausible(*layout, &extracted);
        // Strictly greater: on ties the earlier, more specific layout stays.
        if best
            .as_ref()
            .is_none_or(|(p, a, _, _)| (plausible, answered) > (*p, *a))
        {
            best = Some((plausible, answered, extracted, index));
        }
    }
    if let Some((_, _, extracted, index)) = &mut best {
        second_styles(src, &founds, *index, extracted, &layout_clutter, reveals);
    }
    let mut extracted = best.map(|(_, _, e, _)| e).unwrap_or_default();
    let layout_spans = extracted.spans.clone();
    if !explicit.cards.is_empty() {
        let marked = materialise(src, Layout::Explicit, &explicit, clutter, reveals);
        if extracted.cards.is_empty() && extracted.unanswered.is_empty() {
            extracted.layout = marked.layout;
            extracted.title_heading = extracted
                .title_heading
                .take()
                .or(marked.title_heading.clone());
        }
        extracted.merge(marked);
    }
    let nothing_else = extracted.cards.is_empty() && extracted.unanswered.is_empty();
    loose::place(src, loose, &layout_spans, &mut extracted);
    if extracted.cards.is_empty() && extracted.unanswered.is_empty() {
        extracted.layout = None;
    } else if nothing_else {
        // Only clozes standing alone: explicit cards.
        extracted.layout = Some(Layout::Explicit);
    }
    extracted
}

/// How many of a reading's questions read as questions (placeholders included).
fn plausible(layout: Layout, extracted: &Extracted) -> usize {
    extracted
        .cards
        .iter()
        // A `**Question**` label or a `<!-- front -->` marker vouches for the question
        // whatever its wording.
        .filter(|c| {
            matches!(layout, Layout::LabelBlocks | Layout::CommentMarkers)
                || question_like(&c.question, c.number.is_some())
        })
        .count()
        + extracted.placeholders.len()
}

/// A document written in two styles (numbered bold questions, then `Q:`/`A:` lines added
/// later): another layout's questions outside every card of the chosen one are read too when
/// there are at least two of them; a lone one is more likely a stray, and is left out with a
/// warning instead.
fn second_styles(
    src: &str,
    founds: &[(Layout, Found)],
    chosen: usize,
    extracted: &mut Extracted,
    clutter: &[Range<usize>],
    reveals: &[Reveal],
) {
    let mut spans: Vec<Range<usize>> = founds[chosen]
        .1
        .cards
        .iter()
        .map(|c| c.at..c.answer.end.max(c.at + 1))
        .collect();
    spans.sort_by_key(|s| s.start);
    for (index, (layout, found)) in founds.iter().enumerate() {
        if index == chosen || found.cards.is_empty() {
            continue;
        }
        let outside: Vec<RawCard> = found
            .cards
            .iter()
            .filter(|c| question_like(&c.question.text, c.question.number.is_some()))
            .filter(|c| !overlaps(&spans, &(c.at..c.answer.end.max(c.at + 1))))
            .cloned()
            .collect();
        if outside.is_empty() {
            continue;
        }
        if outside.len() == 1 {
            let mut lines = LineIndex::new(src);
            let card = &outside[0];
            let (line, column) = lines.line_col(card.at);
            extracted
                .second_style
                .push((line, column, card.question.text.clone(), *layout));
            continue;
        }
        spans.extend(outside.iter().map(|c| c.at..c.answer.end.max(c.at + 1)));
        spans.sort_by_key(|s| s.start);
        let more = materialise(
            src,
            *layout,
            &Found {
                cards: outside,
                title: None,
                cuts: found.cuts.clone(),
                ..Found::default()
            },
            clutter,
            reveals,
        );
        extracted.merge(more);
    }
}

/// Whether `range` overlaps one of the sorted, disjoint `spans`.
fn overlaps(spans: &[Range<usize>], range: &Range<usize>) -> bool {
    let after = spans.partition_point(|s| s.start < range.end);
    after > 0 && spans[after - 1].end > range.start
}

impl Extracted {
    /// Adds another reading's cards, keeping document order.
    fn merge(&mut self, other: Extracted) {
        self.cards.extend(other.cards);
        self.cards.sort_by_key(|c| (c.line, c.column));
        self.unanswered.extend(other.unanswered);
        self.placeholders.extend(other.placeholders);
        self.numbers.extend(other.numbers);
        self.numbers.sort_unstable();
        self.second_style.extend(other.second_style);
        self.dropped.extend(other.dropped);
        self.spans.extend(other.spans);
    }
}

/// The length in bytes of `text`'s front matter block, `---` fences included (0 without one).
fn front_matter_len(text: &str) -> usize {
    let lines = super::frontmatter::parse(text).line_count;
    text.split_inclusive('\n')
        .take(lines)
        .map(str::len)
        .sum::<usize>()
}

/// A question whose answer is known by its byte range in the source.
#[derive(Debug, Clone)]
pub(crate) struct RawCard {
    pub question: QuestionParts,
    /// Where the question starts (for its line and column).
    pub at: usize,
    pub section: Arc<[String]>,
    pub answer: Range<usize>,
    /// Columns of indentation to strip from the answer's lines after the first.
    pub dedent: usize,
}

/// What one extractor recorded.
#[derive(Debug, Default, Clone)]
pub(crate) struct Found {
    pub cards: Vec<RawCard>,
    pub title: Option<String>,
    /// Markup inside answers that is not content (a later definition's `:` marker), sorted.
    pub cuts: Vec<Range<usize>>,
    /// Question-like lines that became no card: (where, question, why).
    pub dropped: Vec<(usize, String, &'static str)>,
    /// Paragraphs holding a cloze outside every explicit card, placed once the layout is known.
    pub loose: Vec<loose::Loose>,
}

/// One layout's reader: fed every event, then asked for its cards.
pub(crate) trait Extractor {
    /// Called for every event, after [`Walk`] has entered it (a start tag is already on the
    /// container stack; an end tag is still on it).
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>);
    /// Called once a heading has been read completely.
    fn heading(&mut self, walk: &Walk<'_>, heading: &Heading);
    /// The cards found; `walk` is at the end of the document.
    fn finish(self: Box<Self>, walk: &Walk<'_>) -> Found;
}

/// A block container the walk is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    List { ordered: bool },
    Item { start: usize, blocks: usize },
    Quote,
}

/// A heading, read completely.
#[derive(Debug, Clone)]
pub(crate) struct Heading {
    pub level: usize,
    /// The whole heading, marker and line end included.
    pub range: Range<usize>,
    /// Its inline Markdown (without `#` markers).
    pub inner: Range<usize>,
    /// Its plain text, whitespace collapsed.
    pub text: String,
    /// Outside every list and block quote.
    pub top_level: bool,
    /// The start of the list item it opens, when it is an item's first block.
    pub item_start: Option<usize>,
}

/// Shared walk state: which containers are open, and the heading being read.
pub(crate) struct Walk<'a> {
    pub src: &'a str,
    pub containers: Vec<Container>,
    heading: Option<(Heading, bool)>,
}

impl<'a> Walk<'a> {
    fn new(src: &'a str) -> Self {
        Walk {
            src,
            containers: Vec::new(),
            heading: None,
        }
    }

    /// Outside every list and block quote.
    pub(crate) fn top_level(&self) -> bool {
        self.containers.is_empty()
    }

    /// Whether `event` happens outside every list and block quote (a container's own start and
    /// end tags count as outside it).
    pub(crate) fn event_top_level(&self, event: &Event<'_>) -> bool {
        let own = matches!(
            event,
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_))
                | Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition)
        );
        self.containers.len() <= usize::from(own)
    }

    /// Updates the container stack for a start event; returns a heading when one was completed.
    fn enter(&mut self, event: &Event<'_>, range: &Range<usize>) -> Option<Heading> {
        let block_start = matches!(
            event,
            Event::Start(
                Tag::Paragraph
                    | Tag::Heading { .. }
                    | Tag::CodeBlock(_)
                    | Tag::HtmlBlock
                    | Tag::Table(_)
                    | Tag::List(_)
                    | Tag::BlockQuote(_)
            ) | Event::Rule
        );
        // Tight list items hold their text without a paragraph.
        let tight_text = matches!(
            event,
            Event::Text(_)
                | Event::Code(_)
                | Event::Start(Tag::Strong | Tag::Emphasis | Tag::Link { .. })
        ) && self.heading.is_none();
        let mut first_in_item = None;
        if let Some(Container::Item { start, blocks }) = self.containers.last_mut() {
            if block_start || (tight_text && *blocks == 0) {
                if *blocks == 0 {
                    first_in_item = Some(*start);
                }
                *blocks += 1;
            }
        }
        match event {
            Event::Start(Tag::List(start)) => self.containers.push(Container::List {
                ordered: start.is_some(),
            }),
            Event::Start(Tag::Item) => self.containers.push(Container::Item {
                start: range.start,
                blocks: 0,
            }),
            Event::Start(Tag::BlockQuote(_)) | Event::Start(Tag::FootnoteDefinition(_)) => {
                self.containers.push(Container::Quote)
            }
            Event::Start(Tag::Heading { level, .. }) => {
                let in_ordered_item = matches!(
                    self.containers.iter().rev().nth(1),
                    Some(Container::List { .. })
                );
                let item_start = first_in_item.filter(|_| in_ordered_item);
                self.heading = Some((
                    Heading {
                        level: *level as usize,
                        range: range.clone(),
                        inner: range.end..range.start,
                        text: String::new(),
                        top_level: self.containers.is_empty(),
                        item_start,
                    },
                    false,
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                let (mut heading, _) = self.heading.take()?;
                if heading.inner.start > heading.inner.end {
                    heading.inner = heading.range.start..heading.range.start;
                }
                heading.text = collapse_whitespace(&heading.text);
                return Some(heading);
            }
            _ => {
                if let Some((heading, _)) = &mut self.heading {
                    heading.inner.start = heading.inner.start.min(range.start);
                    heading.inner.end = heading.inner.end.max(range.end);
                    if let Event::Text(text) | Event::Code(text) | Event::InlineMath(text) = event {
                        heading.text.push_str(text);
                    }
                }
            }
        }
        None
    }

    fn leave(&mut self, event: &Event<'_>) {
        if let Event::End(
            TagEnd::List(_) | TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition,
        ) = event
        {
            self.containers.pop();
        }
    }
}

/// The headings above the questions, and the document title.
#[derive(Debug, Default)]
pub(crate) struct Sections {
    stack: Vec<(usize, String)>,
    /// The current path, shared by every card under it until a heading changes it: a large
    /// deck has many cards per section, and a copy per card was a tenth of its drafts' memory.
    shared: Option<Arc<[String]>>,
    pub title: Option<String>,
    pub seen_question: bool,
}

impl Sections {
    /// Records a heading that is not a question.
    pub fn heading(&mut self, level: usize, text: &str) {
        if level == 1 && !self.seen_question && self.title.is_none() {
            self.title = Some(text.to_string());
            return;
        }
        self.pop_to(level);
        if !text.is_empty() {
            self.stack.push((level, text.to_string()));
            self.shared = None;
        }
    }

    /// Closes the sections at `level` and below (a question heading at that level ends them).
    pub(crate) fn pop_to(&mut self, level: usize) {
        while self.stack.last().is_some_and(|(l, _)| *l >= level) {
            self.stack.pop();
            self.shared = None;
        }
    }

    pub fn path(&mut self) -> Arc<[String]> {
        let stack = &self.stack;
        self.shared
            .get_or_insert_with(|| stack.iter().map(|(_, text)| text.clone()).collect())
            .clone()
    }
}

/// Cards being delimited: at most one is open, its answer end still unknown.
#[derive(Debug, Default)]
pub(crate) struct Cards {
    pub open: Option<RawCard>,
    pub done: Vec<RawCard>,
}

impl Cards {
    pub fn open(&mut self, card: RawCard) {
        self.close(card.at);
        self.open = Some(card);
    }

    /// Ends the open card's answer at `end`.
    pub fn close(&mut self, end: usize) {
        if let Some(mut card) = self.open.take() {
            card.answer.end = end.max(card.answer.start);
            self.done.push(card);
        }
    }

    pub fn finish(mut self, end: usize, title: Option<String>) -> Found {
        self.close(end);
        Found {
            cards: self.done,
            title,
            ..Found::default()
        }
    }
}

/// The offset of the line break ending the line that holds `pos` (or that `pos` starts right
/// after), so an answer slice starts with an empty first line and every content line is dedented.
pub(crate) fn line_end(src: &str, pos: usize) -> usize {
    let pos = pos.min(src.len());
    if pos > 0 && src.as_bytes()[pos - 1] == b'\n' {
        return pos - 1;
    }
    src[pos..].find('\n').map_or(src.len(), |i| pos + i)
}

/// The visual column (tabs to multiples of 4) of byte `offset` within its line.
pub(crate) fn visual_column(src: &str, offset: usize) -> usize {
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    src[line_start..offset].chars().fold(0, |col, c| {
        if c == '\t' {
            col + 4 - col % 4
        } else {
            col + 1
        }
    })
}

/// The Markdown between a bold span's delimiters.
pub(crate) fn strong_inner<'s>(src: &'s str, strong: &Range<usize>) -> &'s str {
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

/// The number a list item or heading starts with (`12.`, `12)`).
pub(crate) fn leading_number(item: &str) -> Option<u32> {
    let trimmed = item.trim_start();
    let end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    trimmed[..end].parse().ok()
}

/// Placeholder answers authors leave while a document is being written.
/// Longer answers are never placeholders, however they are decorated.
const PLACEHOLDER_MAX_BYTES: usize = 64;

const PLACEHOLDERS: [&str; 12] = [
    "answer here",
    "your answer here",
    "add answer here",
    "add answer",
    "todo",
    "to do",
    "tbd",
    "tba",
    "coming soon",
    "wip",
    "...",
    "…",
];

/// The placeholder an answer consists of, if it is one.
pub fn placeholder(answer: &str) -> Option<&'static str> {
    // Every placeholder is a few words; real answers are longer, and this runs on each one.
    if answer.len() > PLACEHOLDER_MAX_BYTES {
        return None;
    }
    let text: String = answer
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`' | '[' | ']' | '(' | ')' | '<' | '>'))
        .collect();
    let text = collapse_whitespace(&text).to_lowercase();
    let text = text.trim_end_matches(['.', '!', ':']).trim();
    let text = if text.is_empty() && answer.contains("...") {
        "..."
    } else {
        text
    };
    PLACEHOLDERS.into_iter().find(|p| *p == text)
}

/// Cuts every card's answer out of the source and sorts cards into answered, unanswered and
/// placeholder ones. The found cards are only borrowed: each is copied as it is cut, so the
/// winner's cards are never held twice (on a large document, a fifth of reading's memory).
fn materialise(
    src: &str,
    layout: Layout,
    found: &Found,
    clutter: &[Range<usize>],
    reveals: &[Reveal],
) -> Extracted {
    let clutter = with_cuts(clutter, &found.cuts);
    let clutter = clutter.as_ref();
    let mut lines = LineIndex::new(src);
    let mut out = Extracted {
        layout: Some(layout),
        title_heading: found.title.clone(),
        cards: Vec::with_capacity(found.cards.len()),
        ..Extracted::default()
    };
    let mut dropped = found.dropped.clone();
    dropped.sort_by_key(|d| d.0);
    let mut dropped = dropped.into_iter().peekable();
    let cards = found
        .cards
        .iter()
        .flat_map(|card| continued::split(src, card.clone()));
    for card in cards {
        out.spans.push(card.at..card.answer.end.max(card.at + 1));
        while let Some((at, question, why)) = dropped.next_if(|d| d.0 < card.at) {
            let (line, column) = lines.line_col(at);
            out.dropped.push((line, column, question, why));
        }
        let (line, column) = lines.line_col(card.at);
        if let Some(number) = card.question.number {
            out.numbers.push((line, column, number));
        }
        let answer = match opening_reveal(src, &card.answer, clutter, reveals) {
            Some(unwrapped) => answer_text(src, &card.answer, card.dedent, &unwrapped),
            None => answer_text(src, &card.answer, card.dedent, clutter),
        };
        let labelled = labelled_heading(src, card.at);
        sort_card(&mut out, layout, card, (line, column), (answer, labelled));
    }
    for (at, question, why) in dropped {
        let (line, column) = lines.line_col(at);
        out.dropped.push((line, column, question, why));
    }
    out
}

/// Files one card, its answer cut out, as a card, an unanswered question, a placeholder or a
/// question left out.
fn sort_card(
    out: &mut Extracted,
    layout: Layout,
    card: RawCard,
    (line, column): (usize, usize),
    (answer, labelled): (String, bool),
) {
    let QuestionParts {
        text: question,
        number,
        source_link,
        tags,
        reversed,
    } = card.question;
    let (question, answer) = without_answer_label(layout, question, answer, labelled);
    match left_out(&question, number.is_some(), &answer) {
        Some(LeftOut::Unanswered) => out.unanswered.push((line, column, question)),
        Some(LeftOut::LinksOnly) => out.dropped.push((
            line,
            column,
            question,
            "left out, its answer being only a list of links",
        )),
        Some(LeftOut::Placeholder(text)) => {
            out.placeholders
                .push((line, column, question, text.to_string()))
        }
        None => out.cards.push(CardDraft {
            question,
            answer,
            section: card.section,
            number,
            line,
            column,
            explicit_id: None,
            source_link,
            tags,
            kind: kind_of(reversed),
        }),
    }
}

/// Why a question the layout found makes no card.
enum LeftOut {
    Unanswered,
    LinksOnly,
    Placeholder(&'static str),
}

/// Whether a question (`numbered` or not) and its answer make no card, and why.
fn left_out(question: &str, numbered: bool, answer: &str) -> Option<LeftOut> {
    if answer.is_empty() || blank_html(answer) {
        return Some(LeftOut::Unanswered);
    }
    // "Other answers" then a list of links: a pointer elsewhere, not a question (a numbered
    // question answered by one `[Answer](url)` link is one).
    if !numbered && !question::ends_with_question_mark(question) && links_only(answer) {
        return Some(LeftOut::LinksOnly);
    }
    // `#TODO TODO`: a template left for a question not written yet.
    let template = question
        .split(|c: char| c.is_whitespace() || c == '#')
        .filter(|w| !w.is_empty())
        .try_fold(None, |_, w| placeholder(w).map(Some))
        .flatten();
    template
        .or_else(|| placeholder(answer))
        .map(LeftOut::Placeholder)
}

/// The clutter with a layout's own cuts added, sorted.
fn with_cuts<'c>(clutter: &'c [Range<usize>], cuts: &[Range<usize>]) -> Cow<'c, [Range<usize>]> {
    if cuts.is_empty() {
        return Cow::Borrowed(clutter);
    }
    let mut all: Vec<Range<usize>> = clutter.iter().chain(cuts).cloned().collect();
    all.sort_by_key(|r| r.start);
    Cow::Owned(all)
}

/// A card's kind: reversed when its question asked for a reverse card.
fn kind_of(reversed: bool) -> crate::model::NoteKind {
    if reversed {
        crate::model::NoteKind::Reversed
    } else {
        crate::model::NoteKind::Basic
    }
}

/// Words that label the task of a topic heading's exercise (`**Задача:** Напишите …`).
const TASK_LABELS: [&str; 5] = ["задача", "task", "aufgabe", "tarea", "esercizio"];

/// `### 1. Throttle` then `**Задача:** Напишите …` and the solution: the heading names a topic,
/// the labelled first paragraph is what is asked and the rest answers it. An answer label
/// right after it was already split off by [`split_at_answer_label`].
fn labelled_task_first(question: String, answer: String) -> (String, String) {
    let (first, rest) = answer.split_once("\n\n").unwrap_or((answer.as_str(), ""));
    let first = first.trim();
    let inner = first.trim_start_matches(['*', '_']);
    let word = TASK_LABELS.into_iter().find(|w| {
        inner
            .get(..w.len())
            .is_some_and(|head| head.to_lowercase() == *w)
    });
    let length = match word {
        Some(word) => {
            let after = &inner[word.len()..];
            let after = after.trim_start_matches(['*', '_']);
            let Some(text) = after.strip_prefix(':') else {
                return (question, answer);
            };
            let text = text.trim_start_matches(['*', '_']);
            (first.len() - text.len()).min(first.len())
        }
        None => match qa::question_label_len(first) {
            Some(length) => length,
            None => return (question, answer),
        },
    };
    let asked = first[length..].trim();
    if asked.is_empty() || rest.trim().is_empty() {
        return (question, answer);
    }
    (asked.to_string(), rest.trim().to_string())
}

/// A quiz question's options, a thematic break, then the key alone (`- A: …` … `---` then
/// `D`): the options and the key, as they split `text` (an answer read from its start).
fn options_then_key_split(text: &str) -> Option<(&str, String)> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let rule = trimmed.len() >= 3
            && ['-', '*', '_']
                .iter()
                .any(|&c| trimmed.chars().filter(|&x| x != ' ').all(|x| x == c));
        if rule {
            let options = text[..at].trim();
            let lines: Vec<&str> = options.lines().filter(|l| !l.trim().is_empty()).collect();
            let listed = lines.len() >= 2 && lines.iter().all(|l| l.starts_with(['-', '*', '+']));
            let key = text[at + line.len()..]
                .lines()
                .find(|l| !l.trim().is_empty())?;
            let key = key.trim();
            let short = key.chars().count() <= 3 && key.starts_with(|c: char| c.is_alphanumeric());
            return (listed && short).then(|| (options, key.to_string()));
        }
        at += line.len();
    }
    None
}

/// Whether an open card's answer so far is a quiz's options and a rule, with the key alone
/// on the line after it: the rule is no card boundary then.
pub(crate) fn options_then_key(text: &str) -> bool {
    options_then_key_split(text).is_some()
}

/// Whether `line` is a heading that only says "answer" (`### Answer:`, `## Ответ`).
fn answer_label_heading(line: &str) -> bool {
    let text = line.trim_start_matches('#');
    if text.len() == line.len() || !text.starts_with(' ') {
        return false;
    }
    let text = text.trim();
    qa::answer_label_len(text).is_some_and(|length| text[length..].trim().is_empty())
        || qa::answer_label_len(&format!("{text}:")).is_some_and(|l| l == text.len() + 1)
}

/// Whether the line at `at` is a heading whose question carries a label (`### P: ¿…?`).
fn labelled_heading(src: &str, at: usize) -> bool {
    let line = src.get(at..).unwrap_or_default();
    let line = line.split('\n').next().unwrap_or_default();
    let text = line.trim_start_matches('#');
    text.len() < line.len() && question::has_question_label(text.trim_start())
}

/// The question and answer with an answer label that opens the answer taken out of it.
fn without_answer_label(
    layout: Layout,
    question: String,
    answer: String,
    question_labelled: bool,
) -> (String, String) {
    // `### Q1: Question?` then `**A:** answer`: the label is no part of the answer.
    let (question, answer) = match layout {
        Layout::Headings | Layout::BoldParagraph | Layout::ListHeadings => {
            split_at_answer_label(question, answer)
        }
        _ => (question, answer),
    };
    let (question, answer) = match layout {
        Layout::Headings => match options_then_key_split(&answer) {
            Some((options, key)) => (format!("{question}\n\n{options}"), key),
            None => labelled_task_first(question, answer),
        },
        _ => (question, answer),
    };
    // A label whose bold runs on over the answer (`**Réponse : 1**.`) stays: cutting it
    // would leave the answer's bold unbalanced.
    let labelled = matches!(layout, Layout::Headings) && question_labelled;
    let length = qa::answer_label_len(&answer).or_else(|| {
        labelled
            .then(|| qa::bold_answer_label_len(&answer))
            .flatten()
    });
    let answer = match length {
        Some(length) if layout != Layout::QA && balanced(&answer[..length]) => {
            answer[length..].trim_start().to_string()
        }
        _ => answer,
    };
    (question, answer)
}

/// Whether an answer is a list of links and nothing else: two lines or more, each one link
/// (a bare URL, `<url>` or `[text](url)`, bulleted or not).
fn links_only(answer: &str) -> bool {
    let mut lines = answer.lines().map(str::trim).filter(|l| !l.is_empty());
    lines.clone().nth(1).is_some()
        && lines.all(|line| {
            let line = line
                .strip_prefix(['-', '*', '+'])
                .map_or(line, str::trim_start);
            let line = line.trim_end_matches(['.', ',', ';']);
            let bare = |l: &str| {
                (l.starts_with("http://") || l.starts_with("https://")) && !l.contains(' ')
            };
            let angled = line
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix('>'))
                .is_some_and(bare);
            let markdown = line.starts_with('[')
                && line.ends_with(')')
                && line
                    .find("](")
                    .is_some_and(|at| !line[at + 2..].contains(['(', ' ']));
            bare(line) || angled || markdown
        })
}

/// Whether an answer is only empty HTML (`<div></div>`, `<br><b></b>`): nothing to show.
/// A question followed by its own material (options, code) and then a paragraph opening with
/// an answer label (`**Answer:** B`, `**Réponse : 1**.`): the material joins the question, and
/// the answer starts at the label.
fn split_at_answer_label(question: String, answer: String) -> (String, String) {
    let mut fenced = false;
    let mut at = 0;
    let mut blank_before = false;
    for line in answer.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced && at > 0 && answer_label_heading(trimmed) {
            // `# 6. What does this log?`, its code, then `### Answer:`: the code is asked about,
            // and the heading only says where the answer starts.
            let before = answer[..at].trim();
            let after = answer[at + line.len()..].trim().to_string();
            if !after.is_empty() {
                return (format!("{question}\n\n{before}"), after);
            }
        } else if !fenced
            && at > 0
            && blank_before
            && !line.starts_with([' ', '\t'])
            && qa::answer_label_after_question(trimmed).is_some()
        {
            let before = answer[..at].trim();
            // `**Problem:** …` under a troubleshooting heading: the label goes, the problem
            // joins the question.
            let before = &before[problem_label_len(before).unwrap_or(0)..];
            let answer = answer[at..].trim().to_string();
            // `### 1. Event Loop` then `**Вопрос:** Объясните …`: the heading names a topic, the
            // labelled paragraph is what is asked.
            if let Some(length) =
                qa::question_label_len(before).filter(|_| !before.contains("\n\n"))
            {
                return (before[length..].trim().to_string(), answer);
            }
            return (format!("{question}\n\n{before}"), answer);
        }
        blank_before = trimmed.is_empty();
        at += line.len();
    }
    (question, answer)
}

/// The length of a problem label opening a paragraph, `**Problem:**` or `**Error:**` (also
/// `Issue`, `Symptom`), trailing spaces included: a troubleshooting entry states what goes wrong
/// before its solution.
pub(crate) fn problem_label_len(paragraph: &str) -> Option<usize> {
    let text = paragraph.trim_start();
    let lead = text.len() - text.trim_start_matches(['*', '_']).len();
    let rest = &text[lead..];
    let word = ["problem", "error", "issue", "symptom"]
        .into_iter()
        .find(|w| {
            rest.get(..w.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(w))
        })?;
    let after = &rest[word.len()..];
    let closing = after.len() - after.trim_start_matches(['*', '_']).len();
    let after_closing = &after[closing..];
    let colon = after_closing.strip_prefix(':')?;
    let (colon, closing_after) = match colon.strip_prefix("**") {
        Some(c) => (c, 2),
        None => (colon, 0),
    };
    let spaces = colon.len() - colon.trim_start().len();
    let opened = &text[..lead];
    (opened.len() == closing + closing_after || closing + closing_after == 0 && lead == 0)
        .then_some(
            paragraph.len() - text.len() + lead + word.len() + closing + 1 + closing_after + spaces,
        )
}

/// Whether `**` and `__` pair up in `text`.
fn balanced(text: &str) -> bool {
    text.matches("**").count() % 2 == 0 && text.matches("__").count() % 2 == 0
}

fn blank_html(answer: &str) -> bool {
    if !answer.starts_with('<') || answer.len() > PLACEHOLDER_MAX_BYTES {
        return false;
    }
    let lower = answer.to_ascii_lowercase();
    if ["<img", "<svg", "<video", "<audio", "<iframe", "<hr", "<!--"]
        .iter()
        .any(|m| lower.contains(m))
    {
        return false;
    }
    let mut in_tag = false;
    answer.chars().all(|c| match c {
        '<' => {
            in_tag = true;
            true
        }
        '>' => {
            in_tag = false;
            true
        }
        _ => in_tag || c.is_whitespace(),
    })
}

/// An answer that opens with a `<details>` block revealing it ("Answer", "Explanation") shows
/// the block's inside: flipping the card already reveals it. Returns the clutter plus that
/// block's wrapper, or `None` when the answer says something before any such block (a "See
/// the deep dive" block after a short answer stays folded).
fn opening_reveal(
    src: &str,
    answer: &Range<usize>,
    clutter: &[Range<usize>],
    reveals: &[Reveal],
) -> Option<Vec<Range<usize>>> {
    // The wrapper's whole lines may start before an answer that starts at its tag.
    let first = reveals.partition_point(|r| r.open.end <= answer.start);
    let reveal = reveals.get(first).filter(|r| r.close.start < answer.end)?;
    let before = answer.start..reveal.open.start.max(answer.start);
    if !answer_text(src, &before, 0, clutter).trim().is_empty() {
        return None;
    }
    let from = clutter.partition_point(|c| c.end <= answer.start);
    let mut cuts: Vec<Range<usize>> = clutter[from..]
        .iter()
        .take_while(|c| c.start < answer.end)
        .cloned()
        .chain([reveal.open.clone(), reveal.close.clone()])
        .collect();
    cuts.sort_by_key(|c| c.start);
    Some(cuts)
}

/// The answer's Markdown: the source range without clutter, dedented and trimmed.
pub(crate) fn answer_text(
    src: &str,
    range: &Range<usize>,
    columns: usize,
    clutter: &[Range<usize>],
) -> String {
    let mut text = String::with_capacity(range.len());
    let mut at = range.start;
    let first = clutter.partition_point(|c| c.end <= range.start);
    for cut in &clutter[first..] {
        if cut.start >= range.end {
            break;
        }
        if cut.start > at {
            text.push_str(&src[at..cut.start]);
        }
        at = at.max(cut.end);
    }
    if at < range.end {
        text.push_str(&src[at..range.end]);
    }
    // An answer that starts on its label's line (`- **Answer:** text`) may continue in sibling
    // blocks that are less indented than the label; dedenting those by the label's column would
    // flatten their nested lists, so the dedent stops at the least indented line.
    // Under a heading, an answer indented deeper than its heading everywhere (a mis-indented
    // list item) loses that common indentation too.
    let labelled = text
        .split('\n')
        .next()
        .is_some_and(|line| !line.trim().is_empty());
    let least = text
        .split('\n')
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| visual_column(line, line.len() - line.trim_start().len()))
        .min();
    let columns = match least {
        Some(least) if labelled => least.min(columns),
        Some(least) => least.max(columns),
        None => columns,
    };
    let text = dedent(&text, columns);
    let mut text = text.trim();
    // A lone "(OR)" left before an alternative phrasing of the same question joins two
    // questions; it is not part of either answer.
    if let Some((rest, last)) = text.rsplit_once('\n') {
        let word: String = last
            .chars()
            .filter(|c| !matches!(c, '*' | '_' | '(' | ')' | ' ' | '\t'))
            .collect();
        if word.eq_ignore_ascii_case("or") {
            text = rest.trim_end();
        }
    }
    // A `<br/>` separator written on the answer's last line rather than on a line of its own.
    loop {
        let trimmed = text.trim_end();
        let lower = trimmed.to_ascii_lowercase();
        let Some(tag) = lower.rfind("<br") else {
            break;
        };
        let tail = lower[tag + 3..]
            .trim_end_matches('>')
            .trim()
            .trim_end_matches('/')
            .trim();
        if !tail.is_empty() || !lower.ends_with('>') {
            break;
        }
        text = trimmed[..tag].trim_end();
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_names_round_trip() {
        for layout in Layout::ALL {
            assert_eq!(
                layout.name().parse::<LayoutChoice>(),
                Ok(LayoutChoice::Fixed(layout))
            );
        }
        assert_eq!("auto".parse::<LayoutChoice>(), Ok(LayoutChoice::Auto));
        assert!(
            "nope"
                .parse::<LayoutChoice>()
                .unwrap_err()
                .contains("headings")
        );
    }

    #[test]
    fn placeholders_are_recognised() {
        assert_eq!(placeholder("Answer here"), Some("answer here"));
        assert_eq!(placeholder("**TODO**"), Some("todo"));
        assert_eq!(placeholder("TBD."), Some("tbd"));
        assert_eq!(placeholder("..."), Some("..."));
        assert_eq!(placeholder("The answer here is 42."), None);
    }

    #[test]
    fn empty_html_answers_are_no_answers() {
        assert!(blank_html("<div></div>"));
        assert!(blank_html("<br><b></b>"));
        assert!(!blank_html("<b>yes</b>"));
        assert!(!blank_html("<img src=\"a.png\">"));
        let found = extract(
            "### What is X?\n\n<div></div>\n\n### What is Y?\n\nY.\n",
            LayoutChoice::Auto,
        );
        assert_eq!(found.cards.len(), 1);
        assert_eq!(found.unanswered.len(), 1);
    }

    #[test]
    fn problem_labels() {
        assert_eq!(super::problem_label_len("**Problem:** It fails."), Some(13));
        assert_eq!(super::problem_label_len("**Error**: `x` fails"), Some(11));
        assert_eq!(super::problem_label_len("Issue: it hangs"), Some(7));
        assert_eq!(super::problem_label_len("**Problems with X**"), None);
        assert_eq!(super::problem_label_len("Errors happen: often"), None);
    }

    #[test]
    fn answers_of_links_only() {
        assert!(links_only(
            "- https://a.example/x\n- <https://b.example>\n- [Blog](https://c.example/y)"
        ));
        assert!(!links_only("See [the guide](https://a.example) first."));
        assert!(!links_only(""));
        assert!(!links_only("[Answer](https://a.example/x)"));
        let found = extract(
            "### What is X?\n\nX.\n\n### What is Y?\n\nY.\n\n### Other answers\n\n- https://a.example/faq\n- https://b.example/faq\n",
            LayoutChoice::Auto,
        );
        assert_eq!(found.cards.len(), 2);
        assert_eq!(found.dropped.len(), 1);
    }

    #[test]
    fn clutter_is_cut_out_of_answers() {
        let src = "a\nb\nc\nd\n";
        assert_eq!(answer_text(src, &(0..src.len()), 0, &[2..4, 6..8]), "a\nc");
    }

    #[test]
    fn a_trailing_or_is_dropped() {
        let src = "\ntext\n\n**(OR)**\n";
        assert_eq!(answer_text(src, &(0..src.len()), 0, &[]), "text");
    }

    #[test]
    fn a_trailing_break_tag_is_dropped_and_common_indentation_removed() {
        let src = "\n     text\n     - item <br/>\n";
        assert_eq!(answer_text(src, &(0..src.len()), 4, &[]), "text\n- item");
    }

    #[test]
    fn explicit_cards_are_read_in_every_layout_and_leave_the_answers() {
        let src =
            "### What is X?\n\nX is a thing.\n\nTerm::Its definition\n\n### What is Y?\n\nY.\n";
        let found = extract(src, LayoutChoice::Auto);
        assert_eq!(found.layout, Some(Layout::Headings));
        let cards = crate::source::pairs(&found.cards);
        assert_eq!(
            cards,
            [
                ("What is X?", "X is a thing."),
                ("Term", "Its definition"),
                ("What is Y?", "Y.")
            ]
        );
        let forced = extract(src, LayoutChoice::Fixed(Layout::Explicit));
        assert_eq!(forced.cards.len(), 1);
    }

    #[test]
    fn a_second_style_is_read_when_it_holds_several_questions_and_warned_when_one() {
        let head = "1.  **What is A?**\n\n    -   **Answer:** a.\n\n2.  **What is B?**\n\n    -   **Answer:** b.\n\n## Later\n\n";
        let one = format!("{head}Q: What is C?\nA: c.\n");
        let found = extract(&one, LayoutChoice::Auto);
        assert_eq!(found.layout, Some(Layout::AnswerLabel));
        assert_eq!(found.cards.len(), 2);
        assert_eq!(found.second_style.len(), 1);
        assert_eq!(found.second_style[0].2, "What is C?");
        let two = format!("{one}\nQ: What is D?\nA: d.\n");
        let found = extract(&two, LayoutChoice::Auto);
        let questions: Vec<&str> = found.cards.iter().map(|c| c.question.as_str()).collect();
        assert_eq!(
            questions,
            ["What is A?", "What is B?", "What is C?", "What is D?"]
        );
        assert!(found.second_style.is_empty());
    }

    #[test]
    fn unclosed_fences() {
        assert!(!unclosed("```sh\nx\n```\n"));
        assert!(!unclosed("~~~~\nx\n~~~~~\n"));
        assert!(unclosed("```sh\nx\n\n### Q?\n"));
        assert!(unclosed("````\nx\n```\n"));
    }

    #[test]
    fn a_labelled_first_paragraph_is_the_question_under_a_topic_heading() {
        let split = |answer: &str| labelled_task_first("Topic".into(), answer.into());
        assert_eq!(
            split("**Задача:** Напишите код.\n\n**Решение:**\n\nТак."),
            ("Напишите код.".into(), "**Решение:**\n\nТак.".into())
        );
        assert_eq!(
            split("**Question:** Why?\n\nBecause."),
            ("Why?".into(), "Because.".into())
        );
        // Nothing after the label's paragraph, or no label: the heading stays the question.
        for answer in ["**Task:** Write it.", "Tasks are queued.\n\nMore."] {
            assert_eq!(split(answer), ("Topic".into(), answer.into()));
        }
    }

    #[test]
    fn options_a_rule_and_a_key() {
        let split = options_then_key_split("- A: one\n- B: two\n---\nB\n");
        assert_eq!(split, Some(("- A: one\n- B: two", "B".to_string())));
        // A rule after prose, or a sentence after the rule, is a boundary as ever.
        assert_eq!(options_then_key_split("Prose.\n- A: one\n---\nB\n"), None);
        assert_eq!(options_then_key_split("- A\n- B\n---\nNext part\n"), None);
    }

    #[test]
    fn answer_label_headings() {
        for line in ["### Answer:", "## Answer", "#### Ответ:", "### **Answer:**"] {
            assert!(answer_label_heading(line), "{line}");
        }
        for line in [
            "### One answer:",
            "Answer:",
            "### Answer: 42",
            "#Answer:",
            "### A.",
        ] {
            assert!(!answer_label_heading(line), "{line}");
        }
    }

    #[test]
    fn line_end_finds_the_break() {
        assert_eq!(line_end("ab\ncd", 1), 2);
        assert_eq!(line_end("ab\ncd", 3), 2);
        assert_eq!(line_end("ab", 1), 2);
    }
}
