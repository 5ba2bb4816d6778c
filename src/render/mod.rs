//! Turns card Markdown into what each output shows: sanitised HTML for Anki and Mnemosyne,
//! plain text for apps that take no HTML.

pub(crate) mod extra;
pub(crate) mod highlight;
pub mod html;
pub mod limits;
pub mod media;
pub mod text;

pub use html::HtmlRenderer;
