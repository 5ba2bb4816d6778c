//! Numbered questions written in another style inside the previous answer: under
//! `##### 26.抽象类与接口？` an author writes `27.string与stringbuffer的区别？` as a plain paragraph.
//! Its number continues the run, so it is a question of its own rather than part of the answer;
//! every layout's cards get the same check, on the ranges already found (no second parse).

use super::question::{ends_with_question_mark, is_ideograph};
use super::{RawCard, clean_question, question_like};

/// Splits a card whose answer holds a paragraph numbered as its successor (`N+1.`) that reads
/// as a question; the split-off card keeps the section and takes the rest of the answer. The
/// cards come one at a time, so a layout's cards are never held twice.
pub(crate) fn split(src: &str, card: RawCard) -> impl Iterator<Item = RawCard> + '_ {
    let mut pending = Some(card);
    std::iter::from_fn(move || {
        let mut card = pending.take()?;
        if let Some(next) = successor(src, &card) {
            let end = src[next..].find('\n').map_or(src.len(), |i| next + i);
            pending = Some(RawCard {
                question: clean_question(src[next..end].trim(), None),
                at: next,
                section: card.section.clone(),
                answer: end..card.answer.end.max(end),
                dedent: card.dedent,
            });
            card.answer.end = next;
        }
        Some(card)
    })
}

/// Where, in `card`'s answer, a lone top-level line numbered `N+1` asks a question.
fn successor(src: &str, card: &RawCard) -> Option<usize> {
    let wanted = card.question.number?.checked_add(1)?;
    let answer = src.get(card.answer.clone())?;
    let mut at = card.answer.start;
    let mut fenced = false;
    let mut blank_before = false;
    let mut lines = answer.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced
            && blank_before
            && !line.starts_with([' ', '\t', '>', '#', '-', '*', '|'])
            && lines.peek().is_none_or(|next| next.trim().is_empty())
        {
            let parts = clean_question(trimmed, None);
            // A numbered step of the answer ("2. Create a file") is no question: only a `?`
            // or a Chinese question counts.
            let asks = ends_with_question_mark(&parts.text)
                || parts.text.contains(is_ideograph) && question_like(&parts.text, false);
            if parts.number == Some(wanted) && asks {
                return Some(at);
            }
        }
        blank_before = trimmed.is_empty();
        at += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::line_end;
    use super::*;

    fn card(src: &str, question: &str, number: u32) -> RawCard {
        let at = src.find(question).unwrap();
        RawCard {
            question: clean_question(question, Some(number)),
            at,
            section: Arc::from(Vec::new()),
            answer: line_end(src, at)..src.len(),
            dedent: 0,
        }
    }

    #[test]
    fn a_question_numbered_as_the_next_one_is_split_off() {
        let src = "##### 26.抽象类与接口？\n\n接口没有实现。\n\n27.string与stringbuffer的区别？\n\nstring不可变。\n";
        let cards: Vec<RawCard> = split(src, card(src, "26.抽象类与接口？", 26)).collect();
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[1].question.text, "string与stringbuffer的区别？");
        assert_eq!(cards[1].question.number, Some(27));
        assert!(src[cards[0].answer.clone()].contains("接口没有实现"));
        assert!(!src[cards[0].answer.clone()].contains("27."));
        assert!(src[cards[1].answer.clone()].contains("string不可变"));
    }

    #[test]
    fn other_numbers_statements_and_code_stay_in_the_answer() {
        for inner in [
            "5.什么是饥饿？",
            "2. The second step of the answer",
            "2. Create a file",
            "```\n2.什么是饥饿？\n```",
            "2.什么是饥饿？\n还有一行。",
        ] {
            let src = format!("### 1. What is a deadlock?\n\nIt is a wait.\n\n{inner}\n\nMore.\n");
            let cards: Vec<RawCard> =
                split(&src, card(&src, "1. What is a deadlock?", 1)).collect();
            assert_eq!(cards.len(), 1, "{inner}");
        }
    }
}
