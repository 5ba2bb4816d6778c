//! FAQ blocks: `<details><summary>Question</summary> answer </details>`.
//!
//! pulldown-cmark hands raw HTML over as text, so the `details` and `summary` tags are found in
//! the HTML events' source; the answer between `</summary>` and `</details>` may be Markdown
//! blocks or HTML. Nested `<details>` (a "deep dive" inside an answer) stay in the answer.

use std::ops::Range;

use pulldown_cmark::Event;

use super::question::{ends_with_question_mark, is_ideograph};
use super::{
    Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question, visual_column,
};

#[derive(Debug, Default)]
pub(crate) struct Details {
    depth: usize,
    /// The outer `<details>` tag's start and column.
    outer: Option<(usize, usize)>,
    summary_start: Option<usize>,
    /// A nested `<details>` tag's start and column, and where its summary's text starts.
    inner: Option<(usize, usize)>,
    inner_summary: Option<usize>,
    /// A follow-up question's card is open: it ends with its own `</details>`.
    follow_up: bool,
    sections: Sections,
    cards: Cards,
}

impl Details {
    /// A nested `<details>` whose summary is labelled a follow-up question (`꼬리질문1: …`,
    /// `Follow-up: …`) is a card of its own, not a deep dive inside the outer answer.
    fn follow_up_question(&mut self, src: &str, span: &Range<usize>) {
        let (Some(start), Some((at, column))) = (self.inner_summary.take(), self.inner) else {
            return;
        };
        let summary = strip_tags(&src[start..span.start.max(start)]);
        let Some(question) = follow_up_text(summary.trim()) else {
            return;
        };
        self.follow_up = true;
        self.cards.open(RawCard {
            question: clean_question(question, None),
            at,
            section: self.sections.path(),
            answer: span.end..src.len(),
            dedent: column,
        });
    }
}

/// Labels of a follow-up question, the word before its number and colon.
const FOLLOW_UP_LABELS: [&str; 4] = ["꼬리질문", "follow-up question", "follow-up", "追问"];

/// The question after a follow-up label (`꼬리질문2: …`, `Follow-up: …`).
fn follow_up_text(summary: &str) -> Option<&str> {
    let lower = summary.to_lowercase();
    let word = FOLLOW_UP_LABELS
        .into_iter()
        .find(|w| lower.starts_with(w))?;
    // Lowercasing keeps these words' byte lengths, so the offset holds in `summary`.
    let rest = summary.get(word.len()..)?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
    let rest = rest.strip_prefix([':', '：', '.'])?.trim();
    (!rest.is_empty()).then_some(rest)
}

impl Extractor for Details {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        if !matches!(event, Event::Html(_) | Event::InlineHtml(_)) {
            return;
        }
        let src = walk.src;
        for (tag, closing, span) in tags(src, range) {
            match (tag, closing) {
                (Tag::Details, false) => {
                    self.depth += 1;
                    if self.depth == 1 {
                        self.outer = Some((span.start, visual_column(src, span.start)));
                        self.summary_start = None;
                    } else if self.depth == 2 {
                        self.inner = Some((span.start, visual_column(src, span.start)));
                        self.inner_summary = None;
                    }
                }
                (Tag::Details, true) if self.depth == 2 && self.follow_up => {
                    self.cards.close(span.start);
                    self.follow_up = false;
                    self.depth -= 1;
                }
                (Tag::Details, true) => {
                    if self.depth == 1 {
                        self.cards.close(span.start);
                        self.outer = None;
                    }
                    self.depth = self.depth.saturating_sub(1);
                }
                (Tag::Summary, false) if self.depth == 1 && self.cards.open.is_none() => {
                    self.summary_start = Some(span.end);
                }
                (Tag::Summary, false) if self.depth == 2 => self.inner_summary = Some(span.end),
                (Tag::Summary, true) if self.depth == 2 => self.follow_up_question(src, &span),
                (Tag::Summary, true) if self.depth == 1 => {
                    let (Some(start), Some((at, column))) = (self.summary_start.take(), self.outer)
                    else {
                        continue;
                    };
                    let question = strip_tags(&src[start..span.start.max(start)]);
                    // "Show answer" reveals the answer to a question asked above the block.
                    if question.trim().is_empty() || reveals_answer(&question) {
                        continue;
                    }
                    self.sections.seen_question = true;
                    self.cards.open(RawCard {
                        question: clean_question(&question, None),
                        at,
                        section: self.sections.path(),
                        answer: span.end..src.len(),
                        dedent: column,
                    });
                }
                _ => {}
            }
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        if heading.top_level && self.depth == 0 {
            self.sections.heading(heading.level, &heading.text);
        }
    }

    fn finish(self: Box<Self>, walk: &Walk<'_>) -> Found {
        let mut cards = self.cards;
        // An unclosed `<details>` has no reliable end; its card is dropped.
        cards.open = None;
        cards.finish(walk.src.len(), self.sections.title)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Details,
    Summary,
}

/// The `details` and `summary` tags in `src[range]`: (tag, closing, byte span).
pub(crate) fn tags(src: &str, range: &Range<usize>) -> Vec<(Tag, bool, Range<usize>)> {
    let text = &src[range.clone()];
    let mut found = Vec::new();
    let mut from = 0;
    // The next `>` is found once for every `<` before it, so a run of `<` stays linear.
    let mut next_close: Option<usize> = None;
    while let Some(open) = text[from..].find('<') {
        let start = from + open;
        let rest = &text[start + 1..];
        let (closing, name_at) = match rest.strip_prefix('/') {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let name_len = name_at
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(name_at.len());
        let name = name_at[..name_len].to_ascii_lowercase();
        let close = match next_close.filter(|&at| at > start) {
            Some(at) => at,
            None => match text[start..].find('>') {
                Some(at) => start + at,
                None => break,
            },
        };
        next_close = Some(close);
        let end = close + 1;
        let tag = match name.as_str() {
            "details" => Some(Tag::Details),
            "summary" => Some(Tag::Summary),
            _ => None,
        };
        if let Some(tag) = tag {
            found.push((tag, closing, range.start + start..range.start + end));
        }
        from = start + 1;
    }
    found
}

/// Whether a `<summary>` text announces the answer rather than asking a question.
pub(crate) fn reveals_answer(summary: &str) -> bool {
    const WORDS: [&str; 52] = [
        "展开",
        "展開",
        "显示",
        "点击",
        "點擊",
        "펼치기",
        "보기",
        "показать",
        "развернуть",
        "mostrar",
        "ver",
        "afficher",
        "voir",
        "anzeigen",
        "resposta",
        "solução",
        "risposta",
        "soluzione",
        "antwoord",
        "oplossing",
        "ответ",
        "答え",
        "解説",
        "정답",
        "cevap",
        "answer",
        "solution",
        "show",
        "reveal",
        "click",
        "expand",
        "respuesta",
        "solución",
        "réponse",
        "antwort",
        "lösung",
        "答案",
        "解答",
        "答",
        "解析",
        "回答",
        // An explanation shown on demand is the answer's reasoning, revealed like it.
        "explanation",
        "explicación",
        "explicação",
        "explication",
        "spiegazione",
        "erklärung",
        "erläuterung",
        "объяснение",
        "пояснение",
        "解释",
        "解說",
    ];
    let lower = summary.trim().to_lowercase();
    if lower.is_empty() || ends_with_question_mark(&lower) {
        return false;
    }
    // Whole words only, so "Describe DNS resolution" is no reveal; ideographic
    // words stand without spaces around them.
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    WORDS.iter().any(|w| {
        if w.chars().any(is_ideograph) || w.chars().any(|c| !c.is_ascii() && !c.is_alphabetic()) {
            lower.contains(w)
        } else {
            // "Show me how DNS works" asks; "Click to show the answer" reveals.
            words.len() <= 5
                && words
                    .iter()
                    .any(|word| word == w || word.strip_suffix('s') == Some(w))
        }
    })
}

/// The text of an HTML fragment without its tags.
pub(crate) fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_labels() {
        assert_eq!(follow_up_text("꼬리질문1: 왜요?"), Some("왜요?"));
        assert_eq!(follow_up_text("Follow-up: Why?"), Some("Why?"));
        assert_eq!(follow_up_text("Follow-up question 2. Why?"), Some("Why?"));
        assert_eq!(follow_up_text("Follow-ups are welcome"), None);
        assert_eq!(follow_up_text("꼬리질문:"), None);
    }

    #[test]
    fn finds_details_and_summary_tags() {
        let src = "x <details open><summary><b>Q?</b></summary> y </details>";
        let found: Vec<_> = tags(src, &(0..src.len()))
            .into_iter()
            .map(|(t, c, r)| (t, c, &src[r]))
            .collect();
        assert_eq!(
            found,
            vec![
                (Tag::Details, false, "<details open>"),
                (Tag::Summary, false, "<summary>"),
                (Tag::Summary, true, "</summary>"),
                (Tag::Details, true, "</details>"),
            ]
        );
        assert_eq!(strip_tags("<b>Q?</b>"), "Q?");
    }

    #[test]
    fn reveals_are_told_from_questions_by_whole_words() {
        for reveal in [
            "Answer",
            "Show answer",
            "Click to expand",
            "第 1 题的答案",
            "Resposta",
        ] {
            assert!(reveals_answer(reveal), "{reveal}");
        }
        for question in [
            "Describe DNS resolution workflow in high-level",
            "What is the resolution sequence of: www.site.com",
            "Show me how a resolver walks the tree, step by step, from the root",
            "What is the answer to everything?",
        ] {
            assert!(!reveals_answer(question), "{question}");
        }
    }
}
