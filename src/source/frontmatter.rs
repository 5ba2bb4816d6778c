//! Reads the small YAML front matter blogs put at the top of a post, without pulling in a YAML library.
//!
//! deckforge needs three scalar keys from it (`title`, `deck`, `deck_id`), so a reader of
//! `key: value` lines with quoted and folded scalars is enough; anything else is ignored.

use std::collections::BTreeMap;

/// The scalar keys of a front matter block, and where the Markdown body starts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub values: BTreeMap<String, String>,
    /// Number of lines the block occupies, fences included (0 when there is none).
    pub line_count: usize,
}

impl FrontMatter {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The display title, cleaned of the leading spaces and `YYYY-MM-DD-` prefix that
    /// static site generators leave in post titles.
    pub fn title(&self) -> Option<String> {
        self.get("title").map(clean_title).filter(|t| !t.is_empty())
    }
}

/// Strips whitespace and a Jekyll-style `2024-09-25-` date prefix.
pub(crate) fn clean_title(raw: &str) -> String {
    let trimmed = raw.trim();
    let bytes = trimmed.as_bytes();
    let is_date_prefix = bytes.len() > 11
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
        && matches!(bytes[10], b'-' | b' ' | b'_');
    let without_date = if is_date_prefix {
        &trimmed[11..]
    } else {
        trimmed
    };
    without_date.trim().to_string()
}

/// Parses a front matter block if `text` starts with a `---` fence line.
pub fn parse(text: &str) -> FrontMatter {
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return FrontMatter::default(),
    }
    let mut values = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut line_count = 1;
    let mut closed = false;
    for line in lines {
        line_count += 1;
        let content = line.trim_end_matches(['\n', '\r']);
        if content == "---" || content == "..." {
            closed = true;
            break;
        }
        // `- item` lines, indented or not, are a block list under the key above them.
        let list_item = content == "-" || content.starts_with("- ");
        let continues_value = (content.starts_with([' ', '\t']) || list_item) && current.is_some();
        if continues_value {
            if let Some(key) = &current {
                let value: &mut String = values.entry(key.clone()).or_default();
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(content.trim());
            }
            continue;
        }
        current = None;
        if let Some((key, value)) = content.split_once(':') {
            let key = key.trim();
            if key.is_empty() || key.starts_with('#') || key.contains(' ') {
                continue;
            }
            values.insert(key.to_string(), unquote(value.trim()));
            current = Some(key.to_string());
        }
    }
    if !closed {
        return FrontMatter::default();
    }
    FrontMatter { values, line_count }
}

fn unquote(value: &str) -> String {
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        let inner = &value[1..value.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        value[1..value.len() - 1].replace("''", "'")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_title_and_cleans_it() {
        let fm = parse(
            "---\ntitle: \" 2024-09-25-Top 100 MLOps interview questions and answers\"\ndescription: Here is a list and\n  more text.\nlayout: post\n---\nBody\n",
        );
        assert_eq!(
            fm.title().as_deref(),
            Some("Top 100 MLOps interview questions and answers")
        );
        assert_eq!(fm.get("description"), Some("Here is a list and more text."));
        assert_eq!(fm.line_count, 6);
    }

    #[test]
    fn no_front_matter_without_an_opening_fence() {
        assert_eq!(parse("# Title\n---\n"), FrontMatter::default());
    }

    #[test]
    fn an_unclosed_block_is_not_front_matter() {
        assert_eq!(parse("---\ntitle: x\n"), FrontMatter::default());
    }

    #[test]
    fn single_quotes_and_plain_titles() {
        assert_eq!(
            parse("---\ntitle: 'It''s'\n---\n").title().as_deref(),
            Some("It's")
        );
        assert_eq!(clean_title("2024-01-02 Notes"), "Notes");
        assert_eq!(clean_title("2024 plans"), "2024 plans");
    }
}
