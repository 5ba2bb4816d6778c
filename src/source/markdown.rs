//! The Markdown dialect deckforge reads, and the text helpers every layout shares.
//!
//! Which blocks are questions and answers is decided by the layouts in [`super::layout`]; this
//! module keeps the parser options (so extraction and rendering see the same document) and the
//! entry point that detects the layout.

use pulldown_cmark::Options;

pub use super::layout::Extracted;
use super::layout::{LayoutChoice, extract as extract_layout};

/// Parser options shared by extraction and rendering, so both see the same document.
///
/// Metadata blocks stay off: pulldown-cmark recognises a `---` line anywhere as the start of
/// one and swallows everything up to the next `---` or `...` line. Front matter is blanked out
/// before parsing instead (see [`super::layout`]).
pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_DEFINITION_LIST
}

/// Extracts every question of `src` (the whole file, front matter included), detecting its layout.
pub fn extract(src: &str) -> Extracted {
    extract_layout(src, LayoutChoice::Auto)
}

/// Joins soft line breaks and runs of whitespace into single spaces.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes up to `columns` columns of leading whitespace from every line but the first,
/// which starts mid-line (after a label or question) and is left as it is.
pub fn dedent(text: &str, columns: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if index == 0 || columns == 0 {
            out.push_str(line);
            continue;
        }
        let mut col = 0;
        let mut cut = 0;
        for (i, c) in line.char_indices() {
            let width = match c {
                ' ' => 1,
                '\t' => 4 - col % 4,
                _ => break,
            };
            if col + width > columns {
                // A tab that straddles the cut keeps its remaining width as spaces.
                out.extend(std::iter::repeat_n(' ', col + width - columns));
                cut = i + 1;
                break;
            }
            col += width;
            cut = i + c.len_utf8();
            if col == columns {
                break;
            }
        }
        out.push_str(&line[cut..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions(src: &str) -> Vec<(String, String)> {
        extract(src)
            .cards
            .into_iter()
            .map(|c| (c.question, c.answer))
            .collect()
    }

    #[test]
    fn answer_nested_inside_the_item() {
        let src = "1.  **What is X?**\n    \n    -   **Answer:** X is Y.\n2.  **Why?**\n    \n    -   **Answer:** Because.\n";
        assert_eq!(
            questions(src),
            vec![
                ("What is X?".into(), "X is Y.".into()),
                ("Why?".into(), "Because.".into())
            ]
        );
    }

    #[test]
    fn answer_after_the_item_after_extra_blank_lines() {
        let src = "10.  **What is a registry?**\n    \n\n-   **Answer:** A store.\n\n11.  **Next?**\n\n-   **Answer:** Yes.\n";
        let cards = extract(src).cards;
        assert_eq!(cards[0].answer, "A store.");
        assert_eq!(cards[0].number, Some(10));
        assert_eq!(cards[1].number, Some(11));
        assert_eq!(cards[1].line, 6);
    }

    #[test]
    fn answer_over_sibling_bullets_stays_a_list() {
        let src = "72.  **Techniques?**\n\n-   **Answer:** Common techniques include:\n-   SHAP: a.\n-   LIME: b.\n\n73.  **Next?**\n\n-   **Answer:** c\n";
        let cards = extract(src).cards;
        assert_eq!(
            cards[0].answer,
            "Common techniques include:\n-   SHAP: a.\n-   LIME: b."
        );
    }

    #[test]
    fn nested_sub_bullets_and_an_empty_label_line() {
        let src = "98.  **Roles?**\n\n-   **Answer:**\n    -   **Data:** pipelines.\n    -   **Ops:** infra.\n\n----------\n\nClosing words.\n";
        let cards = extract(src).cards;
        assert_eq!(cards.len(), 1);
        assert_eq!(
            cards[0].answer,
            "-   **Data:** pipelines.\n-   **Ops:** infra."
        );
    }

    #[test]
    fn sections_come_from_headings_and_rules_end_answers() {
        let src = "# Title\n\nIntro **bold** text.\n\n### **First**\n\n1.  **Q1?**\n\n-   **Answer:** A1.\n\n### **Second**\n\n2.  **Q2?**\n\n-   **Answer:** A2.\n\n---\n\nOutro.\n";
        let extracted = extract(src);
        assert_eq!(extracted.title_heading.as_deref(), Some("Title"));
        let cards = extracted.cards;
        assert_eq!(cards.len(), 2);
        assert_eq!(*cards[0].section, ["First".to_string()]);
        assert_eq!(*cards[1].section, ["Second".to_string()]);
        assert_eq!(cards[1].answer, "A2.");
    }

    #[test]
    fn an_item_that_is_not_entirely_bold_is_not_a_question() {
        let src = "1.  **Bold** then text\n\n-   **Answer:** nothing\n";
        assert!(extract(src).cards.is_empty());
    }

    #[test]
    fn a_question_without_an_answer_is_reported() {
        let extracted = extract("1.  **Lonely?**\n\n2.  **Other?**\n\n-   **Answer:** yes\n");
        assert_eq!(extracted.cards.len(), 1);
        assert_eq!(extracted.unanswered, vec![(1, 1, "Lonely?".to_string())]);
    }

    #[test]
    fn label_with_the_colon_outside_the_bold() {
        let cards = extract("1. **Q?**\n   - **Answer**: text\n").cards;
        assert_eq!(cards[0].answer, "text");
    }

    #[test]
    fn dedent_keeps_the_first_line_and_handles_tabs() {
        assert_eq!(dedent(" a\n    b\n  c\n", 4), " a\nb\nc\n");
        assert_eq!(dedent("x\n\t- y\n", 2), "x\n  - y\n");
    }
}
