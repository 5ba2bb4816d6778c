//! Cuts a large document into pieces that parse exactly as they would whole, because
//! pulldown-cmark builds a tree of its entire input before the first event (a million cards:
//! gigabytes); parsing piece by piece bounds that.

/// Pieces are at least this long; smaller documents are parsed whole.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Where to cut `src` into pieces of at least [`CHUNK_BYTES`] that parse as they would in the
/// whole: each piece but the last ends before a `#` heading at the start of a line, after a
/// blank line, outside fenced code and HTML comments. Such a heading closes every open block
/// (lists, quotes, paragraphs, HTML blocks that end at a blank line), so no block spans a cut.
/// Documents with raw HTML blocks that may run past blank lines, or with link reference
/// definitions (`[name]: url`, usable from anywhere in the document), are not cut at all.
pub(crate) fn chunk_ends(src: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    if src.len() > CHUNK_BYTES && !has_unbounded_html_block(src) && !has_reference_definitions(src)
    {
        let mut fence: Option<(u8, usize)> = None;
        let mut in_comment = false;
        let mut previous_blank = false;
        let mut chunk_start = 0;
        let mut offset = 0;
        // Front matter may hold `# comments`; it is never cut.
        let body = front_matter_end(src);
        for line in src.split_inclusive('\n') {
            let line_start = offset;
            offset += line.len();
            let trimmed = line.trim_start_matches(' ');
            let indent = line.len() - trimmed.len();
            if let Some((marker, count)) = fence {
                let run = trimmed.bytes().take_while(|&b| b == marker).count();
                if indent <= 3 && run >= count && trimmed[run..].trim().is_empty() {
                    fence = None;
                }
                previous_blank = false;
                continue;
            }
            if in_comment {
                in_comment = !line.contains("-->");
                previous_blank = false;
                continue;
            }
            if line_start >= body
                && previous_blank
                && line.starts_with('#')
                && line_start - chunk_start >= CHUNK_BYTES
            {
                ends.push(line_start);
                chunk_start = line_start;
            }
            let run = |marker: u8| trimmed.bytes().take_while(|&b| b == marker).count();
            if indent <= 3 && (run(b'`') >= 3 || run(b'~') >= 3) {
                let marker = trimmed.as_bytes()[0];
                fence = Some((marker, run(marker)));
            }
            if let Some(open) = line.rfind("<!--") {
                in_comment = !line[open..].contains("-->");
            }
            previous_blank = line.trim().is_empty();
        }
    }
    ends.push(src.len());
    ends
}

/// Whether a line looks like a link reference definition, `[label]: destination`.
fn has_reference_definitions(src: &str) -> bool {
    src.lines().any(|line| {
        let trimmed = line.trim_start_matches(' ');
        line.len() - trimmed.len() <= 3
            && trimmed.starts_with('[')
            && trimmed
                .find("]:")
                .is_some_and(|close| close > 1 && !trimmed[1..close].contains(']'))
    })
}

/// Whether `src` may hold an HTML block that runs past blank lines and headings (CommonMark
/// HTML block kinds 1, 3, 4 and 5); kind 2, comments, is tracked line by line instead.
fn has_unbounded_html_block(src: &str) -> bool {
    src.match_indices('<').any(|(at, _)| {
        let rest = &src.as_bytes()[at + 1..];
        let starts = |tag: &str| {
            rest.len() >= tag.len() && rest[..tag.len()].eq_ignore_ascii_case(tag.as_bytes())
        };
        match rest.first() {
            Some(b'?') => true,
            Some(b'!') => rest
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'['),
            _ => ["script", "pre", "style", "textarea"]
                .iter()
                .any(|t| starts(t)),
        }
    })
}

/// The offset just past YAML front matter (`---` ... `---` or `...`), 0 without any, and the
/// whole text when it is never closed.
fn front_matter_end(src: &str) -> usize {
    let mut lines = src.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return 0;
    }
    let mut offset = src.find('\n').map_or(src.len(), |i| i + 1);
    for line in lines {
        offset += line.len();
        if matches!(line.trim_end(), "---" | "...") {
            return offset;
        }
    }
    src.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::LayoutChoice;
    use crate::source::layout::{extract, extract_whole};

    #[test]
    fn parsing_in_chunks_finds_what_parsing_the_whole_finds() {
        let seed = include_str!("../../../examples/mlops-interview-questions.md");
        let body = seed.split_once("\n---\n").unwrap().1;
        let tricky = [
            "\n```md\n\n# not a heading in a fence\n\n```\n",
            "\n<!--\n\n# not a heading in a comment\n\n-->\n",
            "\n> quoted\n\n# a heading after a quote\n",
            "\n1.  **Lazy?**\n\n-   **Answer:** a\n   ```\n\n# cut?\n   ```\n",
        ];
        let mut src = seed.to_string();
        let mut i = 0;
        while src.len() < 3 * CHUNK_BYTES {
            src.push_str(body);
            src.push_str(tricky[i % tricky.len()]);
            i += 1;
        }
        assert!(chunk_ends(&src).len() > 2, "the document is cut");
        let chunked = extract(&src, LayoutChoice::Auto);
        let whole = extract_whole(&src, LayoutChoice::Auto);
        assert!(chunked.cards.len() > 1000);
        assert_eq!(chunked.cards, whole.cards);
        assert_eq!(chunked.unanswered, whole.unanswered);
        assert_eq!(chunked.title_heading, whole.title_heading);
        let with_html = format!("{src}\n<pre>\n\n# x\n</pre>\n");
        assert_eq!(chunk_ends(&with_html), [with_html.len()]);
        let with_reference = format!("{src}\n[docs]: https://example.com\n");
        assert_eq!(chunk_ends(&with_reference), [with_reference.len()]);
    }
}
