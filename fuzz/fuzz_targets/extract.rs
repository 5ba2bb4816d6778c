//! Fuzzes extraction and rendering: any UTF-8 text, read in every layout (and detected), must
//! yield cards or nothing, and every card must render to HTML and plain text, without a panic.

#![no_main]

use std::path::Path;

use deckforge::render::{HtmlRenderer, text};
use deckforge::source::{self, Layout, LayoutChoice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.md");
    let renderer = HtmlRenderer::new(false);
    let choices = std::iter::once(LayoutChoice::Auto).chain(Layout::ALL.map(LayoutChoice::Fixed));
    for choice in choices {
        let document = source::parse_with(path, markdown, choice);
        let _ = document.suggested_deck_name();
        for card in &document.cards {
            let _ = renderer.inline(&card.question);
            let _ = renderer.block(&card.answer);
            let _ = text::to_text(&card.answer);
            let _ = deckforge::identity::normalise_question(&card.question);
        }
        let _ = deckforge::check::check(std::slice::from_ref(&document), false);
    }
});
