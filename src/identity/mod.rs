//! Stable identities: the same question in the same deck always gets the same GUID and ids.
//!
//! Anki merges re-imported notes by GUID alone (docs: anki-format.md §3.1), so a GUID must
//! survive typo fixes, reformatting, reordering and text that only looks different. The parts:
//! [`hash`] derives GUIDs and ids, [`normalise`] the question text they are keyed by,
//! [`record`] what a build remembers per note, and [`assign`](mod@assign) (with `matching` and `reword`)
//! decides each card's identity from those records (`group` finds equal keys without maps).
//! The lock file builds on this module; nothing here reads or writes it.

pub mod assign;
mod group;
pub mod hash;
mod matching;
pub mod normalise;
pub mod record;
mod reword;

pub(crate) use assign::{Assigned, Assignment};
pub use assign::{CardKey, Change, assign, assign_owned};
pub(crate) use hash::{ContentHash, IdAllocator, stable_i64, stable_id};
pub use hash::{content_hash, note_guid};
pub use normalise::normalise_question;
pub(crate) use normalise::{slug, unambiguous_name, unambiguous_slug};
pub use record::LATEST_TIME;
pub(crate) use record::LockedNote;
