//! `Q:` / `A:` lines: `Q: What is X?` then `A: X is …`, also `**Q:**` / `**A:**`,
//! `Question:` / `Answer:` and numbered `Q1:`. The answer may run over several lines, paragraphs
//! or a list, up to the next `Q:` line, heading or thematic break.
//!
//! Labels are only looked for where a line starts inside a paragraph (its first inline event, or
//! the one after a line break), so a `Q:` in the middle of a sentence or in code is never one.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::{
    Cards, Container, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question,
    leading_number, line_end, question_like, visual_column,
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
    /// Its label is weak (`P:`): without an answer label right after, it is no question.
    weak: bool,
    /// Where its text ends when that is known before the answer label (a quote).
    text_end: Option<usize>,
}

/// A top-level block quote of one paragraph: the question when an answer label follows it.
#[derive(Debug, Clone)]
struct Quote {
    at: usize,
    text: Option<Range<usize>>,
    blocks: usize,
}

#[derive(Debug, Default)]
pub(crate) struct QuestionAnswer {
    line_head: bool,
    /// Where the current paragraph's text starts, and whether its first line is labelled.
    paragraph: Option<(usize, bool)>,
    pending: Option<Pending>,
    /// Whether the open card's answer label has been seen.
    labelled: bool,
    quote: Option<Quote>,
    quoted_question: Option<Quote>,
    /// A top-level paragraph that is all bold (`**Unit 2**`), just read: when a question
    /// follows, it is a section label that ends the answer before it.
    bold_line: Option<usize>,
    sections: Sections,
    cards: Cards,
}

impl Extractor for QuestionAnswer {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let src = walk.src;
        self.follow_quote(walk, event, range);
        if let Event::Start(tag) = event {
            if is_block(tag) {
                self.bold_line = None;
            }
        }
        match event {
            Event::Start(Tag::Paragraph | Tag::Item) => {
                self.line_head = true;
                self.paragraph = None;
                return;
            }
            Event::SoftBreak | Event::HardBreak => {
                self.line_head = true;
                return;
            }
            Event::End(TagEnd::Paragraph) => {
                self.line_head = false;
                self.bold_line = (walk.top_level() && self.paragraph.is_some_and(|(_, l)| !l))
                    .then_some(range.start)
                    .filter(|_| all_bold(&src[range.clone()]));
                self.paragraph = None;
                if let Some(pending) = self.pending.take().filter(|p| !p.weak) {
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
        if let Some(asking) = admonition(src, range.start) {
            self.admonition(src, range.start, asking);
            return;
        }
        let label = label_at(&src[range.start..]);
        let first_line = self.paragraph.is_none();
        if first_line {
            self.paragraph = Some((range.start, label.is_some()));
        }
        let Some(label) = label else {
            return;
        };
        let after = range.start + label.length;
        match label.kind {
            Kind::Question if label.weak && !first_line => {}
            Kind::Question => {
                self.finish_pending(src, range.start);
                let bold_line = self.bold_line.take().filter(|_| first_line);
                self.cards.close(bold_line.unwrap_or(range.start));
                self.pending = Some(Pending {
                    at: range.start,
                    text_start: after,
                    number: label.number,
                    column: visual_column(src, range.start),
                    weak: label.weak,
                    text_end: None,
                });
            }
            Kind::Answer => self.answer(walk, range.start, after, label.weak),
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
    /// A MkDocs admonition at `at`: `??? question "Title"` is a collapsible card whose title
    /// (`asking`: its range, and where its answer ends) asks; any other (`!!! note`) ends the card before it.
    fn admonition(&mut self, src: &str, at: usize, asking: Option<(Range<usize>, usize)>) {
        self.finish_pending(src, at);
        self.cards.close(at);
        let Some((title, answer)) = asking else {
            return;
        };
        let pending = Pending {
            at,
            text_start: title.start,
            number: None,
            column: 0,
            weak: false,
            text_end: Some(title.end),
        };
        self.open(src, pending, title.end, answer, true);
    }

    /// An answer label at `at`, its text starting at `after`.
    fn answer(&mut self, walk: &Walk<'_>, at: usize, after: usize, weak: bool) {
        let src = walk.src;
        let column = visual_column(src, at);
        if self.pending.is_none() && !weak {
            self.pending = self
                .quoted_question
                .take()
                .and_then(|quote| quote_pending(src, &quote))
                .or_else(|| self.inline_question(walk, at));
            if let Some(pending) = &self.pending {
                // A line above a numbered question in its paragraph (`Harder tasks`) ends the
                // card before it too.
                let paragraph = self.paragraph.map_or(pending.at, |(start, _)| start);
                self.cards.close(pending.at.min(paragraph));
            }
        }
        if let Some(pending) = self.pending.take() {
            let text_end = pending.text_end.unwrap_or(at);
            self.open(src, pending, text_end, after, true);
            if let Some(card) = &mut self.cards.open {
                card.dedent = column;
            }
        } else if let Some(card) = self.cards.open.as_mut().filter(|_| !self.labelled && !weak) {
            card.answer = after..after;
            card.dedent = column;
            self.labelled = true;
        }
    }

    /// `7. What is X?<br>` then an `Ans: …` line: the paragraph's unlabelled first lines are
    /// the question.
    fn inline_question(&self, walk: &Walk<'_>, label: usize) -> Option<Pending> {
        let (start, labelled) = self.paragraph?;
        if labelled || start >= label {
            return None;
        }
        let item = walk.containers.iter().rev().find_map(|c| match c {
            Container::Item { start, blocks: 1 } => Some(*start),
            _ => None,
        });
        // `Harder tasks` then `11) Task` in one paragraph (only a `1)` may interrupt one): the
        // question starts at its numbered line.
        let numbered_line = walk.src[start..label]
            .match_indices('\n')
            .map(|(i, _)| start + i + 1)
            .rfind(|&at| numbered_line(&walk.src[at..label]));
        let start = numbered_line.unwrap_or(start);
        let text = strip_break(walk.src[start..label].trim());
        // A numbered task ("1) Nennen Sie …", "2) The limit is:") answered by a label asks,
        // whatever its wording.
        let numbered = numbered_line.is_some()
            || item.is_some_and(|i| leading_number(&walk.src[i..]).is_some());
        if !question_like(text, numbered) {
            return None;
        }
        let item = item.filter(|_| numbered_line.is_none());
        Some(Pending {
            at: item.unwrap_or(start),
            text_start: start,
            number: item.and_then(|i| leading_number(&walk.src[i..])),
            column: visual_column(walk.src, start),
            weak: false,
            text_end: None,
        })
    }

    /// Tracks top-level block quotes that could be a question.
    fn follow_quote(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let depth = walk.containers.len();
        match event {
            Event::Start(Tag::BlockQuote(_)) if depth == 1 => {
                self.quoted_question = None;
                self.quote = Some(Quote {
                    at: range.start,
                    text: None,
                    blocks: 0,
                });
            }
            Event::End(TagEnd::BlockQuote(_)) if depth == 1 => {
                self.quoted_question = self.quote.take().filter(|q| q.blocks == 1);
            }
            Event::Start(tag) if depth == 0 && !matches!(tag, Tag::Paragraph) => {
                if is_block(tag) {
                    self.quoted_question = None;
                }
            }
            Event::End(TagEnd::Paragraph) if depth == 0 => self.quoted_question = None,
            _ => {
                let Some(quote) = &mut self.quote else {
                    return;
                };
                match event {
                    Event::Start(tag) if is_block(tag) || matches!(tag, Tag::Paragraph) => {
                        quote.blocks += 1;
                    }
                    Event::Text(_)
                    | Event::Code(_)
                    | Event::InlineHtml(_)
                    | Event::InlineMath(_)
                    | Event::Start(Tag::Strong | Tag::Emphasis | Tag::Link { .. })
                        if quote.blocks == 1 =>
                    {
                        // Inline spans' ranges cover their whole text, markers included.
                        let text = quote.text.get_or_insert(range.clone());
                        text.start = text.start.min(range.start);
                        text.end = text.end.max(range.end);
                    }
                    _ => {}
                }
            }
        }
    }

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
        let text = src[pending.text_start..text_end.max(pending.text_start)].trim();
        let unquoted;
        let mut text = if text.contains("\n>") {
            unquoted = text.replace("\n>", "\n");
            unquoted.as_str()
        } else {
            text
        };
        text = strip_break(text);
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

/// The question of a quote followed by an answer label.
fn quote_pending(src: &str, quote: &Quote) -> Option<Pending> {
    let text = quote.text.clone()?;
    Some(Pending {
        at: quote.at,
        text_start: text.start,
        number: None,
        column: visual_column(src, text.start),
        weak: false,
        text_end: Some(text.end),
    })
}

/// A MkDocs Material admonition asking a question at `at`: `??? question "Title"`,
/// `???+ faq "Title"`, `!!! question "Title"`. Returns the title's range and where the answer
/// starts (the next line; a trailing `\` hard break is no part of the title); `Some(None)`
/// for an admonition that asks nothing (`!!! note`).
fn admonition(src: &str, at: usize) -> Option<Option<(Range<usize>, usize)>> {
    let line_end = src[at..].find('\n').map_or(src.len(), |i| at + i);
    let line = &src[at..line_end];
    let rest = ["???+ ", "??? ", "!!! "]
        .iter()
        .find_map(|m| line.strip_prefix(m))?;
    let kind_len = rest.find([' ', '"']).unwrap_or(rest.len());
    let kind = rest[..kind_len].trim_end_matches(':').to_ascii_lowercase();
    // A folded known problem (`??? warning "App shows no window"`) is answered when unfolded.
    let folded_problem = line.starts_with("???") && matches!(kind.as_str(), "warning" | "bug");
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if !matches!(kind.as_str(), "question" | "faq" | "help" | "quiz") && !folded_problem {
        return Some(None);
    }
    let title = || {
        let open = at + (line.len() - rest.len()) + rest.find('"')? + 1;
        let close = open + src[open..line_end].find('"')?;
        let title = open..close;
        (!src[title.clone()].trim().is_empty()).then_some((title, (line_end + 1).min(src.len())))
    };
    Some(title())
}

/// Whether `line` starts with a task number: `11) `, `12. `.
fn numbered_line(line: &str) -> bool {
    let line = line.trim_start_matches([' ', '\t']);
    let digits = line.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    digits > 0
        && digits <= 3
        && line[digits..].starts_with([')', '.'])
        && line[digits + 1..].starts_with([' ', '\t'])
}

fn is_block(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Heading { .. }
            | Tag::CodeBlock(_)
            | Tag::HtmlBlock
            | Tag::Table(_)
            | Tag::List(_)
            | Tag::BlockQuote(_)
    )
}

/// Whether a paragraph is one bold span.
fn all_bold(paragraph: &str) -> bool {
    let text = paragraph.trim();
    ["**", "__"].into_iter().any(|m| {
        text.len() > 4
            && text.starts_with(m)
            && text.ends_with(m)
            && !text[2..text.len() - 2].contains(m)
    })
}

/// A `<br>` ending a question line.
fn strip_break(text: &str) -> &str {
    let trimmed = text.trim_end();
    for tag in ["<br>", "<br/>", "<br />", "<BR>"] {
        if let Some(rest) = trimmed.strip_suffix(tag) {
            return rest.trim_end();
        }
    }
    trimmed
}

/// The length of an `**A:**` / `Answer:` label opening `text` (never a weak one such as `A.`).
pub(crate) fn answer_label_len(text: &str) -> Option<usize> {
    label_at(text)
        .filter(|l| l.kind == Kind::Answer && !l.weak)
        .map(|l| l.length)
}

/// The length of a question label opening `text` (`**Вопрос:**`, `Q:`, `Question 3:`), never a
/// weak one such as `P:`.
pub(crate) fn question_label_len(text: &str) -> Option<usize> {
    label_at(text)
        .filter(|l| l.kind == Kind::Question && !l.weak)
        .map(|l| l.length)
}

/// The length of a bold answer label closed by a colon opening `text` (`**R:**`, `**A**:`),
/// weak ones included: under a labelled question (`### P: ¿…?`) it can only be the answer's.
pub(crate) fn bold_answer_label_len(text: &str) -> Option<usize> {
    label_at(text)
        .filter(|l| l.kind == Kind::Answer && text.starts_with(['*', '_']))
        .filter(|l| text[..l.length].contains([':', '：']))
        .map(|l| l.length)
}

/// The length of an answer label opening `text` right after a question's own material (its
/// code and options): `**Answer:** B`, `**Réponse 4**.`, `Ans: …`. A weak label counts here
/// unless it is a single letter (`A. London` is an option, not an answer).
pub(crate) fn answer_label_after_question(text: &str) -> Option<usize> {
    label_at(text)
        .filter(|l| l.kind == Kind::Answer && (!l.weak || l.word_len > 1))
        .map(|l| l.length)
}

/// A label found at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Label {
    kind: Kind,
    number: Option<u32>,
    /// Bytes up to the labelled text, trailing spaces included.
    length: usize,
    /// A label that is also an ordinary way to start a sentence (`A. Smith`, `P: …`, `R: …`):
    /// it only counts right after a question, as its answer.
    weak: bool,
    /// The length of the label word in characters (`A` is 1, `Réponse` 7).
    word_len: usize,
}

/// Label words in the spellings authors use, in the order they are tried (longer first), with
/// whether case matters and whether the word alone is weak.
const WORDS: [(&str, Kind, bool, bool); 45] = [
    ("question", Kind::Question, false, false),
    ("pergunta", Kind::Question, false, false),
    ("domanda", Kind::Question, false, false),
    ("vraag", Kind::Question, false, false),
    ("вопрос", Kind::Question, false, false),
    ("soru", Kind::Question, false, false),
    ("질문", Kind::Question, true, false),
    ("ques", Kind::Question, false, false),
    ("pregunta", Kind::Question, false, false),
    ("frage", Kind::Question, false, false),
    ("问题", Kind::Question, true, false),
    ("问", Kind::Question, true, false),
    ("問", Kind::Question, true, false),
    ("Ｑ", Kind::Question, true, false),
    ("Q", Kind::Question, true, false),
    ("P", Kind::Question, true, true),
    // A true/false quiz's key: `**Statement**: …` then `**Answer**: True`.
    ("statement", Kind::Question, false, false),
    ("answer", Kind::Answer, false, false),
    ("resposta", Kind::Answer, false, false),
    ("risposta", Kind::Answer, false, false),
    ("antwoord", Kind::Answer, false, false),
    ("ответ", Kind::Answer, false, false),
    ("cevap", Kind::Answer, false, false),
    ("답변", Kind::Answer, true, false),
    ("ans", Kind::Answer, false, false),
    ("respuesta", Kind::Answer, false, false),
    ("réponse", Kind::Answer, false, false),
    ("reponse", Kind::Answer, false, false),
    ("antwort", Kind::Answer, false, false),
    // Exercise sheets label the answer as the solution.
    ("lösung", Kind::Answer, false, false),
    ("loesung", Kind::Answer, false, false),
    ("solutions", Kind::Answer, false, false),
    ("solution", Kind::Answer, false, false),
    ("solución", Kind::Answer, false, false),
    ("solução", Kind::Answer, false, false),
    ("soluzione", Kind::Answer, false, false),
    ("решение", Kind::Answer, false, false),
    ("参考答案", Kind::Answer, true, false),
    ("参考回答", Kind::Answer, true, false),
    ("答案", Kind::Answer, true, false),
    ("答", Kind::Answer, true, false),
    ("回答", Kind::Answer, true, false),
    ("Ａ", Kind::Answer, true, false),
    ("A", Kind::Answer, true, false),
    ("R", Kind::Answer, true, true),
];

/// Whether a label word may start with `first`: for an ASCII letter, one that starts an entry
/// of [`WORDS`] in either case (a unit test keeps the two in step); anything else is looked up.
fn may_open_label(first: char) -> bool {
    !first.is_ascii()
        || matches!(
            first.to_ascii_lowercase(),
            'a' | 'c' | 'd' | 'f' | 'l' | 'p' | 'q' | 'r' | 's' | 'v'
        )
}

/// Parses a `Q:` / `**A:**` / `Question 3:` / `问：` / `Ques 1.` label at the start of `text`.
fn label_at(text: &str) -> Option<Label> {
    word_label_at(text).or_else(|| {
        // `Rechnung/Lösung:`, `Working/Answer:`: a word before the answer word, after a slash.
        // Only the line's first characters are looked at: this runs on every line.
        let slash = text
            .char_indices()
            .take(31)
            .find(|(_, c)| !c.is_alphabetic())
            .filter(|&(at, c)| c == '/' && at > 0)?
            .0;
        let label = word_label_at(&text[slash + 1..]).filter(|l| l.kind == Kind::Answer)?;
        Some(Label {
            length: label.length + slash + 1,
            ..label
        })
    })
}

/// The label word `rest` opens with: its kind, the word, whether it is weak, and the text
/// after it.
fn label_word(rest: &str) -> Option<(Kind, &'static str, bool, &str)> {
    WORDS.into_iter().find_map(|(word, kind, exact, weak)| {
        let head = rest.get(..word.len())?;
        // A different first letter rules out an ASCII word without lower-casing anything
        // (no other letter lower-cases to an ASCII one that starts a word).
        let (first, expected) = (head.as_bytes()[0], word.as_bytes()[0]);
        if expected.is_ascii() && !first.eq_ignore_ascii_case(&expected) {
            return None;
        }
        // Lower-cased char by char, not into a new string: every line of a document is
        // tried against every word.
        let matches = if exact {
            head == word
        } else {
            head.chars().flat_map(char::to_lowercase).eq(word.chars())
        };
        matches.then(|| (kind, word, weak, &rest[word.len()..]))
    })
}

/// `rest` past a remark between a label word and its colon (`Lösung (Beispiel):`,
/// `Answer (short):`), from the colon on; `rest` itself when there is none.
fn without_remark(rest: &str) -> &str {
    let Some(remark) = rest.strip_prefix(" (").or_else(|| rest.strip_prefix('(')) else {
        return rest;
    };
    // Looked for in the next 41 bytes only: `rest` runs to the end of the document.
    remark
        .bytes()
        .take(41)
        .position(|b| b == b')')
        .filter(|&close| !remark[..close].contains('\n'))
        .map(|close| &remark[close + 1..])
        .filter(|after| after.starts_with(':'))
        .unwrap_or(rest)
}

fn word_label_at(text: &str) -> Option<Label> {
    let mut rest = text;
    let marker = ["**", "__", "*", "_"]
        .into_iter()
        .find(|m| rest.starts_with(m));
    if let Some(marker) = marker {
        rest = &rest[marker.len()..];
    }
    // Most lines open with no label word: one look at the first letter settles them.
    if !may_open_label(rest.chars().next()?) {
        return None;
    }
    let (kind, word, mut weak, after_word) = label_word(rest)?;
    rest = after_word.trim_start_matches([' ', '\t']);
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let number = rest[..digits].parse().ok();
    rest = without_remark(&rest[digits..]);
    let mut closed = marker.is_none();
    if let Some(marker) = marker.filter(|m| rest.starts_with(m)) {
        rest = &rest[marker.len()..];
        closed = true;
    }
    rest = rest.trim_start_matches([' ', '\t']);
    let (separator, after) = [':', '：', '.', ')']
        .into_iter()
        .find_map(|c| rest.strip_prefix(c).map(|after| (c, after)))?;
    rest = after;
    // `A.` starts sentences and `A)` lists options; only `Ans.` is always a label.
    let sentence_like = matches!(separator, '.' | ')');
    if sentence_like && kind == Kind::Answer && !word.eq_ignore_ascii_case("ans") {
        weak = true;
    }
    if separator == ')' && kind == Kind::Question && word != "Q" {
        return None;
    }
    if !closed {
        if let Some(marker) = marker.filter(|m| rest.starts_with(m)) {
            rest = &rest[marker.len()..];
        }
    }
    let wide = matches!(separator, '：') || !word.is_ascii();
    if !(wide || rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t', '\u{3000}']);
    Some(Label {
        kind,
        number,
        length: text.len() - rest.len(),
        weak,
        word_len: word.chars().count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_word_passes_the_first_letter_filter() {
        for (word, ..) in WORDS {
            let first = word.chars().next().unwrap();
            assert!(may_open_label(first), "{word}");
            assert!(may_open_label(first.to_ascii_uppercase()), "{word}");
        }
    }

    fn label(text: &str) -> Option<(Kind, Option<u32>, usize, bool)> {
        label_at(text).map(|l| (l.kind, l.number, l.length, l.weak))
    }

    #[test]
    fn labels() {
        use Kind::{Answer, Question};
        assert_eq!(label("Q: What?"), Some((Question, None, 3, false)));
        assert_eq!(label("**A:** Yes"), Some((Answer, None, 7, false)));
        assert_eq!(label("**A**: Yes"), Some((Answer, None, 7, false)));
        assert_eq!(
            label("Question 3: Why?"),
            Some((Question, Some(3), 12, false))
        );
        assert_eq!(label("Q1. Why?"), Some((Question, Some(1), 4, false)));
        assert_eq!(label("Answer:"), Some((Answer, None, 7, false)));
        // Only right after a question is `A.` an answer.
        assert_eq!(label("A. Smith said"), Some((Answer, None, 3, true)));
        assert_eq!(label("Quite: so"), None);
        assert_eq!(label("A:B testing"), None);
        assert_eq!(label("Answers: many"), None);
        assert_eq!(
            label("Lösung (Beispiel): ja"),
            Some((Answer, None, 20, false))
        );
        assert_eq!(label("Solution (A) is wrong"), None);
    }

    #[test]
    fn labels_in_other_spellings_and_languages() {
        use Kind::{Answer, Question};
        assert_eq!(label("Ques 1. What?"), Some((Question, Some(1), 8, false)));
        assert_eq!(label("Ans. Yes"), Some((Answer, None, 5, false)));
        assert_eq!(label("问：什么？"), Some((Question, None, 6, false)));
        assert_eq!(label("**答**：是"), Some((Answer, None, 10, false)));
        assert_eq!(label("Ｑ：何？"), Some((Question, None, 6, false)));
        assert_eq!(
            label("**Pregunta:** ¿Qué?"),
            Some((Question, None, 14, false))
        );
        assert_eq!(label("**Réponse :** Oui"), Some((Answer, None, 15, false)));
        assert_eq!(label("Frage: Wie?"), Some((Question, None, 7, false)));
        assert_eq!(label("R: Sí"), Some((Answer, None, 3, true)));
        assert_eq!(label("A) an option"), Some((Answer, None, 3, true)));
        assert_eq!(label("Pregunta"), None);
    }
}
