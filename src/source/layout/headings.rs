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

use super::clutter;
use super::details::{Tag, reveals_answer, strip_tags, tags};
use super::question::{ends_with_question_mark, has_question_label};
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
        /// It asks for certain: numbered, ending with `?`, labelled `Q:` or answered by a
        /// revealed `<details>` block (an opener word alone, as in "When to use it", is not).
        certain: bool,
        ends_with_question_mark: bool,
        has_content: bool,
        /// Blocks of its own before any sub-heading.
        own_content: bool,
    },
    Rule(usize),
    /// A top-level task list (`- [ ]` / `- [x]` on every item): a quiz question's options.
    Options(TaskList),
    /// A top-level `<details>` block whose summary reveals an answer ("Answer", "Show answer",
    /// "第 1 题的答案"): the answer of the question heading before it.
    Reveal {
        start: usize,
        /// Where the answer starts, after `</summary>`.
        inner: usize,
        /// The `</details>` tag, once read (an unclosed block reveals nothing).
        close: Option<Range<usize>>,
    },
}

/// A top-level list whose items are all tasks.
#[derive(Debug, Default, Clone)]
struct TaskList {
    range: Range<usize>,
    /// Each item: its range, where its `[ ]` marker ends, the marker's start, and whether it is
    /// ticked (`None` while no marker was seen).
    items: Vec<(Range<usize>, usize, usize, Option<bool>)>,
}

/// A `<details>` block being read.
#[derive(Debug, Default)]
struct OpenDetails {
    depth: usize,
    start: usize,
    summary: Option<usize>,
    /// (where the answer starts, whether the summary reveals an answer)
    inner: Option<(usize, bool)>,
    /// The heading mark before the block.
    heading: Option<usize>,
    /// Its reveal mark.
    reveal: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Headings {
    /// The question level the author fixed in the front matter.
    pinned: Option<usize>,
    tasks: Option<TaskList>,
    marks: Vec<Mark>,
    details: OpenDetails,
}

impl Extractor for Headings {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        self.follow_tasks(walk, event, range);
        let top_level = walk.event_top_level(event);
        // A `</details>` written right under a list's last line belongs to that list item.
        if let Event::Html(_) | Event::InlineHtml(_) = event {
            if top_level || self.details.depth > 0 {
                self.details(walk.src, range);
            }
        }
        if !top_level {
            return;
        }
        match event {
            Event::Rule => self.marks.push(Mark::Rule(range.start)),
            Event::Start(tag) if !matches!(tag, pulldown_cmark::Tag::Heading { .. }) => {
                let states_a_problem = matches!(tag, pulldown_cmark::Tag::Paragraph)
                    && super::problem_label_len(&walk.src[range.clone()]).is_some();
                if let Some(Mark::Heading {
                    has_content,
                    own_content,
                    question_like,
                    certain,
                    ..
                }) = self.marks.last_mut()
                {
                    // `### Port already in use` then `**Problem:** …` / `**Solution:** …`: a
                    // troubleshooting entry, whose heading names the problem it answers.
                    if !*own_content && states_a_problem {
                        *question_like = true;
                        *certain = true;
                    }
                    *has_content = true;
                    *own_content = true;
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
        let certain = question.number.is_some()
            || ends_with_question_mark(&question.text)
            || has_question_label(&heading.text);
        let asks = certain || question_like(&question.text, false);
        // `### 1. Question` answered by a `##### Answer text` heading: a deeper heading that
        // asks nothing is content of the heading above it.
        if !asks {
            if let Some(Mark::Heading {
                level, has_content, ..
            }) = self.marks.last_mut()
            {
                if *level < heading.level {
                    *has_content = true;
                }
            }
        }
        self.marks.push(Mark::Heading {
            level: heading.level,
            range: heading.range.clone(),
            text: heading.text.clone(),
            question_like: asks,
            certain,
            ends_with_question_mark: ends_with_question_mark(&question.text),
            question,
            has_content: false,
            own_content: false,
        });
    }

    fn finish(self: Box<Self>, walk: &Walk<'_>) -> Found {
        let (level, statements, glossary) = self.levels();
        let asking_groups = level.map(|level| asking_groups(&self.marks, level));
        let context = Context {
            level,
            statements,
            asking_groups: asking_groups.as_deref(),
            glossary,
        };
        let (mut sections, mut cards) = (Sections::default(), Cards::default());
        let mut open_level: Option<usize> = None;
        // The end of a revealed answer: headings before it are part of that answer.
        let mut inside_reveal = 0;
        // The card whose ticked options were made its answer.
        let mut quizzed_at = None;
        let (mut cuts, mut dropped) = (Vec::new(), Vec::new());
        for (index, mark) in self.marks.iter().enumerate() {
            let (h_level, range, text, question, is_question) = match mark {
                Mark::Rule(at) => {
                    if closed_at_rule(walk.src, &mut cards, *at) {
                        open_level = None;
                    }
                    continue;
                }
                Mark::Reveal {
                    start,
                    inner,
                    close: Some(close),
                } => {
                    let reveal = (*start, *inner, close);
                    if revealed(walk.src, &mut cards, quizzed_at, &mut cuts, reveal) {
                        open_level = None;
                        inside_reveal = close.end;
                    }
                    continue;
                }
                Mark::Options(tasks) => {
                    if open_level.is_some() && quiz_options(walk.src, &mut cards, tasks, &mut cuts)
                    {
                        quizzed_at = cards.open.as_ref().map(|c| c.at);
                    }
                    continue;
                }
                Mark::Reveal { close: None, .. } => continue,
                Mark::Heading { range, .. } if range.start < inside_reveal => continue,
                Mark::Heading {
                    level: h_level,
                    range,
                    text,
                    question,
                    ..
                } => {
                    let is_question = self.heading_is_question(index, &context, open_level);
                    (*h_level, range, text, question, is_question)
                }
            };
            let parts = (&mut sections, &mut cards);
            if is_question {
                open_question(walk.src, parts, question, range, h_level);
                open_level = Some(h_level);
                continue;
            }
            if let Some(why) = dropped_why(mark, level, open_level) {
                dropped.push((range.start, question.text.clone(), why));
            }
            // A sub-heading inside the answer stays in it.
            if open_level.is_none_or(|open| h_level <= open) {
                cards.close(range.start);
                open_level = None;
                sections.heading(h_level, text);
            }
        }
        let title = sections.title.take();
        let mut found = cards.finish(walk.src.len(), title);
        share_answers(walk.src, &mut found.cards);
        cuts.sort_by_key(|r: &Range<usize>| r.start);
        found.cuts = cuts;
        found.dropped = dropped;
        found
    }
}

/// A thematic break closes the open card, unless it sits between the card's quiz options
/// and their key (`- A: …` … `---` then `D`); whether it closed one.
fn closed_at_rule(src: &str, cards: &mut Cards, at: usize) -> bool {
    let keyed = cards
        .open
        .as_ref()
        .is_some_and(|c| super::options_then_key(&src[c.answer.start..]));
    if !keyed {
        cards.close(at);
    }
    !keyed
}

impl Headings {
    /// The question headings' level (pinned, found, or a glossary's terms), whether statements
    /// at that level are questions too, and the glossary's level.
    fn levels(&self) -> (Option<usize>, bool, Option<usize>) {
        let glossary = glossary_level(&self.marks);
        let level = self
            .pinned
            .or_else(|| question_level(&self.marks))
            .or(glossary);
        let statements = self.pinned.is_some()
            || glossary.is_some() && level == glossary
            || level.is_some_and(|level| statements_are_questions(&self.marks, level));
        (level, statements, glossary)
    }
}

/// Whether a `<details>` block (`start`, where its body begins, its closing tag) answers the
/// open card. Under ticked options (the card `quizzed_at` opened) the ticked ones start the
/// answer and the revealed block, its wrapper cut as clutter, explains them.
fn revealed(
    src: &str,
    cards: &mut Cards,
    quizzed_at: Option<usize>,
    cuts: &mut Vec<Range<usize>>,
    (start, inner, close): (usize, usize, &Range<usize>),
) -> bool {
    let open = cards.open.as_ref();
    let quizzed = quizzed_at.is_some()
        && quizzed_at == open.map(|c| c.at)
        && open.is_some_and(|c| c.answer.start <= start);
    if quizzed {
        cuts.push(clutter::tag_lines(src, start..inner));
        cuts.push(clutter::tag_lines(src, close.clone()));
        cards.close(close.end);
        return true;
    }
    reveal_answer(src, cards, start, inner, close)
}

/// Opens the card of a question heading at `range`, whose answer runs to the next heading.
fn open_question(
    src: &str,
    (sections, cards): (&mut Sections, &mut Cards),
    question: &QuestionParts,
    range: &Range<usize>,
    level: usize,
) {
    sections.pop_to(level);
    sections.seen_question = true;
    cards.open(RawCard {
        question: question.clone(),
        at: range.start,
        section: sections.path(),
        answer: line_end(src, range.end)..src.len(),
        dedent: 0,
    });
}

/// Why a heading that asks a question (it ends with `?`) is no card of its own, if it is none:
/// it sits inside another question's answer, or it reads as a section above the questions
/// while holding none of them. Headings that hold questions are their section, not a drop.
fn dropped_why(mark: &Mark, level: Option<usize>, open: Option<usize>) -> Option<&'static str> {
    let Mark::Heading {
        level: at,
        text,
        ends_with_question_mark: true,
        ..
    } = mark
    else {
        return None;
    };
    let level = level?;
    if is_chrome(text) {
        return None;
    }
    (*at > level && open.is_some_and(|open| *at > open)).then_some(
        "question heading read as part of the answer above it (it is deeper than the question headings and has no answer of its own)",
    )
}

/// A quiz question's options (`- [ ]` / `- [x]`): every option, unticked, joins the question
/// with what stood before the list (its code); the answer is the ticked option (or the ticked
/// ones, as a list) and what follows the list. With nothing ticked the question has no answer.
/// Returns whether the ticked options became the answer.
fn quiz_options(
    src: &str,
    cards: &mut Cards,
    tasks: &TaskList,
    cuts: &mut Vec<Range<usize>>,
) -> bool {
    let Some(card) = cards.open.as_mut() else {
        return false;
    };
    if card.answer.start > tasks.range.start || card.question.text.contains("\n\n- ") {
        return false;
    }
    let before = src[card.answer.start..tasks.range.start].trim();
    let options: Vec<String> = tasks
        .items
        .iter()
        .map(|(item, text, _, _)| format!("- {}", src[*text..item.end.max(*text)].trim()))
        .collect();
    let mut front = card.question.text.clone();
    if !before.is_empty() {
        front = format!("{front}\n\n{before}");
    }
    card.question.text = format!("{front}\n\n{}", options.join("\n"));
    let ticked = tasks.items.iter().filter(|i| i.3 == Some(true)).count();
    if ticked == 0 {
        // An empty answer: the card is left out as unanswered, with a warning.
        card.answer = tasks.range.start..tasks.range.start;
        cards.close(tasks.range.start);
        return false;
    }
    card.answer.start = tasks.range.start;
    for (item, text, marker, checked) in &tasks.items {
        match checked {
            Some(true) if ticked == 1 => cuts.push(item.start..*text),
            Some(true) => cuts.push(*marker..*text),
            _ => cuts.push(clutter::whole_lines(src, item)),
        }
    }
    true
}

/// A FAQ may ask several questions in a row and answer them once: `#### Q. Change the colour`,
/// `#### Q. Hide the icon`, then `A: in the editor`. A question heading with nothing under it,
/// right before another question, shares the answer that follows the run. Only labelled
/// questions are grouped so: an unlabelled question with nothing under it is more often one the
/// author has not answered yet, and is warned about instead.
fn share_answers(src: &str, cards: &mut [RawCard]) {
    let labelled = |at: usize| {
        let line = src[at..].lines().next().unwrap_or("");
        super::question::has_question_label(line.trim_start_matches('#').trim_start())
    };
    for index in (0..cards.len().saturating_sub(1)).rev() {
        let (head, tail) = cards.split_at_mut(index + 1);
        let (card, next) = (&mut head[index], &tail[0]);
        if !labelled(card.at) || !labelled(next.at) {
            continue;
        }
        let empty = src[card.answer.clone()].trim().is_empty();
        let adjacent =
            card.answer.end <= next.at && src[card.answer.end..next.at].trim().is_empty();
        if empty && adjacent && !src[next.answer.clone()].trim().is_empty() {
            card.answer = next.answer.clone();
            card.dedent = next.dedent;
        }
    }
}

/// Whether the headings at the question level that read as statements are questions too: in a
/// FAQ ("My app doesn't find the tools") or where most of their siblings are questions (a
/// topic heading among "Explain …" ones).
fn statements_are_questions(marks: &[Mark], level: usize) -> bool {
    let (mut questions, mut all) = (0, 0);
    let mut faq = false;
    for mark in marks {
        if let Mark::Heading {
            level: at,
            text,
            question_like,
            has_content,
            ..
        } = mark
        {
            faq |= *at < level && names_a_faq(text);
            if *at == level && *has_content && !is_chrome(text) {
                all += 1;
                questions += usize::from(*question_like);
            }
        }
    }
    questions >= 2 && (faq || questions * 3 >= all * 2)
}

/// For each mark, whether it is a heading at `level` among questions: its siblings (headings at
/// that level under the same parent) hold one that surely asks, or read as questions for at
/// least half, or the parent names them ("Troubleshooting", "FAQ"). Statements and opener-worded headings ("When to use this template") are
/// questions only there, so an "Additional resources" section after a FAQ keeps its headings.
fn asking_groups(marks: &[Mark], level: usize) -> Vec<bool> {
    // The group of a heading at `level` is the index of the heading above it (its parent).
    let mut parent = None;
    let mut groups: Vec<Option<Option<usize>>> = Vec::with_capacity(marks.len());
    // Per group: whether a heading asks for certain, how many read as questions, how many.
    let mut asking: HashMap<Option<usize>, (bool, usize, usize)> = HashMap::new();
    for (index, mark) in marks.iter().enumerate() {
        match mark {
            Mark::Heading {
                level: at,
                question_like,
                certain,
                ..
            } => {
                if *at < level {
                    parent = Some(index);
                    groups.push(None);
                } else if *at == level {
                    let (sure, asks, all) = asking.entry(parent).or_default();
                    *sure |= *certain;
                    *asks += usize::from(*question_like);
                    *all += 1;
                    groups.push(Some(parent));
                } else {
                    groups.push(None);
                }
            }
            _ => groups.push(None),
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let Some(parent) = group else {
                return false;
            };
            let named = parent.and_then(|p| match &marks[p] {
                Mark::Heading { text, .. } => Some(names_a_faq(text)),
                _ => None,
            });
            named == Some(true)
                || asking
                    .get(&parent)
                    .is_some_and(|(sure, asks, all)| *sure || asks * 2 >= *all)
        })
        .collect()
}

/// Headings that announce questions: "FAQ", "Frequently asked questions", "Troubleshooting".
/// In a document titled as a glossary ("Glossary", "Glossar", "用語集"), the level of the
/// headings that hold content below the title: each is a term, defined under it. `None` with
/// fewer than three such terms.
fn glossary_level(marks: &[Mark]) -> Option<usize> {
    let title = marks.iter().find_map(|m| match m {
        Mark::Heading { level, text, .. } if names_a_glossary(text) => Some(*level),
        _ => None,
    })?;
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for mark in marks {
        if let Mark::Heading {
            level,
            has_content: true,
            ..
        } = mark
        {
            if *level > title {
                *counts.entry(*level).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .filter(|(_, count)| *count >= 3)
        .max_by_key(|(level, count)| (*count, *level))
        .map(|(level, _)| level)
}

fn names_a_glossary(text: &str) -> bool {
    const WORDS: [&str; 11] = [
        "glossary",
        "glossar",
        "glossaire",
        "glosario",
        "glossário",
        "glossario",
        "глоссарий",
        "用語集",
        "术语表",
        "術語",
        "용어",
    ];
    let lower = text.to_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

fn names_a_faq(text: &str) -> bool {
    const WORDS: [&str; 25] = [
        "quiz",
        "exam",
        "examen",
        "exercises",
        "exercices",
        "interview",
        "questionnaire",
        "faq",
        "frequently asked",
        "troubleshooting",
        "q&a",
        "questions",
        "preguntas",
        "fragen",
        "常见问题",
        "问答",
        "面试",
        "よくある質問",
        "foire aux questions",
        "câu hỏi",
        "domande",
        "perguntas",
        "вопрос",
        "sorular",
        "질문",
    ];
    let lower = text.to_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

/// Headings that are a document's furniture, never a question.
fn is_chrome(text: &str) -> bool {
    const CHROME: [&str; 45] = [
        "contact",
        "contact us",
        "feedback",
        "get help",
        "getting help",
        "additional support",
        "still have questions",
        "still have a question",
        "still need help",
        "need more help",
        "need help",
        "more questions",
        "other questions",
        "any questions",
        "questions",
        "contents",
        "table of contents",
        "toc",
        "introduction",
        "intro",
        "overview",
        "summary",
        "conclusion",
        "license",
        "licence",
        "contributing",
        "contributions",
        "contributors",
        "references",
        "resources",
        "further reading",
        "credits",
        "acknowledgements",
        "acknowledgments",
        "about",
        "sponsors",
        "support",
        "see also",
        "notes",
        "changelog",
        "目录",
        "参考资料",
        "参考",
        "índice",
        "referencias",
    ];
    let word: String = text
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    CHROME.contains(&word.as_str())
}

/// What a document's headings showed, for deciding whether one heading is a question.
struct Context<'a> {
    /// The level of the question headings, if any.
    level: Option<usize>,
    /// Whether headings worded as statements are questions too.
    statements: bool,
    /// Per mark, whether it is in a group of headings that ask.
    asking_groups: Option<&'a [bool]>,
    /// The level of a glossary's term headings.
    glossary: Option<usize>,
}

impl Headings {
    /// Whether the heading at `index` of the marks is a question, given what the document's
    /// headings showed and the level of the question being read.
    fn heading_is_question(
        &self,
        index: usize,
        context: &Context<'_>,
        open_level: Option<usize>,
    ) -> bool {
        let Mark::Heading {
            level: h_level,
            text,
            question_like,
            certain,
            ends_with_question_mark,
            has_content,
            own_content,
            ..
        } = &self.marks[index]
        else {
            return false;
        };
        match context.level {
            None => false,
            Some(level) if *h_level == level => {
                let among_questions = self.pinned.is_some()
                    || context.glossary == Some(level)
                    || context.asking_groups.is_some_and(|g| g[index]);
                // A statement whose first content is a sub-heading is a section
                // ("Exercises" then "Fill in the blanks"), not a question.
                let by_wording = *question_like
                    || context.statements
                        && *has_content
                        && (*own_content || !holds_headings(&self.marks, index));
                (*certain || by_wording && among_questions) && !is_chrome(text)
            }
            // A stray `### What is a Higher Order Function? and how…` among
            // `####` questions: worded as a question, with content, no sub-headings.
            Some(level) if *h_level < level => {
                let misplaced =
                    *question_like && *has_content && !holds_headings(&self.marks, index);
                // `## Question 47.` then `### 48.`: one numbering over two levels;
                // a quiz question's options or revealed answer right under it.
                let runs_on = *has_content
                    && (numbering_runs_on(&self.marks, index)
                        || *ends_with_question_mark && answered_as_quiz(&self.marks, index));
                (*ends_with_question_mark || misplaced || runs_on)
                    && !is_chrome(text)
                    && (runs_on || !holds_questions(&self.marks, index, level))
            }
            // A sub-question under a question (`# ¿Qué símbolo …?` then
            // `## ¿Cuántos …?`) with content of its own is a card of its own.
            Some(_) => *ends_with_question_mark && (open_level.is_none() || *has_content),
        }
    }

    /// Records top-level lists whose every item is a task (`- [x] option`).
    fn follow_tasks(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        let depth = walk.containers.len();
        match event {
            Event::Start(pulldown_cmark::Tag::List(_)) if depth == 1 => {
                self.tasks = Some(TaskList {
                    range: range.clone(),
                    items: Vec::new(),
                });
            }
            Event::Start(pulldown_cmark::Tag::Item) if depth == 2 => {
                if let Some(tasks) = &mut self.tasks {
                    tasks
                        .items
                        .push((range.clone(), range.start, range.start, None));
                }
            }
            Event::TaskListMarker(checked) => {
                let item = self.tasks.as_mut().and_then(|t| t.items.last_mut());
                if let Some(item) = item.filter(|i| i.3.is_none() && range.start < i.0.end) {
                    let after = &walk.src[range.end..];
                    item.1 = range.end + (after.len() - after.trim_start_matches(' ').len());
                    item.2 = range.start;
                    item.3 = Some(*checked);
                }
            }
            Event::End(pulldown_cmark::TagEnd::List(_)) if depth == 1 => {
                let Some(tasks) = self.tasks.take() else {
                    return;
                };
                if !tasks.items.is_empty() && tasks.items.iter().all(|i| i.3.is_some()) {
                    self.marks.push(Mark::Options(tasks));
                }
            }
            _ => {}
        }
    }

    pub(crate) fn pinned(level: Option<usize>) -> Self {
        Headings {
            pinned: level,
            ..Headings::default()
        }
    }

    /// Follows `<details>` tags, recording the blocks that reveal an answer.
    fn details(&mut self, src: &str, range: &Range<usize>) {
        for (tag, closing, span) in tags(src, range) {
            let open = &mut self.details;
            match (tag, closing) {
                (Tag::Details, false) => {
                    open.depth += 1;
                    if open.depth == 1 {
                        let heading = self
                            .marks
                            .iter()
                            .rposition(|m| matches!(m, Mark::Heading { .. }));
                        *open = OpenDetails {
                            depth: 1,
                            start: span.start,
                            heading,
                            ..OpenDetails::default()
                        };
                    }
                }
                (Tag::Summary, false) if open.depth == 1 && open.inner.is_none() => {
                    open.summary = Some(span.end);
                }
                (Tag::Summary, true) if open.depth == 1 && open.inner.is_none() => {
                    let Some(summary) = open.summary.take() else {
                        continue;
                    };
                    let reveal =
                        reveals_answer(&strip_tags(&src[summary..span.start.max(summary)]));
                    open.inner = Some((span.end, reveal));
                    let Some(heading) = open.heading.filter(|_| reveal) else {
                        continue;
                    };
                    // A heading whose answer is revealed below it asks a question, whatever
                    // its wording (`## 第 1 题`).
                    let start = open.start;
                    open.reveal = Some(self.marks.len());
                    if let Some(Mark::Heading {
                        question_like,
                        certain,
                        ..
                    }) = self.marks.get_mut(heading)
                    {
                        *question_like = true;
                        *certain = true;
                    }
                    self.marks.push(Mark::Reveal {
                        start,
                        inner: span.end,
                        close: None,
                    });
                }
                (Tag::Details, true) if open.depth > 0 => {
                    open.depth -= 1;
                    if open.depth > 0 {
                        continue;
                    }
                    if let Some(Mark::Reveal { close, .. }) =
                        open.reveal.take().and_then(|i| self.marks.get_mut(i))
                    {
                        *close = Some(span);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Makes a revealed `<details>` block the open card's answer: what stood between the question
/// heading and the block (the question's code and options) joins the question, and the answer
/// is the block's inside, inner headings and all. Returns whether a card took it.
fn reveal_answer(
    src: &str,
    cards: &mut Cards,
    start: usize,
    inner: usize,
    close: &Range<usize>,
) -> bool {
    let Some(card) = cards.open.as_mut() else {
        return false;
    };
    if card.answer.start > start {
        return false;
    }
    let body = src[card.answer.start..start].trim();
    if !body.is_empty() {
        card.question.text = format!("{}\n\n{body}", card.question.text);
    }
    let mut answer = inner..close.start;
    let text = &src[answer.clone()];
    if let Some(rest) = text.trim_start().strip_prefix("<p>") {
        answer.start = close.start - rest.len();
    }
    if let Some(rest) = src[answer.clone()].trim_end().strip_suffix("</p>") {
        answer.end = answer.start + rest.len();
    }
    let end = answer.end;
    card.answer = answer;
    cards.close(end);
    true
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

/// Whether the heading at `index` has any heading below it before its next sibling.
fn holds_headings(marks: &[Mark], index: usize) -> bool {
    let Some(Mark::Heading { level: own, .. }) = marks.get(index) else {
        return false;
    };
    marks[index + 1..]
        .iter()
        .find_map(|mark| match mark {
            Mark::Heading { level, .. } => Some(level > own),
            _ => None,
        })
        .unwrap_or(false)
}

/// Whether the heading at `index` is followed, before the next heading, by quiz options
/// (`- [x]`) or a `<details>` block that reveals its answer.
fn answered_as_quiz(marks: &[Mark], index: usize) -> bool {
    marks[index + 1..]
        .iter()
        .take_while(|m| !matches!(m, Mark::Heading { .. }))
        .any(|m| matches!(m, Mark::Options(_) | Mark::Reveal { close: Some(_), .. }))
}

/// Whether the heading at `index` is numbered and the next numbered heading carries the next
/// number: a question in the document's numbering, not a numbered section whose questions
/// start again at 1.
fn numbering_runs_on(marks: &[Mark], index: usize) -> bool {
    let Some(Mark::Heading { question, .. }) = marks.get(index) else {
        return false;
    };
    let Some(number) = question.number else {
        return false;
    };
    marks[index + 1..]
        .iter()
        .find_map(|mark| match mark {
            Mark::Heading { question, .. } => question.number,
            _ => None,
        })
        .is_some_and(|next| next == number + 1)
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::source::parse;

    #[test]
    fn a_sub_question_with_content_is_a_card_of_its_own() {
        let text = "## What is a process?\n\nA running program.\n\n#### Why not a thread?\n\nThreads share memory.\n\n## What is a thread?\n\nA path of execution.\n";
        let document = parse(Path::new("os.md"), text);
        let cards = crate::source::pairs(&document.cards);
        assert_eq!(
            cards,
            [
                ("What is a process?", "A running program."),
                ("Why not a thread?", "Threads share memory."),
                ("What is a thread?", "A path of execution.")
            ]
        );
        assert!(document.diagnostics.is_empty());
    }

    #[test]
    fn a_question_heading_inside_an_answer_is_warned_about() {
        let text = "## What is a process?\n\nA running program.\n\n#### Why not a thread?\n#### Or a fiber?\n\nThreads share memory.\n\n## What is a thread?\n\nA path of execution.\n";
        let document = parse(Path::new("os.md"), text);
        let questions: Vec<&str> = document.cards.iter().map(|c| c.question.as_str()).collect();
        assert_eq!(
            questions,
            ["What is a process?", "Or a fiber?", "What is a thread?"]
        );
        assert!(document.cards[0].answer.contains("Why not a thread?"));
        let warned: Vec<(usize, &str)> = document
            .diagnostics
            .iter()
            .map(|d| (d.line, d.message.as_str()))
            .collect();
        assert_eq!(
            warned,
            [(
                5,
                "question heading read as part of the answer above it (it is deeper than the question headings and has no answer of its own): Why not a thread?"
            )]
        );
    }
}
