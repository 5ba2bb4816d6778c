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
use crate::identity::{
    self, Assigned, CardKey, Change, IdAllocator, content_hash, normalise_question, slug, stable_id,
};
use crate::lock::{self, Lock, Stamp};
use crate::model::{DeckInfo, FIELD_NAMES, Note, NoteMarkdown, NoteType, Package, field};
use crate::render::HtmlRenderer;
use crate::render::html::escape;
use crate::render::media::MediaCollector;
use crate::source::{self, Document, LayoutChoice, file_stem};
use crate::templates::Templates;
use crate::write::apkg::{NoteStub, Notes};
use crate::write::atomic::PendingFile;
use crate::write::presets::TextOptions;
use crate::write::{self, OutputFormat};

/// The tag every note removed from the sources carries, so one search finds them all.
pub const REMOVED_TAG: &str = "deckforge::removed";

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
            strict: false,
            lock: LockMode::BesideSource,
            locked: false,
            now,
            templates: Templates::default(),
            text: TextOptions::default(),
            layout: LayoutChoice::default(),
        }
    }

    /// The lock file these options read and write, if any.
    pub fn lock_path(&self) -> Option<PathBuf> {
        match &self.lock {
            LockMode::BesideSource => self.inputs.first().map(|input| lock::default_path(input)),
            LockMode::At(path) => Some(path.clone()),
            LockMode::Off => None,
        }
    }
}

/// How many notes of each kind a build produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub added: usize,
    pub updated: usize,
    pub reworded: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// One note that changed, for the change report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedNote {
    pub change: &'static str,
    pub guid: String,
    /// The question as written now (for removed notes, as last written).
    pub question: String,
    /// The question it replaced, for rewordings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
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
}

impl BuildReport {
    /// `added 2, updated 1, reworded 1, removed 0, unchanged 96`.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        format!(
            "added {}, updated {}, reworded {}, removed {}, unchanged {}",
            c.added, c.updated, c.reworded, c.removed, c.unchanged
        )
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

/// A stage of a build, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Rendering cards to HTML; counts cards.
    Rendering,
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
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// Reads the inputs and lock, builds the package and writes it, then the lock.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    build_with_progress(options, &|_| {})
}

/// [`build`], reporting progress to `progress` as it goes.
pub fn build_with_progress(options: &BuildOptions, progress: ProgressFn) -> Result<BuildReport> {
    let format = OutputFormat::for_output(&options.output, &options.text)?;
    if options.output.is_dir() {
        return Err(Error::OutputIsFolder {
            path: options.output.clone(),
        });
    }
    let documents = options
        .inputs
        .iter()
        .map(|path| source::load_with(path, options.layout))
        .collect::<Result<Vec<_>>>()?;
    let lock_path = options.lock_path();
    let previous = match &lock_path {
        Some(path) => Lock::read(path)?,
        None => None,
    };
    // The checks `deckforge check` adds read only the drafts, so they run beside the planning.
    let (mut planned, lint) = std::thread::scope(|scope| {
        let lint = scope.spawn(|| crate::check::lint(&documents, options.allow_html));
        let planned = Planned::new(
            &documents,
            options,
            previous.map(Cow::Owned),
            lock_path.is_some(),
            progress,
        );
        (planned, lint.join().expect("the checks do not panic"))
    });
    planned.diagnostics.extend(lint);
    if options.strict && !planned.diagnostics.is_empty() {
        return Err(Error::Strict {
            diagnostics: planned.diagnostics,
        });
    }
    // With --no-lock there is nothing to compare or write. The lock is compared with the file
    // as it is serialised, and written again only if it changed: it is never held as text.
    let lock_changes = match &lock_path {
        Some(path) => !SameAsFile::check(path, |out| planned.lock.write_text(out)),
        None => false,
    };
    if options.locked && lock_changes {
        return Err(Error::LockOutdated {
            path: lock_path.clone().unwrap_or_default(),
        });
    }
    // The lock's temporary file is created before the output is replaced: a lock folder that
    // is missing or read-only then fails the build with nothing written, instead of leaving a
    // new output beside a stale lock. Its text is written while the output is being written
    // and renamed into place last: if the output failed, the next build still compares with
    // what the user last received.
    let pending_lock = match &lock_path {
        Some(path) if lock_changes => Some(PendingFile::create(path)?),
        _ => None,
    };
    // The lock moves to the thread that writes it and is freed as soon as it is written, early
    // in the package's writing.
    let next_lock = std::mem::replace(&mut planned.lock, Lock::new(""));
    let (written, filled_lock) = std::thread::scope(|scope| {
        let filling = pending_lock
            .map(|pending| scope.spawn(move || pending.fill_with(|out| next_lock.write_text(out))));
        let written = write_output(&planned, format, options, progress);
        let filled = filling.map(|job| job.join().expect("writing the lock does not panic"));
        (written, filled.transpose())
    });
    written?;
    if let Some(filled) = filled_lock? {
        filled.persist()?;
    }
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
    })
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

fn write_output(
    planned: &Planned,
    format: OutputFormat,
    options: &BuildOptions,
    progress: ProgressFn,
) -> Result<()> {
    match format {
        OutputFormat::Apkg => {
            write::apkg::write_apkg_notes(&planned.header, planned, &options.output, progress)
        }
        OutputFormat::Text(preset) => {
            let package = Package {
                notes: planned.render_notes(),
                ..planned.header.clone()
            };
            write::presets::write_preset_file(&package, preset, options.text.bom, &options.output)
        }
    }
}

/// The deck namespace: a permanent id, never the display name, so renaming a deck keeps its notes.
pub fn namespace(documents: &[Document], options: &BuildOptions, lock: Option<&Lock>) -> String {
    options
        .deck_id
        .clone()
        .or_else(|| {
            documents
                .first()
                .and_then(|d| d.declared_deck_id().map(str::to_string))
        })
        .or_else(|| lock.map(|l| l.deck_id.clone()))
        .or_else(|| documents.first().map(|d| slug(&file_stem(&d.path))))
        .unwrap_or_else(|| "deck".to_string())
}

/// Turns parsed documents and the previous lock into a package and the next lock; no I/O.
pub fn plan(documents: &[Document], options: &BuildOptions, previous: Option<&Lock>) -> Plan {
    plan_with_progress(documents, options, previous, &|_| {})
}

/// [`plan`], reporting rendering progress.
pub fn plan_with_progress(
    documents: &[Document],
    options: &BuildOptions,
    previous: Option<&Lock>,
    progress: ProgressFn,
) -> Plan {
    Planned::new(
        documents,
        options,
        previous.map(Cow::Borrowed),
        true,
        progress,
    )
    .into_plan()
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

/// Note and card ids for notes with these GUIDs, in order: exactly what an [`IdAllocator`] gives
/// one GUID after another (note id, then card id), with the hashing done on every core first.
fn note_and_card_ids(guids: &[&str]) -> Vec<(i64, i64)> {
    let hashed = parallel_map(
        guids.len(),
        |index| {
            (
                stable_id("note", guids[index]),
                stable_id("card", guids[index]),
            )
        },
        |_| {},
    );
    let mut allocator = IdAllocator::with_capacity(guids.len() * 2);
    hashed
        .into_iter()
        .map(|(note, card)| (allocator.place(note), allocator.place(card)))
        .collect()
}

/// A card of the sources, with the document it is in and the deck it goes to.
#[derive(Clone, Copy)]
struct SourceCard<'a> {
    document: &'a Document,
    draft: &'a source::CardDraft,
    deck: usize,
}

/// A card's note fields and tags, and the images that could not be packed.
struct CardFields {
    fields: Vec<String>,
    tags: Vec<String>,
    problems: Vec<String>,
}

/// Renders cards into note fields. Planning renders every card once for its content hash, and
/// writing renders it again when its note is written, so a large deck is never held rendered in
/// memory; rendering is deterministic, so both passes see the same HTML.
struct NoteMaker<'a> {
    cards: Vec<SourceCard<'a>>,
    renderer: HtmlRenderer,
    /// The images packed so far; `None` for text outputs, which do not pack images.
    media: Option<Mutex<MediaCollector>>,
    tag_root: String,
    /// Only text outputs render from the Markdown; an .apkg needs the HTML alone.
    keep_markdown: bool,
}

impl NoteMaker<'_> {
    fn fields(&self, index: usize) -> CardFields {
        let SourceCard {
            document,
            draft: card,
            ..
        } = self.cards[index];
        let question = self.renderer.inline(&card.question);
        let answer = self.renderer.block(&card.answer);
        let mut problems = Vec::new();
        let (question, answer) = match &self.media {
            Some(media) if shows_image(&question) || shows_image(&answer) => {
                // Relative image paths start from the document's folder.
                let folder = crate::write::atomic::parent_folder(&document.path);
                let mut media = media.lock().unwrap_or_else(PoisonError::into_inner);
                let (question, more) = self.renderer.pack_media(question, folder, &mut media);
                problems.extend(more);
                let (answer, more) = self.renderer.pack_media(answer, folder, &mut media);
                problems.extend(more);
                (question, answer)
            }
            _ => (question, answer),
        };
        let mut fields = vec![String::new(); FIELD_NAMES.len()];
        fields[field::QUESTION] = question;
        fields[field::ANSWER] = answer;
        fields[field::SECTION] = escape(&card.section.join(" › "));
        fields[field::NUMBER] = card.number.map(|n| n.to_string()).unwrap_or_default();
        if let Some(link) = &card.source_link {
            fields[field::SOURCE] = self.renderer.link(link);
        }
        let mut section_tag = self.tag_root.clone();
        for part in card
            .section
            .iter()
            .map(|s| slug(s))
            .filter(|s| !s.is_empty())
        {
            section_tag.push_str("::");
            section_tag.push_str(&part);
        }
        let mut tags = Vec::with_capacity(1 + card.tags.len());
        tags.push(section_tag);
        tags.extend(card.tags.iter().cloned());
        CardFields {
            fields,
            tags,
            problems,
        }
    }

    fn markdown(&self, index: usize) -> Option<NoteMarkdown> {
        let card = self.cards[index].draft;
        self.keep_markdown.then(|| NoteMarkdown {
            question: card.question.clone(),
            answer: card.answer.clone(),
            section: card.section.to_vec(),
        })
    }
}

/// Whether `html` may show an image (a cheap test before taking the media lock).
fn shows_image(html: &str) -> bool {
    html.match_indices('<').any(|(at, _)| {
        html.as_bytes()
            .get(at..at + 4)
            .is_some_and(|tag| tag.eq_ignore_ascii_case(b"<img"))
    })
}

/// Everything a build decides before writing: identities, stamps, decks, media, the next lock
/// and the report. The notes of the sources are rendered when asked for ([`Notes`]).
struct Planned<'a> {
    maker: NoteMaker<'a>,
    /// Per card of the sources: its GUID and stub.
    stubs: Vec<(String, NoteStub)>,
    /// Notes of questions gone from the sources, shipped tagged removed.
    removed: Vec<Note>,
    /// The package without notes.
    header: Package,
    lock: Lock,
    counts: ChangeCounts,
    /// Changed cards of the sources; their text is only copied for the report.
    changed: Vec<CardChange>,
    /// Notes newly removed from the sources.
    removed_changes: Vec<ChangedNote>,
    diagnostics: Vec<Diagnostic>,
}

/// A card that changed since the lock, until the report asks for its text: a first build of a
/// million cards has a million added notes.
struct CardChange {
    change: &'static str,
    card: usize,
    previous: Option<String>,
}

impl<'a> Planned<'a> {
    /// Plans the build of `documents` against the `previous` lock (freed once identities are
    /// decided). `keep_lock` says whether the next lock will be used; without it the lock's
    /// records hold no written questions.
    fn new(
        documents: &'a [Document],
        options: &BuildOptions,
        previous: Option<Cow<'_, Lock>>,
        keep_lock: bool,
        progress: ProgressFn,
    ) -> Self {
        let namespace = namespace(documents, options, previous.as_deref());
        let deck_name = options
            .deck_name
            .clone()
            .or_else(|| documents.first().map(Document::suggested_deck_name))
            .map(|name| plain_deck_name(&name))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| namespace.clone());
        let tag_root = {
            let root = slug(&namespace);
            if root.is_empty() {
                "deckforge".to_string()
            } else {
                root
            }
        };
        let mut diagnostics: Vec<Diagnostic> = documents
            .iter()
            .flat_map(|d| d.diagnostics.clone())
            .collect();

        let mut decks = vec![DeckInfo {
            id: stable_id("deck", &deck_name),
            name: deck_name.clone(),
        }];
        let mut deck_index: HashMap<&[String], usize> = HashMap::new();
        let mut cards = Vec::with_capacity(documents.iter().map(|d| d.cards.len()).sum());
        for document in documents {
            for draft in &document.cards {
                let deck = if options.subdecks && !draft.section.is_empty() {
                    let next = decks.len();
                    *deck_index.entry(&draft.section).or_insert_with(|| {
                        let name = std::iter::once(deck_name.as_str())
                            .chain(draft.section.iter().map(String::as_str))
                            .map(|part| plain_deck_name(part).replace("::", ":"))
                            .collect::<Vec<_>>()
                            .join("::");
                        decks.push(DeckInfo {
                            id: stable_id("deck", &name),
                            name,
                        });
                        next
                    })
                } else {
                    0
                };
                cards.push(SourceCard {
                    document,
                    draft,
                    deck,
                });
            }
        }
        let apkg = matches!(
            OutputFormat::for_output(&options.output, &options.text),
            Ok(OutputFormat::Apkg)
        );
        let maker = NoteMaker {
            cards,
            renderer: HtmlRenderer::new(options.allow_html),
            media: apkg.then(Mutex::default),
            tag_root: tag_root.clone(),
            keep_markdown: !apkg,
        };

        // Identities need every card's content hash, so every card is rendered once here;
        // the HTML is dropped at once and rendered again when the note is written.
        let total = maker.cards.len() as u64;
        // Images that cannot be packed are rare: they are collected aside, so the keys come
        // out of the pass as they are needed.
        let media_problems = Mutex::new(Vec::new());
        let keys = parallel_map(
            maker.cards.len(),
            |index| {
                let CardFields {
                    fields,
                    tags,
                    problems,
                } = maker.fields(index);
                if !problems.is_empty() {
                    media_problems
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((index, problems));
                }
                let card = maker.cards[index].draft;
                CardKey {
                    normalised: normalise_question(&card.question),
                    // Copied into the lock after matching, once the previous lock is freed.
                    text: String::new(),
                    explicit_id: card.explicit_id.clone(),
                    content_hash: note_content_hash(&fields, &tags),
                    answer_hash: content_hash([fields[field::ANSWER].as_str()]),
                }
            },
            |done| {
                progress(Progress {
                    stage: Stage::Rendering,
                    done,
                    total,
                })
            },
        );
        let mut media_problems = media_problems
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        media_problems.sort_unstable_by_key(|(index, _)| *index);
        for (index, problems) in media_problems {
            let SourceCard {
                document, draft, ..
            } = maker.cards[index];
            diagnostics.extend(problems.into_iter().map(|problem| {
                Diagnostic::warning(&document.path, draft.line, draft.column, problem)
            }));
        }

        let previous_note_type = previous.as_ref().and_then(|lock| lock.note_type.clone());
        // A build hands its previous lock over (matching frees what it no longer needs);
        // plan() callers keep theirs, so it is copied.
        let Assigned {
            cards: assignments,
            removed,
            lock: mut next_lock,
        } = identity::assign_owned(&namespace, keys, previous.map(Cow::into_owned), options.now);
        if keep_lock {
            for (record, card) in next_lock.notes.iter_mut().zip(&maker.cards) {
                record.text = card.draft.question.clone();
            }
        }

        let mut counts = ChangeCounts::default();
        let mut changed = Vec::new();
        let mut removed_changes = Vec::new();
        let ids = note_and_card_ids(
            &assignments
                .iter()
                .map(|a| a.guid.as_str())
                .chain(removed.iter().map(|(record, _)| record.guid.as_str()))
                .collect::<Vec<_>>(),
        );
        let mut stubs = Vec::with_capacity(assignments.len());
        for (index, assignment) in assignments.into_iter().enumerate() {
            let SourceCard {
                document,
                draft,
                deck,
            } = maker.cards[index];
            if let Some(first) = assignment.duplicate_of {
                let first = maker.cards[first];
                diagnostics.push(Diagnostic::warning(
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
            let name = match assignment.change {
                Change::Added => {
                    counts.added += 1;
                    "added"
                }
                Change::Updated => {
                    counts.updated += 1;
                    "updated"
                }
                Change::Reworded => {
                    counts.reworded += 1;
                    "reworded"
                }
                Change::Unchanged => {
                    counts.unchanged += 1;
                    ""
                }
            };
            if !name.is_empty() {
                changed.push(CardChange {
                    change: name,
                    card: index,
                    previous: assignment.previous_text,
                });
            }
            let (note_id, card_id) = ids[index];
            let stub = NoteStub {
                note_id,
                card_id,
                deck,
                modified: assignment.modified,
            };
            stubs.push((assignment.guid, stub));
        }
        let mut removed_notes = Vec::with_capacity(removed.len());
        for ((record, modified), &(note_id, card_id)) in removed.iter().zip(&ids[stubs.len()..]) {
            let newly_removed = !record.removed;
            if newly_removed {
                counts.removed += 1;
                removed_changes.push(ChangedNote {
                    change: "removed",
                    guid: record.guid.clone(),
                    question: record.text.clone(),
                    previous: None,
                });
            }
            let mut fields = vec![String::new(); FIELD_NAMES.len()];
            fields[field::QUESTION] = maker.renderer.inline(&record.text);
            fields[field::ANSWER] = format!(
                "<p><em>This question was removed from the deck's source. Your review history is kept; \
                 find every removed note with the search <code>tag:{REMOVED_TAG}</code> and delete them.</em></p>"
            );
            let tags = vec![tag_root.clone(), REMOVED_TAG.to_string()];
            removed_notes.push(Note {
                note_id,
                card_id,
                guid: record.guid.clone(),
                deck: 0,
                modified: *modified,
                fields,
                tags,
                markdown: None,
            });
        }

        let note_type_name = format!("deckforge-{tag_root}");
        let note_type_hash = {
            let templates = options.templates.card_templates();
            let mut parts = vec![note_type_name.as_str(), options.templates.css.as_str()];
            for template in &templates {
                parts.extend([
                    template.name.as_str(),
                    template.front.as_str(),
                    template.back.as_str(),
                ]);
            }
            content_hash(parts)
        };
        let note_type_modified = match previous_note_type {
            Some(stamp) if stamp.content_hash == note_type_hash => stamp.modified,
            Some(stamp) => options.now.max(stamp.modified.saturating_add(1)),
            None => options.now,
        };
        next_lock.note_type = Some(Stamp {
            content_hash: note_type_hash,
            modified: note_type_modified,
        });
        let note_type = NoteType {
            id: stable_id("notetype", &namespace),
            name: note_type_name,
            templates: options.templates.card_templates(),
            css: options.templates.css.clone(),
            modified: note_type_modified,
        };
        // The package's own timestamps follow its content, so an unchanged rebuild is
        // byte-identical.
        let built_at = stubs
            .iter()
            .map(|(_, stub)| stub.modified)
            .chain(removed_notes.iter().map(|n| n.modified))
            .chain([note_type.modified])
            .max()
            .unwrap_or(options.now);
        let media = maker
            .media
            .as_ref()
            .map(|media| {
                std::mem::take(&mut *media.lock().unwrap_or_else(PoisonError::into_inner))
                    .into_media()
            })
            .unwrap_or_default();
        let header = Package {
            note_type,
            decks,
            notes: Vec::new(),
            media,
            built_at,
        };
        Planned {
            maker,
            stubs,
            removed: removed_notes,
            header,
            lock: next_lock,
            counts,
            changed,
            removed_changes,
            diagnostics,
        }
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
            })
            .collect();
        changes.append(&mut self.removed_changes);
        changes
    }

    /// Renders every note, on every core.
    fn render_notes(&self) -> Vec<Note> {
        parallel_map(self.count(), |index| self.note(index).into_owned(), |_| {})
    }

    fn into_plan(mut self) -> Plan {
        let changes = self.changes();
        let notes = self.render_notes();
        Plan {
            package: Package {
                notes,
                ..self.header
            },
            lock: self.lock,
            counts: self.counts,
            changes,
            diagnostics: self.diagnostics,
        }
    }
}

impl Notes for Planned<'_> {
    fn count(&self) -> usize {
        self.stubs.len() + self.removed.len()
    }

    fn stub(&self, index: usize) -> NoteStub {
        match self.stubs.get(index) {
            Some((_, stub)) => *stub,
            None => self.removed.stub(index - self.stubs.len()),
        }
    }

    fn note(&self, index: usize) -> Cow<'_, Note> {
        let Some((guid, stub)) = self.stubs.get(index) else {
            return Cow::Borrowed(&self.removed[index - self.stubs.len()]);
        };
        let CardFields { fields, tags, .. } = self.maker.fields(index);
        Cow::Owned(Note {
            guid: guid.clone(),
            note_id: stub.note_id,
            card_id: stub.card_id,
            deck: stub.deck,
            modified: stub.modified,
            fields,
            tags,
            markdown: self.maker.markdown(index),
        })
    }
}

/// What counts as a change for Anki: the fields a user sees and the tags, except the
/// question number, which shifts whenever a question is inserted above (renumbering alone
/// would otherwise overwrite every later note's edits in Anki).
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
/// characters; whitespace is collapsed.
pub fn plain_deck_name(name: &str) -> String {
    let text = crate::write::anki_text::strip_html_preserving_media_filenames(name);
    let text: String = text
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
        fn allocated(guids: &[&str]) -> Vec<(i64, i64)> {
            let mut allocator = IdAllocator::with_capacity(0);
            guids
                .iter()
                .map(|guid| {
                    (
                        allocator.allocate("note", guid),
                        allocator.allocate("card", guid),
                    )
                })
                .collect()
        }
        // Enough GUIDs for the parallel path; the second list repeats one, so ids collide.
        let distinct: Vec<String> = (0..5000).map(|i| format!("guid{i}")).collect();
        let distinct: Vec<&str> = distinct.iter().map(String::as_str).collect();
        assert_eq!(note_and_card_ids(&distinct), allocated(&distinct));
        let mut colliding = distinct.clone();
        colliding[4000] = "guid17";
        let ids = note_and_card_ids(&colliding);
        assert_eq!(ids, allocated(&colliding));
        assert_eq!(ids[4000].0, ids[17].0 + 1, "the repeat probes forward");
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
    }
}
