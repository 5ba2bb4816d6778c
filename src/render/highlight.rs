//! Code blocks highlighted when the deck is built: highlighting by JavaScript inside the card
//! fails on AnkiMobile and offline, so the colours are classed spans styled by the card's CSS
//! (`templates/style.css`, with a night palette) and the card runs no script.
//!
//! It works on the sanitised HTML: the code's text is taken out of a
//! `<pre><code class="language-x">` block, highlighted by syntect (Sublime Text grammars), which
//! escapes every piece of text again, and put back as `<span class="hl-…">`; no markup of the
//! author's survives into the spans.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Prefix of every class the highlighter writes, so none collides with Anki's or the author's.
pub(crate) const CLASS_PREFIX: &str = "hl-";

/// Larger blocks stay plain: the grammars' regular expressions can take long on hostile input,
/// and a card that long is not read for its colours.
const MAX_CODE_BYTES: usize = 32 * 1024;

const OPEN: &str = "<pre><code class=\"language-";

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Whether `markdown` opens a fenced code block in a language the highlighter knows.
pub(crate) fn has_known_fence(markdown: &str) -> bool {
    if !has_fence(markdown) {
        return false;
    }
    markdown.lines().any(|line| {
        let line = line.trim_start();
        let info = line
            .strip_prefix("```")
            .or_else(|| line.strip_prefix("~~~"))
            .map(|rest| rest.trim_start_matches(['`', '~']).trim());
        info.and_then(|info| info.split_whitespace().next())
            .is_some_and(|language| syntaxes().find_syntax_by_token(language).is_some())
    })
}

/// Whether `markdown` holds three backticks or tildes in a row, which every code fence needs.
fn has_fence(markdown: &str) -> bool {
    // Byte by byte: a search for either of two chars decodes every character, and this runs
    // on every field.
    markdown
        .as_bytes()
        .windows(3)
        .any(|w| (w[0] == b'`' || w[0] == b'~') && w[1] == w[0] && w[2] == w[0])
}

/// [`highlight_code_blocks`] taking the HTML over: most answers have no code block, and keep
/// their HTML instead of being copied.
pub(crate) fn highlighted(html: String) -> String {
    if html.contains(OPEN) {
        highlight_code_blocks(&html)
    } else {
        html
    }
}

/// `html` with the code of every `<pre><code class="language-x">` block whose language syntect
/// knows highlighted; other blocks, and everything around them, are left as they are.
pub(crate) fn highlight_code_blocks(html: &str) -> String {
    if !html.contains(OPEN) {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len() * 2);
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        let after_open = &rest[start + OPEN.len()..];
        let Some(quote) = after_open.find('"') else {
            break;
        };
        let language = &after_open[..quote];
        let body_and_rest = &after_open[quote..];
        let Some(body) = body_and_rest.strip_prefix("\">") else {
            break;
        };
        let Some(end) = body.find("</code></pre>") else {
            break;
        };
        let head_len = start + OPEN.len() + quote + 2;
        out.push_str(&rest[..head_len]);
        match highlight(language, &body[..end]) {
            Some(spans) => out.push_str(&spans),
            None => out.push_str(&body[..end]),
        }
        out.push_str("</code></pre>");
        rest = &body[end + "</code></pre>".len()..];
    }
    out.push_str(rest);
    out
}

/// The escaped code `escaped` in `language` as classed spans, or `None` when the language is
/// unknown, the block is too large, or the code holds markup (only `--allow-html` lets it in).
fn highlight(language: &str, escaped: &str) -> Option<String> {
    if escaped.len() > MAX_CODE_BYTES || escaped.contains('<') {
        return None;
    }
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(language)?;
    let code = unescape(escaped);
    let style = ClassStyle::SpacedPrefixed {
        prefix: CLASS_PREFIX,
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, style);
    for line in LinesWithEndings::from(&code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}

/// Undoes the escaping the HTML serialisers apply to text (`&lt;`, `&gt;`, `&amp;`, `&quot;`,
/// `&nbsp;`, numeric references), so the highlighter sees the code as written.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let entity_end = tail.find(';').filter(|&end| end <= 10);
        let decoded = entity_end.and_then(|end| decode(&tail[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
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

fn decode(entity: &str) -> Option<char> {
    match entity {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let number = entity.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_become_classed_spans_and_text_stays_escaped() {
        let html = "<p>x</p>\n<pre><code class=\"language-rust\">fn main() { let s = &quot;&lt;b&gt;&amp;&quot;; }\n</code></pre>";
        let out = highlight_code_blocks(html);
        assert!(
            out.starts_with("<p>x</p>\n<pre><code class=\"language-rust\">"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"hl-storage hl-type hl-function hl-rust\">fn</span>"),
            "{out}"
        );
        assert!(out.contains("&lt;b&gt;&amp;"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        assert!(out.ends_with("</code></pre>"), "{out}");
        let mut text = String::new();
        let mut in_tag = false;
        for c in out.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let text = unescape(&text);
        assert!(text.contains("fn main() { let s = \"<b>&\"; }"), "{text}");
    }

    #[test]
    fn unknown_languages_markup_and_huge_blocks_stay_plain() {
        let unknown = "<pre><code class=\"language-nosuchlang\">a &lt; b\n</code></pre>";
        assert_eq!(highlight_code_blocks(unknown), unknown);
        let markup = "<pre><code class=\"language-python\"><b>x</b>\n</code></pre>";
        assert_eq!(highlight_code_blocks(markup), markup);
        let huge = format!(
            "<pre><code class=\"language-python\">{}</code></pre>",
            "x = 1\n".repeat(MAX_CODE_BYTES / 4)
        );
        assert_eq!(highlight_code_blocks(&huge), huge);
        let plain = "<pre><code>x = 1\n</code></pre>";
        assert_eq!(highlight_code_blocks(plain), plain);
    }

    #[test]
    fn known_fences_are_found_in_the_markdown() {
        assert!(has_known_fence("x\n\n   ```rust\nfn f() {}\n```"));
        assert!(has_known_fence("~~~ python\nx = 1\n~~~"));
        assert!(!has_known_fence("```\nplain\n```"));
        assert!(!has_known_fence("```nosuchlang\nx\n```"));
        assert!(!has_known_fence("no code"));
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            unescape("&lt;&gt;&amp;&quot;&#39;&#x41;&nbsp;&bogus; & x"),
            "<>&\"'A\u{a0}&bogus; & x"
        );
    }
}
