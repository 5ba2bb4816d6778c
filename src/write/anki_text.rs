//! Anki's own text rules for the derived note columns: `sfld` (sort field) and `csum` (checksum).
//!
//! Ports of `strip_html_preserving_media_filenames` and `field_checksum` from Anki's
//! `rslib/src/text.rs` and `rslib/src/notes/mod.rs` (anki-format.md §1.7). Anki recomputes
//! both on import, but old clients and add-ons read them as written.

use sha1::{Digest, Sha1};

/// `notes.csum`: the first four bytes of SHA-1 of the stripped first field, big-endian.
pub(crate) fn field_checksum(first_field: &str) -> u32 {
    let digest = Sha1::digest(strip_html_preserving_media_filenames(first_field).as_bytes());
    u32::from_be_bytes(digest[..4].try_into().expect("SHA-1 has 20 bytes"))
}

const MEDIA_TAGS: [&str; 5] = ["img", "audio", "video", "object", "source"];

/// Removes tags, comments, scripts and styles; media tags become ` filename `; entities are
/// decoded when the text holds an `&`.
pub fn strip_html_preserving_media_filenames(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut unclosed = Unclosed::default();
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        match skip_markup(tail, &mut unclosed) {
            Some((consumed, media)) => {
                if let Some(file) = media {
                    out.push(' ');
                    out.push_str(file);
                    out.push(' ');
                }
                rest = &tail[consumed..];
            }
            None => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    if out.contains('&') {
        decode_entities(&out).replace('\u{a0}', " ")
    } else {
        out
    }
}

/// Closing markup already known to be missing from the rest of the text. Once a search for
/// `-->` or `</style>` has run to the end in vain, every later one would too; remembering that
/// keeps thousands of unclosed `<style>` or `<!--` tags linear instead of quadratic.
#[derive(Debug, Default)]
struct Unclosed {
    comment: bool,
    style: bool,
    script: bool,
}

/// At a `<`, returns how many bytes the markup spans and, for a media tag, its file name.
fn skip_markup<'a>(tail: &'a str, unclosed: &mut Unclosed) -> Option<(usize, Option<&'a str>)> {
    if let Some(body) = tail.strip_prefix("<!--") {
        if !unclosed.comment {
            match body.find("-->") {
                Some(end) => return Some((4 + end + 3, None)),
                None => unclosed.comment = true,
            }
        }
    }
    for element in ["style", "script"] {
        let missing = if element == "style" {
            &mut unclosed.style
        } else {
            &mut unclosed.script
        };
        if !*missing && starts_with_ignore_case(&tail[1..], element) {
            if let Some(open_end) = tail.find('>') {
                let closing = format!("</{element}>");
                match find_ignore_case(&tail[open_end..], &closing) {
                    Some(close) => return Some((open_end + close + closing.len(), None)),
                    None => *missing = true,
                }
            }
        }
    }
    let end = tag_end(tail)?;
    let tag = &tail[..end];
    let name: String = tag[1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if MEDIA_TAGS.contains(&name.as_str()) {
        if let Some(file) = media_attribute(tag) {
            return Some((end, Some(file)));
        }
    }
    Some((end, None))
}

/// Byte length of the tag starting at `tail[0] == '<'`, through its `>`, skipping quoted values.
fn tag_end(tail: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in tail.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if tail.as_bytes()[i - 1] == b'=' => quote = Some(b),
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn media_attribute(tag: &str) -> Option<&str> {
    let lower = tag.to_ascii_lowercase();
    for attribute in ["src=", "data="] {
        let mut search = 0;
        while let Some(found) = lower[search..].find(attribute) {
            let at = search + found;
            search = at + attribute.len();
            let preceded_by_boundary =
                lower[..at].ends_with(|c: char| c.is_whitespace() || c == '"' || c == '\'');
            if !preceded_by_boundary {
                continue;
            }
            let value = &tag[at + attribute.len()..];
            return Some(match value.as_bytes().first() {
                Some(&q @ (b'"' | b'\'')) => {
                    let inner = &value[1..];
                    &inner[..inner.find(q as char)?]
                }
                _ => &value[..value.find([' ', '>']).unwrap_or(value.len())],
            });
        }
    }
    None
}

/// The offset of the first ASCII-case-insensitive occurrence of `needle` (ASCII) in `text`.
fn find_ignore_case(text: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    text.as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Decodes the entities HTML renderers and sanitisers emit; unknown ones stay as written.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail[1..]
            .find(';')
            .filter(|&semi| semi <= 10)
            .and_then(|semi| {
                let entity = &tail[1..1 + semi];
                let c = match entity {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some('\u{a0}'),
                    _ => entity
                        .strip_prefix("#x")
                        .or_else(|| entity.strip_prefix("#X"))
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                        .and_then(char::from_u32),
                };
                c.map(|c| (c, semi + 2))
            });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_test_vectors_from_anki() {
        assert_eq!(field_checksum("test"), 2_840_236_005);
        assert_eq!(field_checksum("今日"), 1_464_653_051);
        assert_eq!(field_checksum("<b>test</b>"), 2_840_236_005);
    }

    #[test]
    fn strips_tags_comments_and_scripts_and_keeps_media_names() {
        assert_eq!(
            strip_html_preserving_media_filenames(
                "a<!-- c --><b>b</b><script>x()</script><img src=\"cat.jpg\">"
            ),
            "ab cat.jpg "
        );
        assert_eq!(
            strip_html_preserving_media_filenames("<img class=x src=dog.png>"),
            " dog.png "
        );
        assert_eq!(
            strip_html_preserving_media_filenames("1 &lt; 2&nbsp;&amp; 3"),
            "1 < 2 & 3"
        );
        assert_eq!(strip_html_preserving_media_filenames("a < b"), "a < b");
        assert_eq!(
            strip_html_preserving_media_filenames("&#x41;&#66;&bogus;"),
            "AB&bogus;"
        );
    }
}
