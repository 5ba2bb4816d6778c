//! Turns card Markdown into what each output shows: sanitised HTML for Anki.

pub mod html;
pub mod media;

pub use html::HtmlRenderer;
