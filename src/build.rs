//! The build pipeline: sources → card drafts → content hashes → identities → notes → file.
//!
//! Identities need every card's content hash, so planning renders each card once and keeps only
//! its hash; writing renders each note again as it goes into the file, so a large deck is never
//! held rendered in memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::html::escape;
use crate::identity::normalise::composed;
use crate::identity::{
    self, Assigned, CardKey, Change, IdAllocator, content_hash, normalise_question, slug, stable_id,
};
use crate::lock::{self, Lock, Stamp};
use crate::model::{
    Card, DeckInfo, DeckMeta, FIELD_NAMES, Note, NoteKind, NoteMarkdown, NoteSource, NoteStub,
    NoteType, Package, cloze_field, field,
};
use crate::render::HtmlRenderer;
use crate::render::media::{MediaCollector, may_show_image, plays_sound, shows_image};
use crate::source::{self, Document, LayoutChoice, file_stem};
use crate::templates::Templates;
// Re-exported: progress is part of the build API the command line draws from.
pub(crate) use crate::progress::ProgressFn;
pub use crate::progress::{Progress, Stage};
use crate::write::OutputFormat;
use crate::write::atomic::{self, PendingFile};
use crate::write::presets::TextOptions;

/// The tag every note removed from the sources carries, so one search finds them all.
pub(crate) const REMOVED_TAG: &str = "deckforge::removed";

/// How long a removed question's note keeps shipping (without a card) after its removal: long
/// enough for learners who import now and then to learn it was retired, short enough that a
/// note a learner deleted stops coming back. `deckforge prune` ends it sooner.
pub const RETIRED_NOTE_DAYS: i64 = 90;

/// Bumped on purpose when rendering changes in a way existing notes should receive: the
/// content hashes come from the sources (and this), not from the rendered HTML, so an update
/// to the renderer reaches Anki only when it is meant to.
const RENDER_VERSION: u32 = 1;

/// Where the lock file is read from and written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockMode {
    /// `<stem>.deckforge.lock` beside the first input.
    BesideSource,
    /// An explicit path (`--lock PATH`).
    At(PathBuf),
    /// No lock (`--no-lock`): identities from hashes alone, every note stamped with the build time.
    Off,
}

/// What to build and how; plain validated values, no command-line types.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    /// Display name of the deck; defaults to the first input's title.
    pub deck_name: Option<String>,
    /// Permanent deck id that namespaces every GUID; defaults to the first input's
    /// front matter `deck_id`, then the lock's, then the first input's file name.
    pub deck_id: Option<String>,
    /// Put each section in a subdeck (`Deck::Section`).
    pub subdecks: bool,
    /// Keep raw HTML from the sources instead of sanitising it.
    pub allow_html: bool,
    /// Colour fenced code in a known language at build time (classed spans, no script).
    pub highlight: bool,
    /// Fail instead of warning.
    pub strict: bool,
    pub lock: LockMode,
    /// Fail when the lock file would change (for CI).
    pub locked: bool,
    /// The build time in seconds since the epoch (`SOURCE_DATE_EPOCH` or the clock).
    pub now: i64,
    pub templates: Templates,
    /// Which text format to write (`--preset`) and whether to start it with a BOM.
    pub text: TextOptions,
    /// Which question-and-answer layout to read the inputs with (detected per document by default).
    pub layout: LayoutChoice,
    /// The heading level that holds the questions (`question_level` in `deckforge.toml`): every
    /// heading with content at that level is a question, unless a file's front matter says
    /// otherwise.
    pub question_level: Option<usize>,
    /// Text outputs only: write just the notes added or changed since the lock, so a CSV
    /// import leaves every other note (and the edits made to it in Anki) alone.
    pub changed_only: bool,
    /// Packages only: download remote images into the package within these limits
    /// (`--download-images`). `None` (the default) writes each remote image as a link to it.
    pub download_images: Option<crate::render::remote::DownloadLimits>,
    /// Every question also makes its reverse card (`cards = "both"` in `deckforge.toml`),
    /// unless its document's front matter says `cards: basic`.
    pub reversed: bool,
}

impl BuildOptions {
    /// Options with defaults for everything but the inputs, output and build time.
    pub fn new(inputs: Vec<PathBuf>, output: PathBuf, now: i64) -> Self {
        BuildOptions {
            inputs,
            output,
            deck_name: None,
            deck_id: None,
            subdecks: false,
            allow_html: false,
            highlight: true,
            strict: false,
            lock: LockMode::BesideSource,
            locked: false,
            now,
            templates: Templates::default(),
            text: TextOptions::default(),
            layout: LayoutChoice::default(),
            question_level: None,
            changed_only: false,
            download_images: None,
            reversed: false,
        }
    }

    /// The lock file these options read and write, if any.
    pub fn lock_path(&self) -> Option<PathBuf> {
        match &self.lock {
            LockMode::BesideSource => lock::default_path(&self.inputs, self.deck_id.as_deref()),
            LockMode::At(path) => Some(path.clone()),
            LockMode::Off => None,
        }
    }

    /// The lock a preview shows GUIDs and tags from: a preview's output is a page, not the
    /// deck's output, so without a lock of its name the one named after the first source (the
    /// usual `notes.md` → `notes.apkg`) is read.
    pub(crate) fn read_lock_for_preview(&self) -> Result<Option<Lock>> {
        let Some(path) = self.lock_path() else {
            return Ok(None);
        };
        match (Lock::read(&path)?, &self.lock, self.inputs.first()) {
            (Some(lock), _, _) => Ok(Some(lock)),
            (None, LockMode::BesideSource, Some(first)) => {
                // Before deck ids were kept apart, `ML Ops` kept its lock as ml-ops.deckforge.lock.
                let old = lock::ambiguous_default_path(&self.inputs, self.deck_id.as_deref())
                    .filter(|_| self.deck_id.is_some());
                if let Some(lock) = old.map(|old| Lock::read(&old)).transpose()?.flatten() {
                    if Some(&lock.deck_id) == self.deck_id.as_ref() {
                        return Ok(Some(lock));
                    }
                }
                Lock::read(&lock::legacy_path(first))
            }
            (None, _, _) => Ok(None),
        }
    }
}

/// How many notes of each kind a build produced. A package's notes are added + updated +
/// reworded + unchanged (the sources' questions) + removed (gone in this build) + retired
/// (gone in an earlier one, still shipped without a card); a text deck leaves removed and
/// retired questions out, so its notes are the first four.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub added: usize,
    pub updated: usize,
    pub reworded: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Questions removed by an earlier build whose notes this package still ships.
    pub retired: usize,
}

/// How a note changed since the previous build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Updated,
    Reworded,
    Removed,
}

impl ChangeKind {
    /// The word the change report and JSON use.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Updated => "updated",
            ChangeKind::Reworded => "reworded",
            ChangeKind::Removed => "removed",
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so report columns (`{:<9}`) line up.
        f.pad(self.name())
    }
}

/// One note that changed, for the change report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedNote {
    pub change: ChangeKind,
    pub guid: String,
    /// The question as written now (for removed notes, as last written).
    pub question: String,
    /// The question it replaced, for rewordings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// For a removed note whose question is still in the sources as another kind of note (it
    /// gained a cloze, or became reversed): that kind. Anki cannot change a note's type, so the
    /// question's new note is added and this one retired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now_kind: Option<NoteKind>,
}

/// What a build produced, for the command line to summarise.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub output: PathBuf,
    pub deck_name: String,
    pub notes: usize,
    pub counts: ChangeCounts,
    pub changes: Vec<ChangedNote>,
    pub lock: Option<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
    /// What Anki will do that the author may not expect, said once per deck (the lock
    /// remembers): not problems with the sources, so `--strict` does not fail on them.
    pub notices: Vec<String>,
    /// Whether the card templates or CSS differ from the lock's (an edit or a revert of
    /// one), so the note type's modification time moved and an import updates it.
    pub design_changed: bool,
}

impl BuildReport {
    /// `added 2, updated 1, reworded 1, removed 0, unchanged 96`, then `retired N` when
    /// earlier removals still ship, and the design change; the counts add up to
    /// [`notes`](Self::notes) (see [`ChangeCounts`]). Without a lock nothing was compared, so
    /// no note is called added (Anki updates those it has by GUID).
    pub fn summary(&self) -> String {
        let c = &self.counts;
        if self.lock.is_none() {
            return "no lock: not compared with an earlier build; Anki updates the notes it \
                    already has (by GUID) and adds the rest"
                .to_string();
        }
        let from_sources = c.added + c.updated + c.reworded + c.unchanged;
        let left_out = if c.removed > 0 && self.notes == from_sources + c.retired {
            " (left out of a text deck)"
        } else {
            ""
        };
        let mut summary = format!(
            "added {}, updated {}, reworded {}, removed {}{left_out}, unchanged {}",
            c.added, c.updated, c.reworded, c.removed, c.unchanged
        );
        if c.retired > 0 {
            summary.push_str(&format!(", retired {}", c.retired));
        }
        if self.design_changed {
            summary.push_str(
                "; card design changed (templates or CSS): an import updates the note type",
            );
        }
        summary
    }
}

/// A package ready to write, with everything the report and the lock need.
#[derive(Debug, Clone)]
pub struct Plan {
    pub package: Package,
    pub lock: Lock,
    pub counts: ChangeCounts,
    pub changes: Vec<ChangedNote>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the inputs and lock, builds the package and writes it, then the lock.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    build_with_progress(options, &|_| {})
}

/// [`build`], reporting progress to `progress` as it goes. An output of standard output
/// (`-`, `/dev/stdout`) is refused here: [`build_into`] writes it.
pub fn build_with_progress(options: &BuildOptions, progress: ProgressFn) -> Result<BuildReport> {
    if crate::input::is_stdout(&options.output) {
        return Err(stdio_error(
            &options.output,
            "write the output",
            "standard output takes a text output of `deckforge build` only (Anki's CSV or a \
             --preset); name a file such as deck.apkg",
        ));
    }
    build_to(options, progress, None)
}

/// [`build_with_progress`] for a text output written to `out` when the output is standard
/// output (`-` or `/dev/stdout`; a package, which is no text, is refused): the notes stream
/// to `out`, then the lock, if any, is replaced. An output that is a file is written as
/// [`build_with_progress`] writes it.
pub fn build_into(
    options: &BuildOptions,
    progress: ProgressFn,
    out: &mut dyn std::io::Write,
) -> Result<BuildReport> {
    build_to(options, progress, Some(out))
}

fn stdio_error(path: &Path, action: &'static str, message: &str) -> Error {
    Error::io(
        path,
        action,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, message.to_string()),
    )
}

/// Refuses what standard input cannot do: be read twice, or hold a lock beside it. (Standard
/// output always gets a text format: it has no `.apkg` extension.)
fn check_stdio(options: &BuildOptions) -> Result<()> {
    let mut stdin = options.inputs.iter().filter(|p| crate::input::is_stdin(p));
    if let Some(first) = stdin.next() {
        if stdin.next().is_some() {
            return Err(stdio_error(
                first,
                "read the input",
                "standard input can be read only once; name it once",
            ));
        }
        if options.lock == LockMode::BesideSource && options.inputs[0] == *first {
            return Err(stdio_error(
                first,
                "read the input",
                "standard input has no folder to keep the deck's lock in: name the lock with \
                 --lock PATH (commit it, and give it every build) or pass --no-lock",
            ));
        }
    }
    Ok(())
}

fn build_to(
    options: &BuildOptions,
    progress: ProgressFn,
    stdout: Option<&mut dyn std::io::Write>,
) -> Result<BuildReport> {
    let format = output_format(options)?;
    check_stdio(options)?;
    let stdout = stdout.filter(|_| crate::input::is_stdout(&options.output));
    let lock_path = options.lock_path();
    if stdout.is_none() {
        refuse_output_over(options, &inputs_of(options, lock_path.as_deref()))?;
    }
    // Held to the end: the lock read below is the one this build replaces.
    let _held = crash_safety(options, lock_path.as_deref(), stdout.is_some(), progress)?;
    let documents = read_documents(options, progress)?;
    let (mut planned, notices) =
        plan_build(options, format, lock_path.as_deref(), &documents, progress)?;
    write_planned(
        &mut planned,
        format,
        options,
        (lock_path.as_deref(), stdout),
        progress,
    )?;
    // The report copies the changed notes' questions only now that the package is written.
    let changes = planned.changes();
    Ok(BuildReport {
        output: options.output.clone(),
        deck_name: planned.header.decks[0].name.clone(),
        notes: planned.count(),
        counts: planned.counts,
        changes,
        lock: lock_path,
        diagnostics: planned.diagnostics,
        notices,
        design_changed: planned.design_changed,
    })
}

/// Reads every input into a document, reporting each one read.
fn read_documents(options: &BuildOptions, progress: ProgressFn) -> Result<Vec<Document>> {
    let total = options.inputs.len() as u64;
    let report = |done| {
        progress(Progress {
            stage: Stage::Reading,
            done,
            total,
        })
    };
    report(0);
    let mut documents = Vec::with_capacity(options.inputs.len());
    for path in &options.inputs {
        documents.push(source::load_pinned(
            path,
            options.layout,
            options.question_level,
        )?);
        report(documents.len() as u64);
    }
    Ok(documents)
}

/// The output format, decided once for the whole build, and the checks of the request that
/// need nothing read.
fn output_format(options: &BuildOptions) -> Result<OutputFormat> {
    let format = match options.text.preset {
        // Standard output has no extension: Anki's CSV unless a preset says otherwise.
        None if crate::input::is_stdout(&options.output) => {
            OutputFormat::Text(crate::write::presets::Preset::Anki)
        }
        _ => OutputFormat::for_output(&options.output, &options.text)?,
    };
    if options.changed_only && format == OutputFormat::Apkg {
        return Err(Error::TextOptionOnPackage {
            path: options.output.clone(),
            option: "--changed-only".to_string(),
            hint: "a package updates only the notes that changed already; --changed-only is for \
                   CSV and other text outputs"
                .to_string(),
        });
    }
    if options.output.is_dir() {
        return Err(Error::OutputIsFolder {
            path: options.output.clone(),
        });
    }
    options.templates.check_fields()?;
    Ok(format)
}

/// Reads the previous lock and plans the build against it, with the checks `deckforge check`
/// adds; returns the plan and the notices to give.
fn plan_build<'a>(
    options: &BuildOptions,
    format: OutputFormat,
    lock_path: Option<&Path>,
    documents: &'a [Document],
    progress: ProgressFn,
) -> Result<(Planned<'a>, Vec<String>)> {
    let mut notices = Vec::new();
    let previous = read_previous(options, lock_path, documents, &mut notices)?;
    let identity = deck_identity(documents, options, previous.as_ref().map(|(l, _)| l)).map_err(
        |(locked, given)| Error::DeckIdChanged {
            lock: previous
                .as_ref()
                .map(|(_, from)| from.clone())
                .unwrap_or_default(),
            locked,
            given,
        },
    )?;
    let previous = previous.map(|(lock, _)| lock);
    // The checks `deckforge check` adds read only the drafts, so they run beside the planning.
    let (mut planned, lint) = std::thread::scope(|scope| {
        let lint = scope.spawn(|| crate::check::lint(documents, options.allow_html));
        let planned = Planned::new(PlanInput {
            documents,
            options,
            identity,
            previous: previous.map(Cow::Owned),
            keep_lock: lock_path.is_some(),
            format: Some(format),
            progress,
        });
        (planned, lint.join().expect("the checks do not panic"))
    });
    planned.diagnostics.extend(lint);
    notices.append(&mut planned.notices);
    if let Some(media) = &planned.media_files {
        refuse_output_over(
            options,
            &media
                .iter()
                .map(|f| (f.as_path(), "an image"))
                .collect::<Vec<_>>(),
        )?;
    }
    if options.strict && !planned.diagnostics.is_empty() {
        return Err(Error::Strict {
            diagnostics: planned.diagnostics,
        });
    }
    Ok((planned, notices))
}

/// Writes the output (to `stdout` when given), and the lock if it changed, renaming both into
/// place together; the lock of an output sent to `stdout` is replaced once all of it was sent.
fn write_planned(
    planned: &mut Planned,
    format: OutputFormat,
    options: &BuildOptions,
    (lock_path, stdout): (Option<&Path>, Option<&mut dyn std::io::Write>),
    progress: ProgressFn,
) -> Result<()> {
    // With --no-lock there is nothing to compare or write. The lock is compared with the file
    // as it is serialised, and written again only if it changed: it is never held as text.
    let lock_changes = match lock_path {
        Some(path) => !SameAsFile::check(path, |out| planned.lock.write_text(out)),
        None => false,
    };
    if options.locked && lock_changes {
        return Err(Error::LockOutdated {
            path: lock_path.map(Path::to_path_buf).unwrap_or_default(),
        });
    }
    // The lock's temporary file is created before the output is replaced: a lock folder that
    // is missing or read-only then fails the build with nothing written, instead of leaving a
    // new output beside a stale lock. Its text is written while the output is being written
    // and renamed into place last: if the output failed, the next build still compares with
    // what the user last received.
    let pending_lock = match lock_path {
        Some(path) if lock_changes => Some(PendingFile::create(path)?),
        _ => None,
    };
    // The lock moves to the thread that writes it and is freed as soon as it is written, early
    // in the package's writing.
    let next_lock = std::mem::replace(&mut planned.lock, Lock::new(""));
    let (written, filled_lock) = std::thread::scope(|scope| {
        let filling = pending_lock.map(|pending| {
            scope.spawn(move || {
                pending.fill_with(|out| {
                    next_lock.write_text(out)?;
                    if atomic::disk_full_at("lock") {
                        return Err(std::io::ErrorKind::StorageFull.into());
                    }
                    Ok(())
                })
            })
        });
        let written = match stdout {
            Some(out) => write_stream(planned, format, options, out).map(|()| None),
            None => write_output(planned, format, options, progress).map(Some),
        };
        let filled = filling.map(|job| job.join().expect("writing the lock does not panic"));
        (written, filled.transpose())
    });
    let mut files: Vec<_> = written?.into_iter().collect();
    files.extend(filled_lock?);
    atomic::persist_together(files, &options.output)?;
    Ok(())
}

/// Writes a text output to a stream (standard output), flushed.
fn write_stream(
    planned: &Planned,
    format: OutputFormat,
    options: &BuildOptions,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let OutputFormat::Text(preset) = format else {
        unreachable!("check_stdio refuses a package on standard output");
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let notes: &dyn NoteSource = if options.changed_only {
        &Subset {
            notes: planned,
            indices: planned.changed.iter().map(|change| change.card).collect(),
        }
    } else {
        planned
    };
    crate::write::write_text(&planned.header, notes, preset, options.text.bom, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| Error::io(&options.output, "write the output", e))
}

/// The files a build reads before planning, by role, for [`refuse_output_over`].
fn inputs_of<'a>(
    options: &'a BuildOptions,
    lock: Option<&'a Path>,
) -> Vec<(&'a Path, &'static str)> {
    let mut files: Vec<(&Path, &'static str)> = options
        .inputs
        .iter()
        .map(|p| (p.as_path(), "an input"))
        .collect();
    files.extend(lock.map(|p| (p, "the lock file")));
    files.extend(
        options
            .templates
            .files
            .iter()
            .map(|p| (p.as_path(), "a template")),
    );
    files
}

/// Refuses an output that would replace a file the build reads: the Markdown, the lock, a
/// template or an image would be lost without a word.
fn refuse_output_over(options: &BuildOptions, files: &[(&Path, &'static str)]) -> Result<()> {
    let output = normalised(&options.output);
    match files.iter().find(|(file, _)| normalised(file) == output) {
        Some((_, role)) => Err(Error::OutputIsInput {
            path: options.output.clone(),
            role,
        }),
        None => Ok(()),
    }
}

/// `path` made absolute, with `.` and `..` resolved and symbolic links followed as far as the
/// path exists, so two spellings of one file compare equal.
fn normalised(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|_| crate::write::atomic::resolved_path(path))
}

/// The previous lock and the file it was read from. The first time after an upgrade that is
/// the lock an older release kept under the first source's name; with no lock at all, a lock
/// of another name beside it that holds most of these questions is worth a warning, since
/// every note would otherwise be new to Anki.
fn read_previous(
    options: &BuildOptions,
    lock_path: Option<&Path>,
    documents: &[Document],
    notices: &mut Vec<String>,
) -> Result<Option<(Lock, PathBuf)>> {
    let Some(path) = lock_path else {
        return Ok(None);
    };
    if let Some(lock) = Lock::read(path)? {
        return Ok(Some((lock, path.to_path_buf())));
    }
    let first = match (&options.lock, options.inputs.first()) {
        (LockMode::BesideSource, Some(first)) => first,
        _ => return Ok(None),
    };
    if let Some(taken) = ambiguous_lock(options, path, documents, notices)? {
        return Ok(Some(taken));
    }
    let legacy = lock::legacy_path(first);
    if legacy != path {
        if let Some(lock) = Lock::read(&legacy)? {
            // A lock of an older release is this deck's; a newer one is when it has this deck
            // id, or when most questions match it under another id: a changed `--deck-id`,
            // which the deck identity then refuses.
            let (known, total) = known_questions(&lock, documents);
            let taken_over = match &options.deck_id {
                _ if lock.version < 2 => true,
                Some(given) => *given == lock.deck_id || known * 2 > total,
                None => false,
            };
            if taken_over {
                notices.push(format!(
                    "read this deck's lock from {} (named after the first source); from now \
                     on it is {}: commit it, and delete the old one once no other deck is built \
                     from {}",
                    legacy.display(),
                    path.display(),
                    first.display()
                ));
                return Ok(Some((lock, legacy)));
            }
        }
    }
    if let Some(warning) = lock_elsewhere(path, documents) {
        notices.push(warning);
    }
    Ok(None)
}

/// The lock a release before the unambiguous lock names kept for this deck at its old name
/// (`ml-ops.deckforge.lock` for `ML Ops`, a lossy name for a Latin-1 file), when it is this
/// deck's: it records this deck id, or (named after the sources) knows most of its questions.
/// Another deck's lock of that name is left alone.
fn ambiguous_lock(
    options: &BuildOptions,
    path: &Path,
    documents: &[Document],
    notices: &mut Vec<String>,
) -> Result<Option<(Lock, PathBuf)>> {
    let Some(old) = lock::ambiguous_default_path(&options.inputs, options.deck_id.as_deref())
    else {
        return Ok(None);
    };
    let Some(lock) = Lock::read(&old)? else {
        return Ok(None);
    };
    let ours = match &options.deck_id {
        Some(given) => *given == lock.deck_id,
        None => {
            let (known, total) = known_questions(&lock, documents);
            known * 2 > total
        }
    };
    if !ours {
        return Ok(None);
    }
    notices.push(format!(
        "read this deck's lock from {}, its name before deck ids and file names were kept \
         apart; from now on it is {}: commit it, and delete the old one once no other deck uses it",
        old.display(),
        path.display()
    ));
    Ok(Some((lock, old)))
}

/// A warning when another `*.deckforge.lock` beside `path` knows these questions: a renamed
/// source or output leaves its lock behind, and every note would come into Anki a second time.
fn lock_elsewhere(path: &Path, documents: &[Document]) -> Option<String> {
    const SUFFIX: &str = ".deckforge.lock";
    let folder = crate::write::atomic::parent_folder(path);
    let total = documents.iter().map(|d| d.cards.len()).sum::<usize>();
    let mut best: Option<(usize, PathBuf)> = None;
    let mut others = Vec::new();
    for entry in std::fs::read_dir(folder).ok()?.flatten() {
        let other = entry.path();
        let is_lock = other
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(SUFFIX));
        // A lock too large to be this deck's is not read just to warn.
        let small = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() < 256 << 20);
        if !is_lock || other == path || !small {
            continue;
        }
        let known = match Lock::read(&other) {
            Ok(Some(lock)) => known_questions(&lock, documents).0,
            _ => 0,
        };
        if best.as_ref().is_none_or(|(most, _)| known > *most) {
            best = Some((known, other.clone()));
        }
        others.push(other);
    }
    let (known, other) = best?;
    let advice = format!(
        "if this deck was built with it before (a source or output renamed), rename it to {} or \
         pass --lock {}; otherwise Anki adds every note as new",
        path.display(),
        other.display()
    );
    if known * 2 > total {
        Some(format!(
            "no lock {} yet, but {known} of these {total} questions are in {}: {advice}",
            path.display(),
            other.display()
        ))
    } else {
        Some(format!(
            "no lock {} yet (a new deck: every note is new to Anki); {} other lock(s) sit beside \
             it, such as {}: {advice}",
            path.display(),
            others.len(),
            other.display()
        ))
    }
}

/// How many of the documents' questions `lock` knows (not as removed), and how many there are.
fn known_questions(lock: &Lock, documents: &[Document]) -> (usize, usize) {
    let questions: std::collections::HashSet<String> = documents
        .iter()
        .flat_map(|d| &d.cards)
        .map(|card| normalise_question(&card.question))
        .collect();
    let known = lock
        .notes
        .iter()
        .filter(|note| !note.removed && questions.contains(&note.question))
        .count();
    (known, questions.len())
}

/// A deck's permanent identity: what its GUIDs, note type and tags derive from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeckIdentity {
    /// The GUID namespace.
    pub namespace: String,
    /// The note type's id; it never changes under a deck's notes.
    pub note_type_id: i64,
    /// The first part of every note's tags.
    pub tag_root: String,
}

/// The deck identity: the lock's when there is one (a different explicit deck id is refused,
/// as `Err((locked, given))`), else the explicit deck id, else a default that differs between
/// decks (the first source's folder and the sources' names). Without a lock the default stays
/// what older releases used, the first source's name, so such builds keep their GUIDs.
pub(crate) fn deck_identity(
    documents: &[Document],
    options: &BuildOptions,
    lock: Option<&Lock>,
) -> std::result::Result<DeckIdentity, (String, String)> {
    let explicit = options.deck_id.clone().or_else(|| {
        documents
            .first()
            .and_then(|d| d.declared_deck_id().map(str::to_string))
    });
    let source_stem = documents.first().map(|d| slug(&file_stem(&d.path)));
    let root_of = |namespace: &str| Some(slug(namespace)).filter(|root| !root.is_empty());
    // A new deck's tag root keeps deck ids apart (`ML Ops` and `ml-ops`); a lock keeps the
    // root it was built with, and without one the older rule stays, as the namespace does.
    let new_root_of = |id: &str| match options.lock {
        LockMode::Off => root_of(id),
        _ => Some(identity::unambiguous_slug(id)),
    };
    if let Some(lock) = lock {
        if let Some(given) = explicit.filter(|given| *given != lock.deck_id) {
            return Err((lock.deck_id.clone(), given));
        }
        return Ok(DeckIdentity {
            namespace: lock.deck_id.clone(),
            note_type_id: lock
                .note_type_id
                .unwrap_or_else(|| stable_id("notetype", &lock.deck_id)),
            tag_root: lock
                .tag_root
                .clone()
                .or_else(|| root_of(&lock.deck_id))
                .unwrap_or_else(|| "deckforge".to_string()),
        });
    }
    let namespace = match (&explicit, &options.lock) {
        (Some(id), _) => id.clone(),
        (None, LockMode::Off) => source_stem.clone().unwrap_or_else(|| "deck".to_string()),
        (None, _) => default_namespace(options),
    };
    let tag_root = match &explicit {
        Some(id) => new_root_of(id),
        None => source_stem.filter(|root| !root.is_empty()),
    };
    Ok(DeckIdentity {
        note_type_id: stable_id("notetype", &namespace),
        tag_root: tag_root.unwrap_or_else(|| "deckforge".to_string()),
        namespace,
    })
}

/// `folder/deck`: two decks built from files of one name in different folders, or from
/// different sets of sources, get different GUIDs and note types.
fn default_namespace(options: &BuildOptions) -> String {
    let folder = options
        .inputs
        .first()
        .map(|input| normalised(input))
        .and_then(|input| {
            input
                .parent()
                .and_then(Path::file_name)
                .map(|n| slug(&identity::unambiguous_name(n)))
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "deck".to_string());
    let deck = lock::default_path(&options.inputs, None)
        .map(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            slug(name.trim_end_matches(".deckforge.lock"))
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "deck".to_string());
    format!("{folder}/{deck}")
}

/// A writer that checks that what is written is exactly a file's content, reading the file in
/// step, so text can be compared with a file without being held in memory.
struct SameAsFile {
    file: std::io::BufReader<std::fs::File>,
    same: bool,
}

impl SameAsFile {
    /// Whether `write` writes exactly the content of the file at `path` (false if it is missing).
    fn check(
        path: &Path,
        write: impl FnOnce(&mut std::io::BufWriter<&mut Self>) -> std::io::Result<()>,
    ) -> bool {
        use std::io::{Read, Write};
        let Ok(file) = std::fs::File::open(path) else {
            return false;
        };
        let mut compare = SameAsFile {
            file: std::io::BufReader::with_capacity(1 << 16, file),
            same: true,
        };
        // Serialisers write a few bytes at a time; comparing buffered pieces is much faster.
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut compare);
        let written = write(&mut buffered).and_then(|()| buffered.flush());
        drop(buffered);
        let mut rest = [0u8; 1];
        written.is_ok() && compare.same && matches!(compare.file.read(&mut rest), Ok(0))
    }
}

impl std::io::Write for SameAsFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        let mut rest = bytes;
        while self.same && !rest.is_empty() {
            match self.file.fill_buf() {
                Ok(expected) if !expected.is_empty() => {
                    let length = expected.len().min(rest.len());
                    self.same = expected[..length] == rest[..length];
                    self.file.consume(length);
                    rest = &rest[length..];
                }
                _ => self.same = false,
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Takes the build lock of the output and the lock file, finishes a build that was killed
/// between its renames, and removes the temporary files killed builds left.
fn crash_safety(
    options: &BuildOptions,
    lock_path: Option<&Path>,
    to_stdout: bool,
    progress: ProgressFn,
) -> Result<atomic::BuildLock> {
    let output = (!to_stdout).then_some(options.output.as_path());
    let targets: Vec<&Path> = output.into_iter().chain(lock_path).collect();
    if let Some(output) = output {
        atomic::check_target(output, "write the output")?;
    }
    if let Some(lock) = lock_path {
        atomic::check_target(lock, "write the lock file")?;
    }
    let waiting = |_: &Path| {
        progress(Progress {
            stage: Stage::Waiting,
            done: 0,
            total: 0,
        })
    };
    let held = atomic::BuildLock::acquire(&targets, &waiting)?;
    if let Some(output) = output {
        atomic::recover(output)?;
    }
    for target in targets {
        atomic::remove_stale(target);
    }
    Ok(held)
}

/// Writes the planned notes with the format's writer; `--changed-only` hands it just the
/// notes added or changed since the lock.
fn write_output(
    planned: &Planned,
    format: OutputFormat,
    options: &BuildOptions,
    progress: ProgressFn,
) -> Result<atomic::FilledFile> {
    let writer = format.writer(options.text.bom);
    if options.changed_only {
        let changed = Subset {
            notes: planned,
            indices: planned.changed.iter().map(|change| change.card).collect(),
        };
        writer.fill(&planned.header, &changed, &options.output, progress)
    } else {
        writer.fill(&planned.header, planned, &options.output, progress)
    }
}

/// Some notes of a source, in the order of `indices`.
struct Subset<'a> {
    notes: &'a dyn NoteSource,
    indices: Vec<usize>,
}

impl NoteSource for Subset<'_> {
    fn count(&self) -> usize {
        self.indices.len()
    }

    fn stub(&self, index: usize) -> NoteStub<'_> {
        self.notes.stub(self.indices[index])
    }

    fn note(&self, index: usize) -> Cow<'_, Note> {
        self.notes.note(self.indices[index])
    }
}

/// Turns parsed documents and the previous lock into a package, with every note rendered for
/// reading (HTML and Markdown, images left where they are), and the next lock; no I/O but the
/// images cards show. A deck id that differs from the lock's, which a build refuses, gives the
/// lock's identity here.
pub fn plan(documents: &[Document], options: &BuildOptions, previous: Option<&Lock>) -> Plan {
    let mut planned = Planned::new(plan_input(documents, options, previous));
    let changes = planned.changes();
    let notes = planned.render_notes();
    Plan {
        package: Package {
            meta: planned.header,
            notes,
        },
        lock: planned.lock,
        counts: planned.counts,
        changes,
        diagnostics: planned.diagnostics,
    }
}

/// What would change against `previous`, without rendering a note (`deckforge diff`).
pub(crate) fn plan_changes(
    documents: &[Document],
    options: &BuildOptions,
    previous: Option<&Lock>,
) -> ChangePlan {
    let mut planned = Planned::new(plan_input(documents, options, previous));
    let changes = planned.changes();
    ChangePlan {
        lock: planned.lock,
        counts: planned.counts,
        changes,
    }
}

/// The next lock and the changes of a plan that renders nothing.
#[derive(Debug, Clone)]
pub(crate) struct ChangePlan {
    pub lock: Lock,
    pub counts: ChangeCounts,
    pub changes: Vec<ChangedNote>,
}

fn plan_input<'a, 'p>(
    documents: &'a [Document],
    options: &'p BuildOptions,
    previous: Option<&'p Lock>,
) -> PlanInput<'a, 'p> {
    let identity = deck_identity(documents, options, previous).unwrap_or_else(|_| {
        let mut lenient = options.clone();
        lenient.deck_id = previous.map(|lock| lock.deck_id.clone());
        deck_identity(documents, &lenient, previous).expect("the lock's own id matches it")
    });
    PlanInput {
        documents,
        options,
        identity,
        previous: previous.map(Cow::Borrowed),
        keep_lock: true,
        format: None,
        progress: &|_| {},
    }
}

/// `make(0)`, `make(1)`, ... `make(count - 1)` in order, computed on every core. `report` is
/// told how many are done every so often.
fn parallel_map<T: Send>(
    count: usize,
    make: impl Fn(usize) -> T + Sync,
    report: impl Fn(u64) + Sync,
) -> Vec<T> {
    use std::sync::atomic::{AtomicU64, Ordering};
    const REPORT_EVERY: usize = 1024;
    let done = AtomicU64::new(0);
    // The first range's results go straight into the output, sized for all of them, so a
    // large deck's results are not held twice while the ranges are joined.
    let run = |range: std::ops::Range<usize>, capacity: usize| {
        let mut out = Vec::with_capacity(capacity);
        for (n, index) in range.enumerate() {
            out.push(make(index));
            if (n + 1) % REPORT_EVERY == 0 {
                report(
                    done.fetch_add(REPORT_EVERY as u64, Ordering::Relaxed) + REPORT_EVERY as u64,
                );
            }
        }
        out
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below a few thousand items a thread costs more than it saves.
    let made = if threads < 2 || count < 4096 {
        run(0..count, count)
    } else {
        let chunk = count.div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .step_by(chunk)
                .map(|start| {
                    let run = &run;
                    let end = (start + chunk).min(count);
                    let capacity = if start == 0 { count } else { end - start };
                    scope.spawn(move || run(start..end, capacity))
                })
                .collect();
            let mut parts = handles.into_iter().map(|handle| {
                handle
                    .join()
                    .expect("the work of a parallel map does not panic")
            });
            let mut made = parts.next().unwrap_or_default();
            for part in parts {
                made.extend(part);
            }
            made
        })
    };
    report(count as u64);
    made
}

/// Note and card ids for notes with these GUIDs and card ordinals, in order: exactly what an
/// [`IdAllocator`] gives one GUID after another (note id, then each card's id), with the
/// hashing of the note and first card done on every core first. The first card's key is the
/// GUID, as it was when every note had one card; a further card's (rare: a reverse or a second
/// cloze) is the GUID and its ordinal. Returns each note's id and first card's id, and the
/// further cards' ids in order.
fn note_and_card_ids<'n>(
    count: usize,
    note: impl Fn(usize) -> (&'n str, &'n [u16]) + Sync,
) -> (Vec<(i64, i64)>, Vec<i64>) {
    let hashed = parallel_map(
        count,
        |index| {
            let guid = note(index).0;
            (stable_id("note", guid), stable_id("card", guid))
        },
        |_| {},
    );
    let mut allocator = IdAllocator::with_capacity(count * 2);
    let mut more = Vec::new();
    // In place: the ids take the hashes' room.
    let ids = hashed
        .into_iter()
        .enumerate()
        .map(|(index, (note_id, card_id))| {
            let ids = (allocator.place(note_id), allocator.place(card_id));
            let (guid, ords) = note(index);
            for ord in ords.iter().skip(1) {
                more.push(allocator.place(stable_id("card", &format!("{guid}/{ord}"))));
            }
            ids
        })
        .collect();
    (ids, more)
}

/// The note and card ids of the cards' notes (with these card ordinals), then of the removed
/// notes (which ship without a card, but were given one id as every note was).
fn ids_of(
    assignments: &[identity::Assignment],
    ords: &[Cow<'static, [u16]>],
    removed: &[(crate::lock::LockedNote, i64)],
) -> (Vec<(i64, i64)>, Vec<i64>) {
    // Read where they are: a million notes' list of GUIDs and ordinals was 32 MB.
    let cards = assignments.len();
    note_and_card_ids(cards + removed.len(), |index| {
        match index.checked_sub(cards) {
            None => (assignments[index].guid.as_str(), &ords[index][..]),
            Some(gone) => (removed[gone].0.guid.as_str(), [0].as_slice()),
        }
    })
}

/// A card of the sources, with the document it is in, the deck it goes to and the kind of
/// note it makes.
#[derive(Clone, Copy)]
struct SourceCard<'a> {
    document: &'a Document,
    draft: &'a source::CardDraft,
    deck: usize,
    kind: NoteKind,
}

/// The kind of note a card makes: its own (cloze, or marked reversed), else reversed when its
/// document says `cards: both`, or says nothing and the project asks for both.
fn kind_of(document: &Document, draft: &source::CardDraft, reversed: bool) -> NoteKind {
    match draft.kind {
        NoteKind::Basic if document.reversed.unwrap_or(reversed) => NoteKind::Reversed,
        kind => kind,
    }
}

/// The key a card's identity is matched by: its normalised question, read without cloze
/// markup for a cloze note, so adding, renumbering or hinting a cloze keeps the note.
fn question_key(card: &source::CardDraft, kind: NoteKind) -> String {
    match kind {
        NoteKind::Cloze => normalise_question(&source::cloze::plain(&card.question)),
        _ => normalise_question(&card.question),
    }
}

/// The card ordinals a note of `kind` makes from `card`: one, two (the reverse), or one per
/// cloze number (the number minus one), read from the source as Anki will from the field.
fn card_ords(card: &source::CardDraft, kind: NoteKind) -> Cow<'static, [u16]> {
    match kind {
        NoteKind::Basic => Cow::Borrowed(&[0]),
        NoteKind::Reversed => Cow::Borrowed(&[0, 1]),
        NoteKind::Cloze => source::cloze::card_numbers(&card.question, &card.answer)
            .into_iter()
            .map(|n| n - 1)
            .collect(),
    }
}

/// A card's note fields and tags, and the images that could not be packed.
struct CardFields {
    fields: Vec<String>,
    tags: Vec<String>,
    problems: Vec<String>,
    /// The question and answer before their images were packed, when asked for and different.
    unpacked: Option<[String; 2]>,
}

/// Renders cards into note fields, each once. Planning needs no rendering (identities and
/// change detection come from the source) except for the cards that may show an image, whose
/// images are packed and hashed by content: those are rendered while planning and kept; every
/// other card is rendered when the writer asks for its note, so a large deck is never held
/// rendered in memory.
struct NoteMaker<'a> {
    cards: Vec<SourceCard<'a>>,
    renderer: HtmlRenderer,
    /// The renderer of fields whose media is packed when remote images are downloaded: it
    /// keeps them as images for the collector, which links any it cannot download.
    packing_renderer: Option<HtmlRenderer>,
    /// The images packed so far; `None` for text outputs, which do not pack images.
    media: Option<Mutex<MediaCollector>>,
    /// Each card's section tag (the deck's root with the section below it), made once per
    /// section: cards of one section share it, and slugging it per card was a fiftieth of a
    /// build.
    section_tags: SectionTags,
    /// Only text outputs render from the Markdown; an .apkg needs the HTML alone.
    keep_markdown: bool,
}

impl NoteMaker<'_> {
    /// The fields of a card that shows no image (or of a text output, which packs none).
    fn fields(&self, index: usize) -> Vec<String> {
        self.fields_with(index, None, false).fields
    }

    /// The fields with images packed into `media`, keeping the unpacked question and answer
    /// if `keep_unpacked` (a lock from before version 2 hashed what the output format showed).
    fn fields_with(
        &self,
        index: usize,
        media: Option<&Mutex<MediaCollector>>,
        keep_unpacked: bool,
    ) -> CardFields {
        let SourceCard {
            document,
            draft: card,
            ..
        } = self.cards[index];
        let renderer = match (media, &self.packing_renderer) {
            (Some(_), Some(packing)) => packing,
            _ => &self.renderer,
        };
        let question = renderer.inline(&card.question);
        let answer = match crate::render::extra::mark(&card.answer) {
            Some(marked) => renderer.block(&marked),
            None => renderer.block(&card.answer),
        };
        let mut problems = Vec::new();
        let mut unpacked = None;
        let (question, answer) = match media {
            Some(media)
                if shows_image(&question)
                    || shows_image(&answer)
                    || plays_sound(&question)
                    || plays_sound(&answer) =>
            {
                if keep_unpacked {
                    unpacked = Some([question.clone(), answer.clone()]);
                }
                // Relative image paths start from the document's folder.
                let folder = crate::write::atomic::parent_folder(&document.path);
                let mut media = media.lock().unwrap_or_else(PoisonError::into_inner);
                let (question, more) = media.pack(question, folder);
                problems.extend(more);
                let (answer, more) = media.pack(answer, folder);
                problems.extend(more);
                (question, answer)
            }
            _ => (question, answer),
        };
        let mut fields = vec![String::new(); FIELD_NAMES.len()];
        match self.cards[index].kind {
            NoteKind::Cloze => {
                let [text, extra] = cloze_fields(card, question, answer);
                fields[cloze_field::TEXT] = text;
                fields[cloze_field::EXTRA] = extra;
            }
            NoteKind::Basic | NoteKind::Reversed => {
                fields[field::QUESTION] = question;
                fields[field::ANSWER] = answer;
            }
        }
        fields[field::SECTION] = escape(&card.section.join(" › "));
        fields[field::NUMBER] = card.number.map(|n| n.to_string()).unwrap_or_default();
        if let Some(link) = &card.source_link {
            fields[field::SOURCE] = self.renderer.link(link);
        }
        CardFields {
            fields,
            tags: self.tags(index),
            problems,
            unpacked,
        }
    }

    /// A card's tags: the deck's root with the section below it, then the card's own.
    fn tags(&self, index: usize) -> Vec<String> {
        let card = self.cards[index].draft;
        let mut tags = Vec::with_capacity(1 + card.tags.len());
        tags.push(self.section_tags.of(index).to_string());
        tags.extend(card.tags.iter().cloned());
        tags
    }

    fn markdown(&self, index: usize) -> Option<NoteMarkdown> {
        let card = self.cards[index].draft;
        self.keep_markdown.then(|| NoteMarkdown {
            question: card.question.clone(),
            answer: card.answer.clone(),
            section: card.section.to_vec(),
            kind: self.cards[index].kind,
        })
    }
}

/// A cloze note's Text and Extra: the question holds the clozes, the answer is shown under it
/// on the back; when the answer holds clozes too, both sides are the Text (the question
/// above, as the prompt) and Extra stays empty. `}}` inside math would end a cloze early in
/// Anki, so it is written `} }` there (MathJax reads both alike).
fn cloze_fields(card: &source::CardDraft, question: String, answer: String) -> [String; 2] {
    use crate::render::cloze::guard_math;
    if source::cloze::numbers(&card.answer).is_empty() {
        [guard_math(&question), answer]
    } else {
        let text = format!("{question}<div class=\"df-cloze-answer\">{answer}</div>");
        [guard_math(&text), String::new()]
    }
}

/// The section tags of a deck's cards: each distinct tag once, and per card its place.
struct SectionTags {
    tags: Vec<String>,
    of_card: Vec<u32>,
}

impl SectionTags {
    fn new(cards: &[SourceCard], tag_root: &str) -> Self {
        // Keyed by the section's allocation: a document's cards of one section share it, and
        // two allocations of one section merely make the same tag twice.
        let mut known: HashMap<*const String, u32> = HashMap::new();
        let mut tags = Vec::new();
        let of_card = cards
            .iter()
            .map(|card| {
                let section = &card.draft.section;
                *known.entry(section.as_ptr()).or_insert_with(|| {
                    let mut tag = tag_root.to_string();
                    for part in section.iter().map(|s| slug(s)).filter(|s| !s.is_empty()) {
                        tag.push_str("::");
                        tag.push_str(&part);
                    }
                    tags.push(tag);
                    (tags.len() - 1) as u32
                })
            })
            .collect();
        SectionTags { tags, of_card }
    }

    fn of(&self, card: usize) -> &str {
        &self.tags[self.of_card[card] as usize]
    }
}

/// The deck's display name: the option, else the first document's, else the tag root.
fn deck_name_of(documents: &[Document], options: &BuildOptions, tag_root: &str) -> String {
    options
        .deck_name
        .clone()
        .or_else(|| documents.first().map(Document::suggested_deck_name))
        .map(|name| plain_deck_name(&name))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| tag_root.to_string())
}

/// Matches the cards' keys against the previous lock (handed over: matching frees what it no
/// longer needs) and fills the next lock's deck-wide records.
fn assign_identities(
    maker: &NoteMaker,
    decks: &[DeckInfo],
    deck_name: &str,
    identity: &DeckIdentity,
    (keys, previous): (Vec<CardKey>, Option<Lock>),
    now: i64,
    keep_lock: bool,
) -> Identities {
    let memory = previous.as_ref().map(DeckMemory::of);
    let previous_note_type = previous.as_ref().and_then(|lock| lock.note_type.clone());
    let Assigned {
        cards: assignments,
        removed,
        notes,
    } = identity::assign_owned(
        &identity.namespace,
        keys,
        previous.map(|lock| lock.notes).unwrap_or_default(),
        now,
    );
    let mut lock = Lock {
        note_type: previous_note_type.clone(),
        notes,
        ..Lock::new(&identity.namespace)
    };
    for (record, card) in lock.notes.iter_mut().zip(&maker.cards) {
        // A matched record arrives with its text: only a changed question is copied (a
        // million copies were 50 MB beside both locks).
        if keep_lock && record.text != card.draft.question {
            record.text = card.draft.question.clone();
        }
        record.subdeck = subdeck_of(decks, card.deck).to_string();
    }
    let mut notices = Vec::new();
    if let Some(memory) = &memory {
        notices.extend(memory.deck_notices(deck_name, &lock, &assignments));
    }
    if !keep_lock && removed.is_empty() {
        // Nothing reads the records of a lock that is not written once identities are
        // decided: a million of them are a quarter of planning's memory.
        lock.notes = Vec::new();
    }
    lock.note_type_id = Some(identity.note_type_id);
    lock.tag_root = Some(identity.tag_root.clone());
    lock.deck = Some(deck_name.to_string());
    lock.notices = memory.map(|m| m.notices).unwrap_or_default();
    Identities {
        assignments,
        removed,
        lock,
        notices,
        previous_note_type,
    }
}

/// The deck's note types: the basic one always (first), then the reversed and cloze ones its
/// notes use, with their indexes by [`NoteKind`]. Their modification time is bumped only when
/// the design of one of them changed since the lock's stamp (which the next lock records); a
/// deck using only the basic type keeps the stamp it always had. Also whether the design
/// changed.
fn note_types_of(
    identity: &DeckIdentity,
    options: &BuildOptions,
    previous: Option<Stamp>,
    lock: &mut Lock,
    kinds: &std::collections::BTreeSet<NoteKind>,
) -> (Vec<NoteType>, [usize; 3], bool) {
    let name = format!("deckforge-{}", identity.tag_root);
    let templates = options.templates.card_templates();
    let css = options.templates.css.clone();
    let mut types = vec![(
        NoteKind::Basic,
        NoteType::basic(
            identity.note_type_id,
            name.clone(),
            templates,
            css.clone(),
            0,
        ),
    )];
    if kinds.contains(&NoteKind::Reversed) {
        types.push((
            NoteKind::Reversed,
            NoteType::reversed(
                note_type_id(identity, NoteKind::Reversed),
                format!("{name} reversed"),
                options.templates.reversed_templates(),
                css.clone(),
                0,
            ),
        ));
    }
    if kinds.contains(&NoteKind::Cloze) {
        types.push((
            NoteKind::Cloze,
            NoteType::cloze(
                note_type_id(identity, NoteKind::Cloze),
                format!("{name} cloze"),
                options.templates.cloze_template(),
                options.templates.cloze_css(),
                0,
            ),
        ));
    }
    let hash = design_hash(&types);
    let changed = previous
        .as_ref()
        .is_some_and(|stamp| stamp.content_hash != hash);
    let modified = match previous {
        Some(stamp) if stamp.content_hash == hash => stamp.modified,
        // Clamped: a time the lock reader refuses would make the next build fail.
        Some(stamp) => options
            .now
            .max(stamp.modified.saturating_add(1))
            .clamp(0, lock::LATEST_TIME),
        None => options.now,
    };
    lock.note_type = Some(Stamp {
        content_hash: hash,
        modified,
    });
    let mut index = [0; 3];
    for (at, (kind, _)) in types.iter().enumerate() {
        index[*kind as usize] = at;
    }
    let types = types
        .into_iter()
        .map(|(_, note_type)| NoteType {
            modified,
            ..note_type
        })
        .collect();
    (types, index, changed)
}

/// The hash of the note types' design (names, CSS, templates) that their stamp follows. The
/// basic type's parts come as they always did, so a deck of basic notes keeps its stamp; the
/// other types add theirs (their first template, the basic one, is counted once).
fn design_hash(types: &[(NoteKind, NoteType)]) -> identity::ContentHash {
    let mut parts = Vec::new();
    for (kind, note_type) in types {
        parts.extend([note_type.name.as_str(), note_type.css.as_str()]);
        for template in &note_type.templates {
            if !kind.is_basic() && template.name == crate::templates::CARD_TEMPLATE_NAME {
                continue;
            }
            parts.extend([
                template.name.as_str(),
                template.front.as_str(),
                template.back.as_str(),
            ]);
        }
    }
    content_hash(parts)
}

/// The id of the deck's note type of `kind`: the deck's own for basic notes; derived from the
/// deck's namespace for the others. Pinned by known answers: it never changes once shipped.
pub(crate) fn note_type_id(identity: &DeckIdentity, kind: NoteKind) -> i64 {
    match kind {
        NoteKind::Basic => identity.note_type_id,
        _ => stable_id(&format!("notetype/{kind}"), &identity.namespace),
    }
}

/// Everything a build decides before writing: identities, stamps, decks, media, the next lock
/// and the report. The notes of the sources are rendered when asked for ([`NoteSource`]).
struct Planned<'a> {
    maker: NoteMaker<'a>,
    /// Per card of the sources: its GUID, ids and place.
    stubs: Vec<(String, PlannedNote)>,
    /// The fields of the cards rendered to plan (those showing an image, for an .apkg).
    rendered: Vec<Option<Box<[String]>>>,
    /// Notes of questions gone from the sources, shipped tagged removed.
    removed: Vec<Note>,
    /// Per [`NoteKind`] (as `usize`), the index of its note type in the package.
    kind_index: [usize; 3],
    /// The package without notes.
    header: DeckMeta,
    lock: Lock,
    counts: ChangeCounts,
    /// Changed cards of the sources; their text is only copied for the report.
    changed: Vec<CardChange>,
    /// Notes newly removed from the sources.
    removed_changes: Vec<ChangedNote>,
    diagnostics: Vec<Diagnostic>,
    /// Said once per deck: see [`BuildReport::notices`].
    notices: Vec<String>,
    /// See [`BuildReport::design_changed`].
    design_changed: bool,
    /// The image files read, which the output must not replace.
    media_files: Option<Vec<PathBuf>>,
}

/// A note of the sources as planned: everything but its fields, which are rendered when the
/// writer asks for them.
struct PlannedNote {
    note_id: i64,
    /// Index into the package's note types.
    note_type: usize,
    cards: Vec<Card>,
    deck: usize,
    modified: i64,
}

/// A card that changed since the lock, until the report asks for its text: a first build of a
/// million cards has a million added notes.
struct CardChange {
    change: ChangeKind,
    card: usize,
    previous: Option<String>,
}

/// What planning starts from: the documents, the options, the deck's identity and the lock.
struct PlanInput<'a, 'p> {
    documents: &'a [Document],
    options: &'p BuildOptions,
    identity: DeckIdentity,
    /// Freed once identities are decided (a build hands its lock over; `plan` copies).
    previous: Option<Cow<'p, Lock>>,
    /// Whether the next lock will be used; without it its records hold no written questions.
    keep_lock: bool,
    /// The output format, decided once by the caller; `None` for a plan that is only looked at
    /// (preview, diff): HTML and Markdown kept, no image packed.
    format: Option<OutputFormat>,
    progress: ProgressFn<'p>,
}

/// The identities decided for the cards of the sources and the notes gone from them.
struct Identities {
    assignments: Vec<identity::Assignment>,
    removed: Vec<(crate::lock::LockedNote, i64)>,
    lock: Lock,
    notices: Vec<String>,
    previous_note_type: Option<Stamp>,
}

impl<'a> Planned<'a> {
    /// Plans the build: cards → keys (from the source) → identities → ids and stamps; no I/O
    /// but the images cards show.
    fn new(input: PlanInput<'a, '_>) -> Self {
        let PlanInput {
            documents, options, ..
        } = input;
        let apkg = input.format == Some(OutputFormat::Apkg);
        let deck_name = deck_name_of(documents, options, &input.identity.tag_root);
        let mut diagnostics: Vec<Diagnostic> = documents
            .iter()
            .flat_map(|d| d.diagnostics.clone())
            .collect();
        let (decks, cards) = decks_and_cards(documents, options, &deck_name);
        let renderer =
            || HtmlRenderer::new(options.allow_html).with_highlighting(options.highlight);
        let downloads = options.download_images.filter(|_| apkg);
        let maker = NoteMaker {
            section_tags: SectionTags::new(&cards, &input.identity.tag_root),
            cards,
            renderer: renderer(),
            packing_renderer: downloads.map(|_| renderer().with_remote_images(true)),
            media: apkg.then(|| {
                Mutex::new(match downloads {
                    Some(limits) => MediaCollector::downloading(limits),
                    None => MediaCollector::default(),
                })
            }),
            keep_markdown: !apkg,
        };
        let mut previous = input.previous.map(Cow::into_owned);
        let legacy = previous.as_ref().is_some_and(Lock::has_rendered_hashes);
        let keyed = card_keys(&maker, options, legacy, input.progress, &mut diagnostics);
        let matching = |done| {
            (input.progress)(Progress {
                stage: Stage::Matching,
                done,
                total: 1,
            })
        };
        matching(0);
        if let Some(lock) = &mut previous {
            migrate_hashes(lock, &keyed.migrations);
        }
        let mut identities = assign_identities(
            &maker,
            &decks,
            &deck_name,
            &input.identity,
            (keyed.keys, previous),
            options.now,
            input.keep_lock,
        );
        if input.format == Some(OutputFormat::Text(crate::write::presets::Preset::Anki)) {
            let more = csv_notices(&mut identities.lock.notices, options.changed_only);
            identities.notices.extend(more);
        }
        let mut planned = Planned {
            maker,
            stubs: Vec::new(),
            rendered: keyed.rendered,
            removed: Vec::new(),
            kind_index: [0; 3],
            header: DeckMeta {
                note_types: Vec::new(),
                decks,
                media: Vec::new(),
                built_at: options.now,
            },
            lock: Lock::new(""),
            counts: ChangeCounts::default(),
            changed: Vec::new(),
            removed_changes: Vec::new(),
            diagnostics,
            notices: Vec::new(),
            design_changed: false,
            media_files: Some(keyed.files),
        };
        planned.place(identities, &input.identity, options, apkg);
        matching(1);
        planned
    }

    /// Gives every note its ids, stamp and change, and the package its note type, media and
    /// build time.
    fn place(
        &mut self,
        identities: Identities,
        identity: &DeckIdentity,
        options: &BuildOptions,
        apkg: bool,
    ) {
        let Identities {
            assignments,
            removed,
            mut lock,
            notices,
            previous_note_type,
        } = identities;
        let ords: Vec<Cow<'static, [u16]>> = self
            .maker
            .cards
            .iter()
            .map(|card| card_ords(card.draft, card.kind))
            .collect();
        let (ids, more_card_ids) = ids_of(&assignments, &ords, &removed);
        let kinds: std::collections::BTreeSet<NoteKind> = self
            .maker
            .cards
            .iter()
            .map(|card| card.kind)
            .chain(removed.iter().map(|(record, _)| record.kind))
            .collect();
        let (note_types, kind_index, design_changed) =
            note_types_of(identity, options, previous_note_type, &mut lock, &kinds);
        self.kind_index = kind_index;
        self.design_changed = design_changed;
        self.stubs = self.place_cards(assignments, &ids, &mut more_card_ids.into_iter(), &ords);
        // Only a deck with notes gone from it asks (a million questions' map is 50 MB).
        let now_kinds: HashMap<&str, NoteKind> = match removed.is_empty() {
            true => HashMap::new(),
            false => lock.notes[..self.stubs.len()]
                .iter()
                .map(|record| (record.question.as_str(), record.kind))
                .collect(),
        };
        let retired = Retired {
            renderer: &self.maker.renderer,
            tag_root: &identity.tag_root,
            now: options.now,
            // Anki's CSV import makes cards from the templates, so a retired note in a CSV
            // would be a studyable card for a new learner: text outputs leave them out.
            ship: apkg,
            kind_index: self.kind_index,
            now_kinds: &now_kinds,
        };
        let (removed_notes, removed_changes) =
            retired.notes(&removed, &ids[self.stubs.len()..], &mut self.counts);
        // The package's own timestamps follow its content, so an unchanged rebuild is
        // byte-identical.
        self.header.built_at = self
            .stubs
            .iter()
            .map(|(_, stub)| stub.modified)
            .chain(removed_notes.iter().map(|n| n.modified))
            .chain(note_types.iter().map(|t| t.modified))
            .max()
            .unwrap_or(options.now);
        self.header.note_types = note_types;
        self.header.media = self
            .maker
            .media
            .as_ref()
            .map(|media| {
                std::mem::take(&mut *media.lock().unwrap_or_else(PoisonError::into_inner))
                    .into_media()
            })
            .unwrap_or_default();
        self.removed = removed_notes;
        self.removed_changes = removed_changes;
        self.lock = lock;
        self.notices = notices;
    }

    /// The cards' notes with their ids, counting changes and warning about duplicates.
    fn place_cards(
        &mut self,
        assignments: Vec<identity::Assignment>,
        ids: &[(i64, i64)],
        more_card_ids: &mut impl Iterator<Item = i64>,
        ords: &[Cow<'static, [u16]>],
    ) -> Vec<(String, PlannedNote)> {
        // Collected in place where the two are the same size (they are today): a million
        // assignments and stubs were 160 MB side by side.
        assignments
            .into_iter()
            .enumerate()
            .map(|(index, assignment)| {
                let SourceCard {
                    document,
                    draft,
                    deck,
                    kind,
                } = self.maker.cards[index];
                if let Some(first) = assignment.duplicate_of {
                    let first = self.maker.cards[first];
                    self.diagnostics.push(Diagnostic::warning(
                        &document.path,
                        draft.line,
                        draft.column,
                        format!(
                            "duplicate question, also at {}:{}; it gets its own GUID",
                            first.document.path.display(),
                            first.draft.line
                        ),
                    ));
                }
                if let Some(change) = self.counts.count(assignment.change) {
                    self.changed.push(CardChange {
                        change,
                        card: index,
                        previous: assignment.previous_text,
                    });
                }
                let (note_id, first_card_id) = ids[index];
                let card_ids = std::iter::once(first_card_id).chain(more_card_ids.by_ref());
                let stub = PlannedNote {
                    note_id,
                    cards: ords[index]
                        .iter()
                        .zip(card_ids)
                        .map(|(&ord, id)| Card { id, ord })
                        .collect(),
                    deck,
                    modified: assignment.modified,
                    note_type: self.kind_index[kind as usize],
                };
                (assignment.guid, stub)
            })
            .collect()
    }

    /// The notes that changed since the lock, for the report: sources' cards in order, then
    /// notes newly removed.
    fn changes(&mut self) -> Vec<ChangedNote> {
        let mut changes: Vec<ChangedNote> = std::mem::take(&mut self.changed)
            .into_iter()
            .map(|change| ChangedNote {
                change: change.change,
                guid: self.stubs[change.card].0.clone(),
                question: self.maker.cards[change.card].draft.question.clone(),
                previous: change.previous,
                now_kind: None,
            })
            .collect();
        changes.append(&mut self.removed_changes);
        changes
    }

    /// Renders every note, on every core.
    fn render_notes(&self) -> Vec<Note> {
        parallel_map(self.count(), |index| self.note(index).into_owned(), |_| {})
    }
}

impl NoteSource for Planned<'_> {
    fn count(&self) -> usize {
        self.stubs.len() + self.removed.len()
    }

    fn stub(&self, index: usize) -> NoteStub<'_> {
        match self.stubs.get(index) {
            Some((_, stub)) => NoteStub {
                note_id: stub.note_id,
                note_type: stub.note_type,
                deck: stub.deck,
                modified: stub.modified,
                cards: &stub.cards,
            },
            None => self.removed[index - self.stubs.len()].stub(),
        }
    }

    fn note(&self, index: usize) -> Cow<'_, Note> {
        let Some((guid, stub)) = self.stubs.get(index) else {
            return Cow::Borrowed(&self.removed[index - self.stubs.len()]);
        };
        let fields = match &self.rendered[index] {
            Some(fields) => fields.to_vec(),
            None => self.maker.fields(index),
        };
        let tags = self.maker.tags(index);
        Cow::Owned(Note {
            guid: guid.clone(),
            note_id: stub.note_id,
            note_type: stub.note_type,
            cards: stub.cards.clone(),
            deck: stub.deck,
            modified: stub.modified,
            fields,
            tags,
            markdown: self.maker.markdown(index),
        })
    }
}

impl ChangeCounts {
    /// Counts one card's change; its kind in the report, `None` for an unchanged note.
    fn count(&mut self, change: Change) -> Option<ChangeKind> {
        let (count, kind) = match change {
            Change::Added => (&mut self.added, Some(ChangeKind::Added)),
            Change::Updated => (&mut self.updated, Some(ChangeKind::Updated)),
            Change::Reworded => (&mut self.reworded, Some(ChangeKind::Reworded)),
            Change::Unchanged => (&mut self.unchanged, None),
        };
        *count += 1;
        kind
    }
}

/// The decks and every card with the deck it goes to. With subdecks each section is a deck
/// below the main one, and every level of a nested section gets its own deck row: clients
/// such as AnkiDroid have crashed on a `D::Top::Mid` without its parent `D::Top`.
fn decks_and_cards<'a>(
    documents: &'a [Document],
    options: &BuildOptions,
    deck_name: &str,
) -> (Vec<DeckInfo>, Vec<SourceCard<'a>>) {
    let subdecks = options.subdecks;
    let mut decks = vec![DeckInfo {
        id: stable_id("deck", deck_name),
        name: deck_name.to_string(),
    }];
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_section: HashMap<&[String], usize> = HashMap::new();
    let mut cards = Vec::with_capacity(documents.iter().map(|d| d.cards.len()).sum());
    for document in documents {
        for draft in &document.cards {
            let deck = if subdecks && !draft.section.is_empty() {
                *by_section.entry(&draft.section).or_insert_with(|| {
                    let mut name = deck_name.to_string();
                    let mut index = 0;
                    for part in draft.section.iter() {
                        name.push_str("::");
                        name.push_str(&plain_deck_name(part).replace("::", ":"));
                        index = *by_name.entry(name.clone()).or_insert_with(|| {
                            decks.push(DeckInfo {
                                id: stable_id("deck", &name),
                                name: name.clone(),
                            });
                            decks.len() - 1
                        });
                    }
                    index
                })
            } else {
                0
            };
            cards.push(SourceCard {
                document,
                draft,
                deck,
                kind: kind_of(document, draft, options.reversed),
            });
        }
    }
    (decks, cards)
}

/// The part of a deck's name below the main deck (`Top::Mid`), empty for the main deck.
fn subdeck_of(decks: &[DeckInfo], deck: usize) -> &str {
    let main = decks[0].name.len();
    decks[deck].name.get(main + 2..).unwrap_or_default()
}

/// How a card's hashes looked in a lock from before version 2 (rendered HTML, with images
/// packed as in an `.apkg` or not as in a CSV), and how they look now (from the source).
struct Migration {
    rendered: [identity::ContentHash; 4],
    content: identity::ContentHash,
    answer: identity::ContentHash,
}

/// What planning learns from each card: its identity key, the old-style hashes to migrate a
/// lock that hashed rendered notes, the image files read (the output never replaces one), and
/// the fields of the cards rendered to plan, for the writer.
struct Keyed {
    keys: Vec<CardKey>,
    migrations: Vec<Migration>,
    files: Vec<PathBuf>,
    rendered: Vec<Option<Box<[String]>>>,
}

/// Every card's identity key, with content hashes from the source. Only cards that may show an
/// image are rendered (all of them for a lock that hashed rendered notes): images are resolved
/// for every format, so a changed image is a changed note whichever file is built.
fn card_keys(
    maker: &NoteMaker,
    options: &BuildOptions,
    legacy: bool,
    progress: ProgressFn,
    diagnostics: &mut Vec<Diagnostic>,
) -> Keyed {
    // Text outputs do not pack images; these are resolved only to be hashed.
    let scratch: Option<Mutex<MediaCollector>> = maker.media.is_none().then(Mutex::default);
    let media = maker.media.as_ref().or(scratch.as_ref());
    let total = maker.cards.len() as u64;
    // Images that cannot be packed are rare: they are collected aside, and so are the
    // migrations and the fields rendered to plan, so that the map's results are the keys alone
    // (a million cards' keys with room for those were 200 MB; the keys alone are half).
    let aside = Mutex::new(Aside::default());
    let keys = parallel_map(
        maker.cards.len(),
        |index| card_key(maker, index, media, legacy, options.allow_html, &aside),
        |done| {
            progress(Progress {
                stage: Stage::Rendering,
                done,
                total,
            })
        },
    );
    let Aside {
        mut migrations,
        kept,
        problems,
    } = aside.into_inner().unwrap_or_else(PoisonError::into_inner);
    diagnostics.extend(media_warnings(maker, problems));
    let files = media
        .map(|media| {
            let media = media.lock().unwrap_or_else(PoisonError::into_inner);
            media.files().map(Path::to_path_buf).collect()
        })
        .unwrap_or_default();
    // In card order, as the cards were keyed.
    migrations.sort_unstable_by_key(|(index, _)| *index);
    let mut rendered: Vec<Option<Box<[String]>>> = Vec::new();
    rendered.resize_with(keys.len(), || None);
    for (index, fields) in kept {
        rendered[index] = Some(fields);
    }
    Keyed {
        keys,
        migrations: migrations.into_iter().map(|(_, m)| m).collect(),
        files,
        rendered,
    }
}

/// What keying finds for a few cards only, by card index: the migrations of a lock that
/// hashed rendered notes (or decomposed text), the fields rendered to plan, and the images
/// that could not be packed.
#[derive(Default)]
struct Aside {
    migrations: Vec<(usize, Migration)>,
    kept: Vec<(usize, Box<[String]>)>,
    problems: Vec<(usize, Vec<String>)>,
}

/// One card's key; its migration for a legacy lock and its fields if rendered for an .apkg go
/// to `aside`, and so do problems packing its images (only for an .apkg, which packs them).
fn card_key(
    maker: &NoteMaker,
    index: usize,
    media: Option<&Mutex<MediaCollector>>,
    legacy: bool,
    allow_html: bool,
    aside: &Mutex<Aside>,
) -> CardKey {
    let card = maker.cards[index].draft;
    let images = may_show_image(card);
    let highlighted =
        maker.renderer.highlights(&card.question) || maker.renderer.highlights(&card.answer);
    let variant = match (
        highlighted,
        crate::render::extra::mark(&card.answer).is_some(),
    ) {
        (false, false) => "",
        (true, false) => "+highlight",
        (false, true) => "+extra",
        (true, true) => "+highlight+extra",
    };
    let mut kept = None;
    let (tags, image_list, rendered_hashes) = if images || legacy {
        let rendered = maker.fields_with(index, media, legacy);
        if !rendered.problems.is_empty() && maker.media.is_some() {
            aside
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .problems
                .push((index, rendered.problems.clone()));
        }
        let image_list = image_sources(&rendered.fields);
        let old = legacy.then(|| rendered_hashes(&rendered));
        // Only an .apkg writes the packed fields; text outputs render without packing.
        if images && maker.media.is_some() {
            kept = Some(rendered.fields.into_boxed_slice());
        }
        (rendered.tags, image_list, old)
    } else {
        (maker.tags(index), String::new(), None)
    };
    let hashes = source_hashes(card, &tags, &image_list, allow_html, variant);
    let migration = match rendered_hashes {
        Some(rendered) => Some(Migration {
            rendered,
            content: hashes.0,
            answer: hashes.1,
        }),
        None => decomposed_migration(card, &tags, &image_list, (allow_html, variant), hashes),
    };
    let kind = maker.cards[index].kind;
    let key = CardKey {
        normalised: question_key(card, kind),
        kind,
        // Left empty: the next record keeps its matched record's text, and a changed
        // question is copied in after matching.
        text: String::new(),
        explicit_id: card.explicit_id.clone(),
        content_hash: hashes.0,
        answer_hash: hashes.1,
    };
    if migration.is_some() || kept.is_some() {
        let mut aside = aside.lock().unwrap_or_else(PoisonError::into_inner);
        aside.migrations.extend(migration.map(|m| (index, m)));
        aside.kept.extend(kept.map(|fields| (index, fields)));
    }
    key
}

/// Warnings for the images that could not be packed, in card order.
fn media_warnings(maker: &NoteMaker, mut problems: Vec<(usize, Vec<String>)>) -> Vec<Diagnostic> {
    problems.sort_unstable_by_key(|(index, _)| *index);
    let mut warnings = Vec::new();
    for (index, problems) in problems {
        let SourceCard {
            document, draft, ..
        } = maker.cards[index];
        warnings.extend(
            problems.into_iter().map(|problem| {
                Diagnostic::warning(&document.path, draft.line, draft.column, problem)
            }),
        );
    }
    warnings
}

/// The image sources the question and answer show, each followed by a separator (packed
/// names, which follow the image's content, for a build that packs them).
fn image_sources(fields: &[String]) -> String {
    let mut images = String::new();
    for html in &fields[..=field::ANSWER] {
        // Packed sounds are named by their content, so a changed recording updates the note.
        for (at, _) in html.match_indices("[sound:") {
            let name = &html[at + 7..];
            images.push_str(&name[..name.find(']').unwrap_or(name.len())]);
            images.push('\u{1f}');
        }
        if shows_image(html) {
            crate::render::media::rewrite_img_sources(html, |src| {
                images.push_str(src);
                images.push('\u{1f}');
                None
            });
        }
    }
    images
}

/// A card's content and answer hashes from its source: the Markdown of each field (line
/// endings and trailing spaces folded), the section, link and tags, the images it shows (by
/// content) and [`RENDER_VERSION`]. The question number is left out: renumbering alone would
/// otherwise overwrite every later note's edits in Anki. (The text is in composed form, NFC:
/// documents are read so.)
fn source_hashes(
    card: &source::CardDraft,
    tags: &[String],
    images: &str,
    allow_html: bool,
    variant: &str,
) -> (identity::ContentHash, identity::ContentHash) {
    hashes_of(card, tags, images, (allow_html, variant), |text| {
        Cow::Borrowed(text)
    })
    .0
}

/// For a card with accents: its hashes as a release that read documents as written computed
/// them from a file saved with decomposed accents (NFD), to be rewritten as today's in the
/// previous lock, so that release's lock keeps the note unchanged (a bumped modification time
/// would make Anki overwrite edits made in it). `None` for text no decomposition changes.
fn decomposed_migration(
    card: &source::CardDraft,
    tags: &[String],
    images: &str,
    rendering: (bool, &str),
    (content, answer): (identity::ContentHash, identity::ContentHash),
) -> Option<Migration> {
    let ((old_content, old_answer), changed) = hashes_of(card, tags, images, rendering, decomposed);
    changed.then_some(Migration {
        rendered: [old_content, old_content, old_answer, old_answer],
        content,
        answer,
    })
}

/// `text` decomposed (NFD), borrowed when that changes nothing (plain ASCII, most text).
fn decomposed(text: &str) -> Cow<'_, str> {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfd_quick};
    if text.is_ascii() || is_nfd_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.nfd().collect())
}

/// `text` folded by `fold`, without a copy when `fold` leaves it as it is, and whether it
/// changed it.
fn folded_with(text: String, fold: fn(&str) -> Cow<'_, str>, changed: &mut bool) -> String {
    let folded = match fold(&text) {
        Cow::Owned(folded) => Some(folded),
        Cow::Borrowed(_) => None,
    };
    *changed |= folded.is_some();
    folded.unwrap_or(text)
}

fn hashes_of(
    card: &source::CardDraft,
    tags: &[String],
    images: &str,
    (allow_html, variant): (bool, &str),
    fold: fn(&str) -> Cow<'_, str>,
) -> ((identity::ContentHash, identity::ContentHash), bool) {
    let mut changed = false;
    let question = folded_with(folded_markdown(&card.question), fold, &mut changed);
    let answer = folded_with(folded_markdown(&card.answer), fold, &mut changed);
    let section = folded_with(card.section.join("\u{1f}"), fold, &mut changed);
    let tags = folded_with(tags.join(" "), fold, &mut changed);
    // Highlighted code and extra notes changed these notes' rendering (and `--no-highlight`
    // changes it back): they alone are updated, as a version bump would update every note.
    let version = format!("{RENDER_VERSION}{variant}");
    let content = content_hash([
        "source",
        version.as_str(),
        if allow_html { "raw" } else { "safe" },
        question.as_str(),
        answer.as_str(),
        section.as_str(),
        card.source_link.as_deref().unwrap_or_default(),
        tags.as_str(),
        images,
    ]);
    let answer = content_hash(["answer", version.as_str(), answer.as_str()]);
    ((content, answer), changed)
}

/// Markdown with the differences no reader sees folded away: `\r\n`, trailing spaces, and
/// blank lines around it.
fn folded_markdown(markdown: &str) -> String {
    let lines: Vec<&str> = markdown.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

/// The content and answer hashes a release before lock version 2 wrote: of the rendered
/// fields with images packed (an `.apkg`) and without (a CSV).
fn rendered_hashes(rendered: &CardFields) -> [identity::ContentHash; 4] {
    let packed = note_content_hash(&rendered.fields, &rendered.tags);
    let packed_answer = content_hash([rendered.fields[field::ANSWER].as_str()]);
    match &rendered.unpacked {
        Some([question, answer]) => {
            let mut fields = rendered.fields.clone();
            fields[field::QUESTION] = question.clone();
            fields[field::ANSWER] = answer.clone();
            [
                packed,
                note_content_hash(&fields, &rendered.tags),
                packed_answer,
                content_hash([answer.as_str()]),
            ]
        }
        None => [packed, packed, packed_answer, packed_answer],
    }
}

/// Rewrites a lock's rendered-HTML hashes as source hashes wherever a card of this build
/// still renders to exactly what the lock recorded: those notes stay unchanged, keeping their
/// modification times, instead of all being stamped new (Anki would then overwrite every
/// edit made in it). The lock is written as version 2 afterwards.
fn migrate_hashes(lock: &mut Lock, migrations: &[Migration]) {
    let mut contents = HashMap::with_capacity(migrations.len() * 2);
    let mut answers = HashMap::with_capacity(migrations.len() * 2);
    for migration in migrations {
        let [packed, unpacked, packed_answer, unpacked_answer] = migration.rendered;
        contents.insert(packed, migration.content);
        contents.insert(unpacked, migration.content);
        answers.insert(packed_answer, migration.answer);
        answers.insert(unpacked_answer, migration.answer);
    }
    for note in lock.notes.iter_mut().filter(|note| !note.removed) {
        if let Some(content) = contents.get(&note.content_hash) {
            note.content_hash = *content;
        }
        if let Some(answer) = answers.get(&note.answer_hash) {
            note.answer_hash = *answer;
        }
    }
}

/// What the previous lock remembered about the deck's structure and the notices given.
struct DeckMemory {
    deck: Option<String>,
    /// Each GUID's subdeck; `None` for a lock from before version 2, which did not record them.
    subdecks: Option<OldSubdecks>,
    notices: Vec<String>,
}

/// The subdeck of every note a lock holds (not removed), by GUID: sorted by the GUID's hash,
/// with the few subdeck names held once. A map of a million GUIDs to their subdecks' names
/// took about 115 MB, beside both locks.
struct OldSubdecks {
    /// (hash of the GUID, the GUID, index into `names`), by hash, then in lock order.
    entries: Vec<(u64, Box<str>, u32)>,
    names: Vec<String>,
}

impl OldSubdecks {
    fn of(notes: &[crate::lock::LockedNote]) -> Self {
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut names = Vec::new();
        let mut entries: Vec<(u64, Box<str>, u32)> = notes
            .iter()
            .filter(|note| !note.removed)
            .map(|note| {
                let name = *index.entry(note.subdeck.as_str()).or_insert_with(|| {
                    names.push(note.subdeck.clone());
                    (names.len() - 1) as u32
                });
                (guid_hash(&note.guid), Box::from(note.guid.as_str()), name)
            })
            .collect();
        // Stable: a GUID listed twice keeps its records in lock order, and the last one
        // counts, as it did in a map.
        entries.sort_by_key(|entry| entry.0);
        OldSubdecks { entries, names }
    }

    fn get(&self, guid: &str) -> Option<&str> {
        let hash = guid_hash(guid);
        let from = self.entries.partition_point(|entry| entry.0 < hash);
        self.entries[from..]
            .iter()
            .take_while(|entry| entry.0 == hash)
            .filter(|entry| &*entry.1 == guid)
            .last()
            .map(|entry| self.names[entry.2 as usize].as_str())
    }
}

/// FNV-1a of a GUID: fixed, and only a shortcut (GUIDs are compared after it).
fn guid_hash(guid: &str) -> u64 {
    guid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl DeckMemory {
    fn of(lock: &Lock) -> DeckMemory {
        DeckMemory {
            deck: lock.deck.clone(),
            subdecks: (!lock.has_rendered_hashes()).then(|| OldSubdecks::of(&lock.notes)),
            notices: lock.notices.clone(),
        }
    }

    /// Anki maps decks by name and never moves a card it has: a renamed deck, subdecks turned
    /// on or off, or a question moved to another section leave existing cards where they were
    /// while new cards go to the new place. Said on the build where it changes (the next lock
    /// remembers the new places, so not again).
    fn deck_notices(
        &self,
        deck_name: &str,
        next: &Lock,
        assignments: &[identity::Assignment],
    ) -> Vec<String> {
        let mut notices = Vec::new();
        if let Some(old) = self.deck.as_deref().filter(|old| *old != deck_name) {
            notices.push(format!(
                "the deck is now named \"{deck_name}\" (it was \"{old}\"): Anki never moves cards \
                 it already has, so they stay in \"{old}\" and only new cards go to \
                 \"{deck_name}\". To keep them together, rename the deck in Anki to \
                 \"{deck_name}\" before importing"
            ));
        }
        let Some(subdecks) = &self.subdecks else {
            return notices;
        };
        let moved: Vec<&crate::lock::LockedNote> = next
            .notes
            .iter()
            .zip(assignments)
            .filter(|(record, assignment)| {
                assignment.change != Change::Added
                    && subdecks
                        .get(&record.guid)
                        .is_some_and(|old| old != record.subdeck)
            })
            .map(|(record, _)| record)
            .collect();
        if let Some(first) = moved.first() {
            let place = |subdeck: &str| {
                if subdeck.is_empty() {
                    deck_name.to_string()
                } else {
                    format!("{deck_name}::{subdeck}")
                }
            };
            notices.push(format!(
                "{} note(s) Anki already has now belong in another deck (such as {:?}, now in \
                 {:?}): an import never moves existing cards, only new cards go to the new \
                 place. Move them in Anki's browser (select, then Change Deck) if you want them \
                 there",
                moved.len(),
                first.text,
                place(&first.subdeck)
            ));
        }
        notices
    }
}

/// The two things a CSV cannot do that a package does, said on the first CSV build of a deck
/// (remembered in the lock's `notices`).
fn csv_notices(given: &mut Vec<String>, changed_only: bool) -> Vec<String> {
    if given.iter().any(|notice| notice == "csv") {
        return Vec::new();
    }
    given.push("csv".to_string());
    let mut notices = vec![
        "a CSV names its note type but cannot carry it: in a collection that never imported \
         this deck's .apkg, Anki puts the notes in its Basic note type (Section, Number, Source \
         and the card design are lost) and later .apkg imports of the deck are refused as a \
         note type conflict. Import the .apkg once first, then CSV updates work (Anki 2.1.55 or \
         later)"
            .to_string(),
    ];
    if !changed_only {
        notices.push(
            "a CSV carries no modification times: re-importing it overwrites the fields and tags \
             of every note in it, including edits made in Anki. Build with --changed-only to \
             write only the notes changed since the last build"
                .to_string(),
        );
    }
    notices
}

/// How notes of questions gone from the sources are shipped.
struct Retired<'r> {
    renderer: &'r HtmlRenderer,
    tag_root: &'r str,
    now: i64,
    /// Whether to ship them at all (only packages do).
    ship: bool,
    /// Per [`NoteKind`], the index of its note type: a retired note keeps its own type.
    kind_index: [usize; 3],
    /// The kind of note each normalised question of the sources now makes, to tell a note
    /// retired because its question changed kind.
    now_kinds: &'r HashMap<&'r str, NoteKind>,
}

impl Retired<'_> {
    /// The retired notes to ship and the report's newly removed notes. A retired note ships
    /// without a card: a learner who has it gets the note updated (tagged, its answer saying
    /// so) and keeps the card and its history, while a new learner gets no studyable card. It
    /// ships for [`RETIRED_NOTE_DAYS`] after its removal, so a note a learner deleted stops
    /// coming back.
    fn notes(
        &self,
        removed: &[(crate::lock::LockedNote, i64)],
        ids: &[(i64, i64)],
        counts: &mut ChangeCounts,
    ) -> (Vec<Note>, Vec<ChangedNote>) {
        let mut notes = Vec::new();
        let mut changes = Vec::new();
        for ((record, modified), &(note_id, _)) in removed.iter().zip(ids) {
            if !record.removed {
                counts.removed += 1;
                changes.push(ChangedNote {
                    change: ChangeKind::Removed,
                    guid: record.guid.clone(),
                    question: record.text.clone(),
                    previous: None,
                    now_kind: self
                        .now_kinds
                        .get(record.question.as_str())
                        .copied()
                        .filter(|kind| *kind != record.kind),
                });
            }
            let expired = self.now.saturating_sub(*modified) >= RETIRED_NOTE_DAYS * 86_400;
            if !self.ship || expired {
                continue;
            }
            if record.removed {
                counts.retired += 1;
            }
            // A cloze note's Text and Extra sit where a basic note's Question and Answer do.
            let mut fields = vec![String::new(); FIELD_NAMES.len()];
            fields[field::QUESTION] = self.renderer.inline(&record.text);
            fields[field::ANSWER] = format!(
                "<p><em>This question was removed from the deck's source. Your review history is kept; \
                 find every removed note with the search <code>tag:{REMOVED_TAG}</code> and delete them.</em></p>"
            );
            notes.push(Note {
                note_id,
                note_type: self.kind_index[record.kind as usize],
                // No card: see above.
                cards: Vec::new(),
                guid: record.guid.clone(),
                deck: 0,
                modified: *modified,
                fields,
                tags: vec![self.tag_root.to_string(), REMOVED_TAG.to_string()],
                markdown: None,
            });
        }
        (notes, changes)
    }
}

/// The content hash of lock version 1: the rendered fields and the tags, except the question
/// number. Only used to migrate such a lock.
fn note_content_hash(fields: &[String], tags: &[String]) -> identity::ContentHash {
    let tags = tags.join(" ");
    content_hash(
        fields
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != field::NUMBER)
            .map(|(_, f)| f.as_str())
            .chain([tags.as_str()]),
    )
}

/// A deck name as plain text. Names come from documents (front matter, headings) and Anki shows
/// them in its deck list and browser, so markup is removed rather than trusted to be escaped
/// there: tags go (their text stays), then any `<` or `>` an entity produced, and control
/// characters; whitespace is collapsed. Accents are composed (NFC), as Anki stores names, so a
/// file saved with decomposed accents keeps its deck.
pub(crate) fn plain_deck_name(name: &str) -> String {
    let text = crate::write::anki_text::strip_html_preserving_media_filenames(name);
    let text: String = composed(&text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '<' | '>'))
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_and_card_ids_are_what_the_allocator_gives_with_and_without_collisions() {
        fn allocated(notes: &[(&str, &[u16])]) -> (Vec<(i64, i64)>, Vec<i64>) {
            let mut allocator = IdAllocator::with_capacity(0);
            let mut more = Vec::new();
            let ids = notes
                .iter()
                .map(|(guid, ords)| {
                    let note = allocator.allocate("note", guid);
                    let card = allocator.allocate("card", guid);
                    for ord in &ords[1..] {
                        more.push(allocator.allocate("card", &format!("{guid}/{ord}")));
                    }
                    (note, card)
                })
                .collect();
            (ids, more)
        }
        // Enough GUIDs for the parallel path; the second list repeats one, so ids collide.
        // Every tenth note has three cards (a cloze note's ordinals 0, 2 and 5).
        let distinct: Vec<String> = (0..5000).map(|i| format!("guid{i}")).collect();
        let distinct: Vec<(&str, &[u16])> = distinct
            .iter()
            .enumerate()
            .map(|(i, guid)| {
                let ords: &[u16] = if i % 10 == 0 { &[0, 2, 5] } else { &[0] };
                (guid.as_str(), ords)
            })
            .collect();
        assert_eq!(
            note_and_card_ids(distinct.len(), |i| distinct[i]),
            allocated(&distinct)
        );
        let mut colliding = distinct.clone();
        colliding[4001].0 = "guid17";
        let ids = note_and_card_ids(colliding.len(), |i| colliding[i]);
        assert_eq!(ids, allocated(&colliding));
        assert_eq!(ids.0[4001].0, ids.0[17].0 + 1, "the repeat probes forward");
        assert_eq!(ids.1.len(), 500 * 2, "two more cards per tenth note");
        assert_eq!(
            ids.0[10].1,
            stable_id("card", "guid10"),
            "a note's first card keeps the id it had with one card"
        );
    }

    #[test]
    fn a_lock_remembers_each_guid_s_subdeck_the_last_record_winning() {
        let note = |guid: &str, subdeck: &str, removed: bool| crate::lock::LockedNote {
            guid: guid.to_string(),
            question: String::new(),
            text: String::new(),
            id: None,
            content_hash: content_hash(["c"]),
            answer_hash: content_hash(["a"]),
            modified: 1,
            removed,
            subdeck: subdeck.to_string(),
            kind: NoteKind::Basic,
        };
        let subdecks = OldSubdecks::of(&[
            note("a", "One", false),
            note("b", "", false),
            note("a", "Two", false),
            note("c", "One", true),
        ]);
        assert_eq!(subdecks.get("a"), Some("Two"));
        assert_eq!(subdecks.get("b"), Some(""));
        assert_eq!(subdecks.get("c"), None, "a removed note has no place");
        assert_eq!(subdecks.get("d"), None);
        assert_eq!(subdecks.names.len(), 3);
    }

    #[test]
    fn each_kind_has_its_own_note_type_id_that_never_changes() {
        let identity = DeckIdentity {
            namespace: "mlops-interview-questions".to_string(),
            note_type_id: 77,
            tag_root: "mlops".to_string(),
        };
        // Known answers: these ids are shipped and never change.
        assert_eq!(note_type_id(&identity, NoteKind::Basic), 77);
        assert_eq!(
            note_type_id(&identity, NoteKind::Reversed),
            1_001_559_407_526
        );
        assert_eq!(note_type_id(&identity, NoteKind::Cloze), 1_266_550_075_428);
    }

    #[test]
    fn a_deck_of_basic_notes_keeps_its_note_type_stamp_and_kinds_in_use_move_it() {
        let identity = DeckIdentity {
            namespace: "ns".to_string(),
            note_type_id: 77,
            tag_root: "root".to_string(),
        };
        let options = BuildOptions::new(Vec::new(), PathBuf::from("x.apkg"), 500);
        let kinds = |list: &[NoteKind]| list.iter().copied().collect();
        let mut lock = Lock::new("ns");
        let (basic, _, _) = note_types_of(&identity, &options, None, &mut lock, &kinds(&[]));
        let stamp = lock.note_type.clone().unwrap();
        // The hash a release before cloze and reversed notes wrote for the same design.
        let templates = options.templates.card_templates();
        let mut parts = vec!["deckforge-root", options.templates.css.as_str()];
        for t in &templates {
            parts.extend([t.name.as_str(), t.front.as_str(), t.back.as_str()]);
        }
        assert_eq!(stamp.content_hash, content_hash(parts));
        assert_eq!(basic.len(), 1);
        let later = BuildOptions {
            now: 900,
            ..options
        };
        let (types, index, _) = note_types_of(
            &identity,
            &later,
            Some(stamp.clone()),
            &mut lock,
            &kinds(&[NoteKind::Basic, NoteKind::Cloze]),
        );
        assert_eq!(types.len(), 2);
        assert_eq!(index[NoteKind::Cloze as usize], 1);
        assert_eq!(types[1].fields, crate::model::CLOZE_FIELD_NAMES);
        assert!(
            types.iter().all(|t| t.modified == 900),
            "a new type moves the stamp"
        );
        let (again, _, _) = note_types_of(
            &identity,
            &later,
            lock.note_type.clone(),
            &mut lock,
            &kinds(&[NoteKind::Basic, NoteKind::Cloze]),
        );
        assert_eq!(again, types, "and then holds");
    }

    #[test]
    fn deck_names_lose_markup_but_keep_their_text() {
        assert_eq!(
            plain_deck_name("<script>alert(1)</script>Evil <b>deck</b>"),
            "Evil deck"
        );
        assert_eq!(
            plain_deck_name("&lt;img src=x onerror=y&gt; Q&amp;A"),
            "img src=x onerror=y Q&A"
        );
        assert_eq!(plain_deck_name("ML\t::\nbasics"), "ML :: basics");
        assert_eq!(plain_deck_name("a < b"), "a b");
        assert_eq!(plain_deck_name("Cafe\u{301}"), "Caf\u{e9}");
    }
}
