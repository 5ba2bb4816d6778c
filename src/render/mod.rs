//! Turns card Markdown into what each output shows: sanitised HTML for Anki and Mnemosyne,
//! plain text for apps that take no HTML.

pub(crate) mod cloze;
pub(crate) mod extra;
pub(crate) mod highlight;
pub mod html;
pub mod limits;
mod literal;
pub mod media;
pub mod remote;
pub mod text;

pub use html::HtmlRenderer;
pub(crate) use literal::keep_lone_markers;
