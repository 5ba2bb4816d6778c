//! Question-like list items that no reading turned into a card: study guides list questions
//! without answers (`- What is a dangling image?`), and a reader that skips them silently
//! hides that the deck is smaller than the document looks. One warning per run of such items,
//! found in one pass over the lines (fenced code skipped).

use std::ops::Range;

use super::question::ends_with_question_mark;

/// Runs of list items ending with `?` outside every span in `covered` (sorted by start), after
/// `body`: (offset of the first item, its text, how many items, the line of the last one).
pub(crate) fn runs(
    src: &str,
    body: usize,
    covered: &[Range<usize>],
) -> Vec<(usize, String, usize)> {
    let mut out: Vec<(usize, String, usize)> = Vec::new();
    let mut open: Option<(usize, String, usize)> = None;
    let mut fence: Option<&str> = None;
    let mut at = body;
    for line in src[body..].split_inclusive('\n') {
        let trimmed = line.trim();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if m == open && trimmed.trim_start_matches(m).is_empty() => {
                fence = None
            }
            _ => {}
        }
        let item = fence.is_none().then(|| item_text(line)).flatten();
        let asks = item.filter(|text| ends_with_question_mark(text) && !inside(covered, at));
        match (asks, &mut open) {
            (Some(text), None) => open = Some((at, text.to_string(), 1)),
            (Some(_), Some((_, _, count))) => *count += 1,
            (None, _) if !trimmed.is_empty() && item.is_none() => out.extend(open.take()),
            _ => {}
        }
        at += line.len();
    }
    out.extend(open);
    out
}

/// The text of a list item line (`- x`, `* x`, `+ x`, `1. x`, `1) x`), any indentation.
fn item_text(line: &str) -> Option<&str> {
    let rest = line.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = if digits > 0 {
        rest[digits..].strip_prefix(['.', ')'])?
    } else {
        rest.strip_prefix(['-', '*', '+'])?
    };
    after.starts_with([' ', '\t']).then(|| after.trim())
}

fn inside(covered: &[Range<usize>], at: usize) -> bool {
    let after = covered.partition_point(|s| s.start <= at);
    after > 0 && covered[after - 1].end > at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_unanswered_question_items_outside_cards() {
        let src = "## Q\n\nanswer\n\n- What is a pod?\n- What is a node?\n  - What is kubelet?\n\nText.\n\n```\n- Is this code?\n```\n\n1. Why me?\n";
        let covered = 0..src.find("answer").unwrap() + 6;
        let runs = runs(src, 0, std::slice::from_ref(&covered));
        let summary: Vec<(&str, usize)> = runs.iter().map(|(_, t, n)| (t.as_str(), *n)).collect();
        assert_eq!(summary, [("What is a pod?", 3), ("Why me?", 1)]);
        let inside_card = runs_in_card(src);
        assert!(inside_card.is_empty());
    }

    fn runs_in_card(src: &str) -> Vec<(usize, String, usize)> {
        let all = 0..src.len();
        runs(src, 0, std::slice::from_ref(&all))
    }
}
