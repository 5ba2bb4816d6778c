//! Progress reports, a leaf shared by the build and the writers it drives, so a writer can
//! report how far it is without importing the build.

/// A stage of a build, for progress reports, in the order a build goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for another build of a deck in the same folder to finish (reported once).
    Waiting,
    /// Reading and cutting the sources into cards; counts documents.
    Reading,
    /// Keying cards by their source (rendering those that show an image); counts cards.
    Rendering,
    /// Matching cards with the lock's notes and giving them GUIDs and ids; reported at its
    /// start and end.
    Matching,
    /// Inserting notes into the package's database; counts notes.
    Writing,
    /// Compressing the package; counts bytes.
    Compressing,
}

/// How far a build is: `done` of `total` units of `stage`. Reports come every so many units
/// and at each stage's end, possibly from several threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// Receives progress reports; the library itself never prints, the command line draws a bar.
pub(crate) type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);
