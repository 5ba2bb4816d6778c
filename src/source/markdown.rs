//! The Markdown dialect deckforge reads, and the text helpers every layout shares.
//!
//! Which blocks are questions and answers is decided by the layouts in [`super::layout`]; this
//! module keeps the parser options (so extraction and rendering see the same document) and the
//! text helpers; it is a leaf the layouts import, never the other way round.

use pulldown_cmark::Options;

/// Parser options shared by extraction and rendering, so both see the same document.
///
/// Metadata blocks stay off: pulldown-cmark recognises a `---` line anywhere as the start of
/// one and swallows everything up to the next `---` or `...` line. Front matter is blanked out
/// before parsing instead (see [`super::layout`]).
pub(crate) fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_DEFINITION_LIST
}

/// Joins soft line breaks and runs of whitespace into single spaces.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    // Into one string, without a list of the words: every question of a document passes here.
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Removes up to `columns` columns of leading whitespace from every line but the first,
/// which starts mid-line (after a label or question) and is left as it is.
pub(crate) fn dedent(text: &str, columns: usize) -> String {
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

    #[test]
    fn dedent_keeps_the_first_line_and_handles_tabs() {
        assert_eq!(dedent(" a\n    b\n  c\n", 4), " a\nb\nc\n");
        assert_eq!(dedent("x\n\t- y\n", 2), "x\n  - y\n");
    }
}
