//! The normalised question: the text a note's identity is keyed by, so questions that look the
//! same to the author (NFD or NFC, full-width letters, invisible characters, emphasis) are one
//! question, and questions that read differently (`snake_case`, `snakecase`) are two.

use std::borrow::Cow;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// `text` in Unicode's composed form (NFC), as Anki stores text, borrowed when it already is,
/// as nearly all text is. An editor that saves `é` as `e` + U+0301 (some macOS tools do)
/// changes nothing a learner sees, so it must change no card either.
pub(crate) fn composed(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    }
}

/// Folds the noise authors introduce without meaning to: Unicode forms, invisible format
/// characters, case, whitespace, Markdown emphasis and code markers, and spacing around
/// punctuation.
///
/// Compatibility forms are folded (NFKC: `Ｆ` is `F`, `ﬁ` is `fi`) except superscripts and
/// subscripts, which read differently (`x²` is not `x2`). `*`, `_` and `~` are emphasis only
/// at the edge of a word: inside one (`snake_case`, `2*3`) they are kept.
pub fn normalise_question(question: &str) -> String {
    let folded = fold_unicode(question);
    let words = strip_markup_and_case(&folded);
    close_up_punctuation(&words)
}

/// NFKC without the invisible characters, keeping superscripts and subscripts.
fn fold_unicode(text: &str) -> String {
    // Plain ASCII (most questions) is already in every normal form.
    if text.is_ascii() {
        return text.to_string();
    }
    let mut decomposed = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| !is_invisible(c)) {
        if is_script_position(c) {
            decomposed.push(c);
        } else {
            decompose_compatible(c, |d| decomposed.push(d));
        }
    }
    decomposed.nfc().collect()
}

/// Superscript and subscript digits and letters, whose compatibility form loses the position.
fn is_script_position(c: char) -> bool {
    matches!(c, '\u{b2}' | '\u{b3}' | '\u{b9}' | '\u{2070}'..='\u{209f}')
}

/// Characters that show nothing (or only at a line break) but change the text: format
/// characters (Unicode category Cf: zero-width space, joiners, bidi marks, BOM, soft hyphen,
/// tag characters), the combining grapheme joiner and variation selectors.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Lower case, single spaces, no code markers and no emphasis markers at word edges.
fn strip_markup_and_case(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut words = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_emphasis(c) {
            let end = (i..chars.len())
                .find(|&j| !is_emphasis(chars[j]))
                .unwrap_or(chars.len());
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(end).copied();
            let inside_a_word = before.is_some_and(is_word) && after.is_some_and(is_word);
            // A marker with space (or nothing) on both sides marks nothing up: `a * b`.
            let alone =
                before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace);
            if inside_a_word || alone {
                words.extend(&chars[i..end]);
            }
            i = end;
            continue;
        }
        match c {
            '`' => {}
            c if c.is_whitespace() => {
                if !words.ends_with(' ') && !words.is_empty() {
                    words.push(' ');
                }
            }
            c => words.extend(c.to_lowercase()),
        }
        i += 1;
    }
    let kept = words.trim_end().len();
    words.truncate(kept);
    words
}

fn is_emphasis(c: char) -> bool {
    matches!(c, '*' | '_' | '~')
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Drops the spaces next to punctuation, so `A / B , e.g.` and `A/B, e.g.` are one question.
fn close_up_punctuation(words: &str) -> String {
    let chars: Vec<char> = words.chars().collect();
    let mut out = String::with_capacity(words.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1).copied();
            if before.is_some_and(is_punctuation) || after.is_some_and(is_punctuation) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn is_punctuation(c: char) -> bool {
    !is_word(c) && !c.is_whitespace()
}

/// A deck-friendly slug: lowercase ASCII letters and digits separated by single dashes.
/// Non-ASCII letters are kept, so non-English sections still get distinct slugs.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A name for files and tags that no other text shares: the [`slug`] of `text` when that is
/// `text` itself (`ml-ops`), else the slug and the first six hex digits of a hash of `text`
/// (`ML Ops` gives `ml-ops-` and six digits), so two deck ids never share a tag or a lock.
pub(crate) fn unambiguous_slug(text: &str) -> String {
    let slug = slug(text);
    if slug == text {
        return slug;
    }
    let hash = super::content_hash(["deck id", text]).to_string();
    if slug.is_empty() {
        format!("deck-{}", &hash[..6])
    } else {
        format!("{slug}-{}", &hash[..6])
    }
}

/// A file name as text that no other name shares: as it is when it is UTF-8, else with each
/// byte that is not shown as U+FFFD and followed by `~` and eight hex digits of a hash of its
/// bytes, so `caf\xe9` and `caf\xe8` (Latin-1) stay apart.
pub(crate) fn unambiguous_name(name: &std::ffi::OsStr) -> String {
    if let Some(text) = name.to_str() {
        return text.to_string();
    }
    let lossy = name.to_string_lossy();
    let hash = super::content_hash([
        "file name",
        &name
            .as_encoded_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    ])
    .to_string();
    format!("{lossy}~{}", &hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers: these names appear in users' lock files and tags, so they never change.
    #[test]
    fn unambiguous_names_keep_apart_what_a_slug_or_lossy_text_joins() {
        assert_eq!(unambiguous_slug("ml-ops"), "ml-ops");
        let spaced = unambiguous_slug("ML Ops");
        assert_eq!(spaced, "ml-ops-499b4f");
        assert_ne!(spaced, unambiguous_slug("ml ops"));
        assert_ne!(spaced, unambiguous_slug("ml-ops"));
        assert_eq!(spaced, unambiguous_slug("ML Ops"), "stable");
        assert!(unambiguous_slug("???").starts_with("deck-"));
        assert_eq!(unambiguous_name("café".as_ref()), "café");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let e_acute = unambiguous_name(std::ffi::OsStr::from_bytes(b"caf\xe9"));
            let e_grave = unambiguous_name(std::ffi::OsStr::from_bytes(b"caf\xe8"));
            assert!(e_acute.starts_with("caf\u{fffd}~"), "{e_acute}");
            assert_ne!(e_acute, e_grave);
        }
    }

    #[test]
    fn normalisation_folds_formatting_noise() {
        let canonical = normalise_question("What is MLOps?");
        assert_eq!(canonical, "what is mlops?");
        for variant in [
            "what is  MLOps?",
            "**What is MLOps?**",
            "What is *MLOps* ?",
            "  What\nis `MLOps`?  ",
            "WHAT IS MLOPS?",
            "What is __MLOps__?",
            "What is ~~MLOps~~?",
        ] {
            assert_eq!(normalise_question(variant), canonical, "{variant:?}");
        }
        assert_eq!(
            normalise_question("A / B testing , e.g. here"),
            "a/b testing,e.g.here"
        );
        assert_ne!(
            normalise_question("What is MLOps?"),
            normalise_question("What is DevOps?")
        );
    }

    /// Known answers: fixed inputs and the keys they must give (checked against Python's
    /// `unicodedata.normalize("NFKC", …)`). A change here re-keys users' notes.
    #[test]
    fn look_alike_text_has_one_key_and_different_text_keeps_its_own() {
        let cases: &[(&str, &str)] = &[
            ("What is a cafe\u{301} au lait?", "what is a café au lait?"),
            ("What is a café au lait?", "what is a café au lait?"),
            (
                "What is a zero\u{200b}width space?",
                "what is a zerowidth space?",
            ),
            (
                "How does a soft hy\u{ad}phen behave?",
                "how does a soft hyphen behave?",
            ),
            (
                "What is ＦＵＬＬ－ＷＩＤＴＨ text？",
                "what is full-width text?",
            ),
            (
                "What does an RTL mark\u{200f} do?",
                "what does an rtl mark do?",
            ),
            ("\u{feff}What is a BOM?", "what is a bom?"),
            ("What joins 👩\u{200d}💻?", "what joins👩💻?"),
            ("What is the \u{fb01}rst step?", "what is the first step?"),
            ("What is x\u{b2}?", "what is x²?"),
            (
                "What does snake_case_name return?",
                "what does snake_case_name return?",
            ),
            (
                "What does snakecasename return?",
                "what does snakecasename return?",
            ),
            ("What is 2*3 in Python?", "what is 2*3 in python?"),
            (
                "What is *emphasis* in Markdown?",
                "what is emphasis in markdown?",
            ),
            ("What is ~~struck~~ text?", "what is struck text?"),
            ("What is `__init__`?", "what is init?"),
            ("What does a * b mean?", "what does a*b mean?"),
            ("Что такое Ё\u{308}?", "что такое ё\u{308}?"),
        ];
        for (input, key) in cases {
            assert_eq!(normalise_question(input), *key, "{input:?}");
        }
    }

    /// GUIDs of look-alike questions, computed independently with Python's `hashlib` and
    /// `unicodedata`: every spelling of a question gets its GUID, and `snake_case` keeps its own.
    #[test]
    fn look_alike_questions_get_one_known_guid() {
        let guid = |question: &str| {
            super::super::hash::note_guid("lookalike", &normalise_question(question), 0)
        };
        for cafe in [
            "What is a café au lait?",
            "What is a cafe\u{301} au\u{200b} lait?",
            "\u{feff}What is a caf\u{e9} au lait\u{200e}?",
        ] {
            assert_eq!(guid(cafe), "i{y;/2(dw&", "{cafe:?}");
        }
        for wide in [
            "What is ＦＵＬＬ－ＷＩＤＴＨ text？",
            "What is full-width text?",
            "What is FULL\u{ad}-WIDTH text?",
        ] {
            assert_eq!(guid(wide), "B3q:[G5J~r", "{wide:?}");
        }
        assert_eq!(guid("What does snake_case_name return?"), "l<%^IH[#xZ");
        assert_eq!(guid("What does *snakecasename* return?"), "g,.{<(ofVI");
    }

    #[test]
    fn invisible_characters_are_the_format_characters() {
        for c in [
            '\u{200b}', '\u{200c}', '\u{200d}', '\u{200e}', '\u{2066}', '\u{feff}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', ' ', '\u{301}', '\u{a0}', 'é', '💻'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }

    #[test]
    fn slugs_are_tag_safe() {
        assert_eq!(slug("General MLOps Concepts"), "general-mlops-concepts");
        assert_eq!(slug("CI/CD for ML"), "ci-cd-for-ml");
        assert_eq!(slug("  Ünïcode — ok! "), "ünïcode-ok");
    }
}
