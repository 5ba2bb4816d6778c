//! The build pipeline: sources → card drafts → identities → rendered fields → package → file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::identity::{IdAllocator, normalise_question, note_guid, slug, stable_id};
use crate::model::{DeckInfo, FIELD_NAMES, Note, NoteType, Package};
use crate::render::HtmlRenderer;
use crate::render::html::escape;
use crate::render::media::MediaCollector;
use crate::source::{self, Document, LayoutChoice, file_stem};
use crate::templates::Templates;
use crate::write::{self, OutputFormat};

/// What to build and how; plain validated values, no command-line types.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    /// Display name of the deck; defaults to the first input's title.
    pub deck_name: Option<String>,
    /// Permanent deck id that namespaces every GUID; defaults to the first input's
    /// front matter `deck_id`, then to its file name.
    pub deck_id: Option<String>,
    /// Put each section in a subdeck (`Deck::Section`).
    pub subdecks: bool,
    /// Keep raw HTML from the sources instead of sanitising it.
    pub allow_html: bool,
    /// Fail instead of warning.
    pub strict: bool,
    /// The build time in seconds since the epoch (`SOURCE_DATE_EPOCH` or the clock).
    pub now: i64,
    pub templates: Templates,
    /// Which question-and-answer layout to read the inputs with (detected per document by default).
    pub layout: LayoutChoice,
}

/// What a build produced, for the command line to summarise.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub output: PathBuf,
    pub deck_name: String,
    pub notes: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the inputs, builds the package and writes it to `options.output`.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let format = OutputFormat::from_path(&options.output)?;
    let documents = options
        .inputs
        .iter()
        .map(|path| source::load_with(path, options.layout))
        .collect::<Result<Vec<_>>>()?;
    let (package, mut diagnostics) = assemble(&documents, options);
    diagnostics.extend(crate::check::lint(&documents, options.allow_html));
    if options.strict && !diagnostics.is_empty() {
        return Err(Error::Strict {
            count: diagnostics.len(),
        });
    }
    match format {
        OutputFormat::Apkg => write::apkg::write_apkg_file(&package, &options.output)?,
        OutputFormat::AnkiCsv => write::csv::write_anki_csv_file(&package, &options.output)?,
    }
    Ok(BuildReport {
        output: options.output.clone(),
        deck_name: package.decks[0].name.clone(),
        notes: package.notes.len(),
        diagnostics,
    })
}

/// The deck namespace: a permanent id, never the display name, so renaming a deck keeps its notes.
pub fn namespace(documents: &[Document], options: &BuildOptions) -> String {
    options
        .deck_id
        .clone()
        .or_else(|| {
            documents
                .first()
                .and_then(|d| d.declared_deck_id().map(str::to_string))
        })
        .or_else(|| documents.first().map(|d| slug(&file_stem(&d.path))))
        .unwrap_or_else(|| "deck".to_string())
}

/// Turns parsed documents into a package; it reads nothing but the local images an `.apkg`
/// packs (CSV output leaves image references as they are).
pub fn assemble(documents: &[Document], options: &BuildOptions) -> (Package, Vec<Diagnostic>) {
    let namespace = namespace(documents, options);
    let deck_name = options
        .deck_name
        .clone()
        .or_else(|| documents.first().map(Document::suggested_deck_name))
        .unwrap_or_else(|| namespace.clone());
    let tag_root = {
        let root = slug(&namespace);
        if root.is_empty() {
            "deckforge".to_string()
        } else {
            root
        }
    };
    let renderer = HtmlRenderer::new(options.allow_html);
    let mut diagnostics: Vec<Diagnostic> = documents
        .iter()
        .flat_map(|d| d.diagnostics.clone())
        .collect();
    let card_count: usize = documents.iter().map(|d| d.cards.len()).sum();

    let mut decks = vec![DeckInfo {
        id: stable_id("deck", &deck_name),
        name: deck_name.clone(),
    }];
    let mut deck_index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut first_seen: HashMap<String, (usize, usize)> = HashMap::with_capacity(card_count);
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut ids = IdAllocator::with_capacity(card_count * 2);
    let mut notes = Vec::with_capacity(card_count);
    let mut media = matches!(
        OutputFormat::from_path(&options.output),
        Ok(OutputFormat::Apkg)
    )
    .then(MediaCollector::default);

    for (doc_index, document) in documents.iter().enumerate() {
        for card in &document.cards {
            let normalised = normalise_question(&card.question);
            let occurrence = match first_seen.get(&normalised) {
                None => {
                    first_seen.insert(normalised.clone(), (doc_index, card.line));
                    0
                }
                Some(&(first_doc, first_line)) => {
                    let count = occurrences.entry(normalised.clone()).or_insert(0);
                    *count += 1;
                    diagnostics.push(Diagnostic::warning(
                        &document.path,
                        card.line,
                        card.column,
                        format!(
                            "duplicate question, also at {}:{first_line}; it gets its own GUID",
                            documents[first_doc].path.display()
                        ),
                    ));
                    *count
                }
            };
            let guid = note_guid(&namespace, &normalised, occurrence);
            let deck = if options.subdecks && !card.section.is_empty() {
                let next = decks.len();
                *deck_index.entry(card.section.clone()).or_insert_with(|| {
                    let name = std::iter::once(deck_name.as_str())
                        .chain(card.section.iter().map(|s| s.as_str()))
                        .map(|part| part.replace("::", ":"))
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
            let mut section_tag = tag_root.clone();
            for part in &card.section {
                let part = slug(part);
                if !part.is_empty() {
                    section_tag.push_str("::");
                    section_tag.push_str(&part);
                }
            }
            let mut fields = vec![String::new(); FIELD_NAMES.len()];
            let (question, answer) = match &mut media {
                Some(media) => {
                    let folder = document.path.parent().unwrap_or(Path::new("."));
                    let folder = if folder.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        folder
                    };
                    let (question, mut problems) =
                        renderer.inline_with_media(&card.question, folder, media);
                    let (answer, more) = renderer.block_with_media(&card.answer, folder, media);
                    problems.extend(more);
                    diagnostics.extend(problems.into_iter().map(|problem| {
                        Diagnostic::warning(&document.path, card.line, card.column, problem)
                    }));
                    (question, answer)
                }
                None => (
                    renderer.inline(&card.question),
                    renderer.block(&card.answer),
                ),
            };
            fields[crate::model::field::QUESTION] = question;
            fields[crate::model::field::ANSWER] = answer;
            fields[crate::model::field::SECTION] = escape(&card.section.join(" › "));
            fields[crate::model::field::NUMBER] =
                card.number.map(|n| n.to_string()).unwrap_or_default();
            if let Some(link) = &card.source_link {
                fields[crate::model::field::SOURCE] = renderer.link(link);
            }
            let mut tags = vec![section_tag];
            tags.extend(card.tags.iter().cloned());
            notes.push(Note {
                note_id: ids.allocate("note", &guid),
                card_id: ids.allocate("card", &guid),
                guid,
                deck,
                modified: options.now,
                fields,
                tags,
            });
        }
    }

    let note_type = NoteType {
        id: stable_id("notetype", &namespace),
        name: format!("deckforge-{tag_root}"),
        templates: options.templates.card_templates(),
        css: options.templates.css.clone(),
        modified: options.now,
    };
    let package = Package {
        note_type,
        decks,
        notes,
        media: media.map(MediaCollector::into_media).unwrap_or_default(),
        built_at: options.now,
    };
    (package, diagnostics)
}
