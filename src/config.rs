//! `deckforge.toml`: the decks of a project and their options, so that `deckforge build` with no
//! arguments rebuilds every deck the same way each time, wherever in the project it is run.
//!
//! ```toml
//! [[deck]]
//! sources = ["mlops-interview-questions.md"]   # read in order, into one deck
//! output = "build/mlops.apkg"                  # .apkg, .csv, or any name with `preset`
//! name = "MLOps interview questions"           # the deck name shown in Anki
//! deck_id = "mlops-interview-questions"        # permanent: keeps note identities
//! subdecks = true
//! templates = "card-design"                    # a folder, as for --templates
//! layout = "answer-label"                      # as for --layout; detected when left out
//! question_level = 3                           # or "###": headings at this level are questions
//! cards = "both"                               # every question makes its reverse card too
//!
//! [[deck]]
//! sources = ["mlops-interview-questions.md"]
//! output = "build/mlops-quizlet.txt"
//! preset = "quizlet"
//! lock = false                                 # or a path; the default is beside the source
//! ```
//!
//! Paths are relative to the folder holding the file. Unknown keys are errors, so a typo
//! cannot silently change a build; every error names the file, line and column.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::build::{BuildOptions, LockMode};
use crate::error::{Error, Result};
use crate::source::LayoutChoice;
use crate::templates::Templates;
use crate::write::OutputFormat;
use crate::write::presets::{Preset, TextOptions};

/// The file name searched for in the current folder and its parents.
pub const CONFIG_FILE: &str = "deckforge.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    deck: Vec<Spanned<RawDeck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeck {
    sources: Spanned<Vec<Spanned<PathBuf>>>,
    output: Spanned<PathBuf>,
    name: Option<String>,
    deck_id: Option<Spanned<String>>,
    #[serde(default)]
    subdecks: bool,
    #[serde(default)]
    allow_html: bool,
    #[serde(default)]
    no_highlight: bool,
    #[serde(default)]
    download_images: bool,
    #[serde(default)]
    strict: bool,
    templates: Option<Spanned<PathBuf>>,
    preset: Option<Spanned<String>>,
    layout: Option<Spanned<String>>,
    question_level: Option<Spanned<RawLevel>>,
    cards: Option<Spanned<String>>,
    #[serde(default)]
    bom: bool,
    lock: Option<Spanned<RawLock>>,
    #[serde(default)]
    locked: bool,
}

/// `question_level = 3` or `question_level = "###"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawLevel {
    Number(i64),
    Hashes(String),
}

impl RawLevel {
    /// The heading level, 1 to 6.
    fn level(&self) -> Option<usize> {
        let level = match self {
            RawLevel::Number(n) => usize::try_from(*n).ok()?,
            RawLevel::Hashes(text) => {
                let text = text.trim();
                match text.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) if !text.is_empty() && text.bytes().all(|b| b == b'#') => text.len(),
                    Err(_) => return None,
                }
            }
        };
        (1..=6).contains(&level).then_some(level)
    }
}

/// `lock = "path"`, `lock = true` (the default place) or `lock = false` (no lock).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawLock {
    Enabled(bool),
    At(PathBuf),
}

/// One deck of a project, with its paths resolved against the configuration's folder.
#[derive(Debug, Clone)]
pub struct DeckConfig {
    /// The line of its `[[deck]]` table, for messages.
    pub line: usize,
    /// Markdown sources, in order.
    pub sources: Vec<PathBuf>,
    /// The file to write.
    pub output: PathBuf,
    /// Deck name shown in Anki.
    pub name: Option<String>,
    /// Permanent deck id.
    pub deck_id: Option<String>,
    /// One subdeck per section.
    pub subdecks: bool,
    /// Keep raw HTML from the sources.
    pub allow_html: bool,
    /// Leave fenced code uncoloured (`no_highlight = true`).
    pub no_highlight: bool,
    /// Download remote images into the package (`download_images = true`).
    pub download_images: bool,
    /// Treat warnings as errors.
    pub strict: bool,
    /// A folder of templates replacing the defaults.
    pub templates: Option<PathBuf>,
    /// Which text format to write, and whether with a byte order mark.
    pub text: TextOptions,
    /// Where the lock file lives.
    pub lock: LockMode,
    /// Fail when the lock file would change.
    pub locked: bool,
    /// How questions are written in the sources.
    pub layout: LayoutChoice,
    /// The heading level of the questions, for sources whose front matter names none.
    pub question_level: Option<usize>,
    /// `cards = "both"`: every question also makes its reverse card, unless its document's
    /// front matter says `cards: basic`.
    pub reversed: bool,
}

impl DeckConfig {
    /// Build options for this deck at build time `now`; reads the templates folder if one is set.
    pub fn build_options(&self, now: i64) -> Result<BuildOptions> {
        let templates = match &self.templates {
            Some(dir) => Templates::from_dir(dir)?,
            None => Templates::default(),
        };
        Ok(BuildOptions {
            inputs: self.sources.clone(),
            output: self.output.clone(),
            deck_name: self.name.clone(),
            deck_id: self.deck_id.clone(),
            subdecks: self.subdecks,
            allow_html: self.allow_html,
            highlight: !self.no_highlight,
            strict: self.strict,
            lock: self.lock.clone(),
            locked: self.locked,
            now,
            templates,
            text: self.text,
            layout: self.layout,
            question_level: self.question_level,
            changed_only: false,
            download_images: self
                .download_images
                .then(crate::render::remote::DownloadLimits::from_env),
            reversed: self.reversed,
        })
    }
}

/// A parsed and validated `deckforge.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its decks, in the file's order.
    pub decks: Vec<DeckConfig>,
}

/// The nearest `deckforge.toml` in `start` or one of its parents, as cargo finds `Cargo.toml`.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "read the configuration", e))?;
        Config::parse(path, &text)
    }

    /// Parses and validates configuration text; `path` locates it and its relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let reader = Reader {
            path,
            text,
            base: path.parent().unwrap_or(Path::new("")),
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            reader.at(e.span().unwrap_or(0..0), message)
        })?;
        if raw.deck.is_empty() {
            return Err(reader.at(
                0..0,
                "no decks: add a [[deck]] table with `sources` and `output`".to_string(),
            ));
        }
        let mut decks: Vec<DeckConfig> = Vec::with_capacity(raw.deck.len());
        for table in raw.deck {
            let deck = reader.deck(table, &decks)?;
            decks.push(deck);
        }
        Ok(Config {
            path: path.to_path_buf(),
            decks,
        })
    }
}

/// The configuration file being read: where it is (errors and relative paths) and its text.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    base: &'a Path,
}

impl Reader<'_> {
    /// An error at `span` of the file.
    fn at(&self, span: Range<usize>, message: String) -> Error {
        let (line, column) = line_col(self.text, span.start);
        Error::Config {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
        }
    }

    /// A path of the file, relative to its folder.
    fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            tidy(&self.base.join(p))
        }
    }

    /// One `[[deck]]` table, validated; `earlier` are the decks before it.
    fn deck(&self, table: Spanned<RawDeck>, earlier: &[DeckConfig]) -> Result<DeckConfig> {
        let (line, _) = line_col(self.text, table.span().start);
        let deck = table.into_inner();
        if deck.sources.get_ref().is_empty() {
            return Err(self.at(
                deck.sources.span(),
                "`sources` is empty: list at least one Markdown file".to_string(),
            ));
        }
        let (preset, layout, question_level) = self.reading(&deck)?;
        let reversed = self.reversed(&deck)?;
        let text_options = TextOptions {
            preset,
            bom: deck.bom,
        };
        let output = self.resolve(deck.output.get_ref());
        if let Err(error) = OutputFormat::for_output(&output, &text_options) {
            return Err(self.at(deck.output.span(), error.to_string()));
        }
        if let Some(earlier) = earlier
            .iter()
            .find(|d| crate::write::atomic::same_file_path(&d.output, &output))
        {
            return Err(self.at(
                deck.output.span(),
                format!(
                    "{} is also the output of the deck at line {}; each deck needs its own output",
                    output.display(),
                    earlier.line
                ),
            ));
        }
        if let Some(id) = &deck.deck_id {
            if id.get_ref().trim().is_empty() {
                return Err(self.at(id.span(), "`deck_id` is empty".to_string()));
            }
        }
        let lock = self.lock(&deck)?;
        Ok(DeckConfig {
            line,
            sources: deck
                .sources
                .into_inner()
                .iter()
                .map(|s| self.resolve(s.get_ref()))
                .collect(),
            output,
            name: deck.name,
            deck_id: deck.deck_id.map(Spanned::into_inner),
            subdecks: deck.subdecks,
            allow_html: deck.allow_html,
            no_highlight: deck.no_highlight,
            download_images: deck.download_images,
            strict: deck.strict,
            templates: deck.templates.map(|t| self.resolve(t.get_ref())),
            text: text_options,
            lock,
            locked: deck.locked,
            layout,
            question_level,
            reversed,
        })
    }

    /// The deck's text preset, layout and question heading level.
    fn reading(&self, deck: &RawDeck) -> Result<(Option<Preset>, LayoutChoice, Option<usize>)> {
        let preset = match &deck.preset {
            Some(name) => Some(name.get_ref().parse::<Preset>().map_err(|_| {
                self.at(
                    name.span(),
                    format!(
                        "unknown preset {:?}; use one of {}",
                        name.get_ref(),
                        Preset::ALL.map(Preset::name).join(", ")
                    ),
                )
            })?),
            None => None,
        };
        let layout = match &deck.layout {
            Some(name) => name
                .get_ref()
                .parse::<LayoutChoice>()
                .map_err(|message| self.at(name.span(), message))?,
            None => LayoutChoice::Auto,
        };
        let question_level = match &deck.question_level {
            Some(raw) => Some(raw.get_ref().level().ok_or_else(|| {
                self.at(
                    raw.span(),
                    "`question_level` is a heading level: 1 to 6, or \"###\"".to_string(),
                )
            })?),
            None => None,
        };
        Ok((preset, layout, question_level))
    }

    /// `cards = "both"` (every question makes its reverse card too) or `"basic"`.
    fn reversed(&self, deck: &RawDeck) -> Result<bool> {
        match &deck.cards {
            Some(cards) => match cards.get_ref().as_str() {
                "both" => Ok(true),
                "basic" => Ok(false),
                other => Err(self.at(
                    cards.span(),
                    format!(
                        "`cards = {other:?}`: \"both\" (a reverse card for every \
                         question) or \"basic\" (the default)"
                    ),
                )),
            },
            None => Ok(false),
        }
    }

    /// The deck's lock mode, refusing `locked = true` without a lock.
    fn lock(&self, deck: &RawDeck) -> Result<LockMode> {
        let lock = match deck.lock.as_ref().map(Spanned::get_ref) {
            None | Some(RawLock::Enabled(true)) => LockMode::BesideSource,
            Some(RawLock::Enabled(false)) => LockMode::Off,
            Some(RawLock::At(lock)) => LockMode::At(self.resolve(lock)),
        };
        if deck.locked && lock == LockMode::Off {
            let span = deck.lock.as_ref().map(Spanned::span).unwrap_or(0..0);
            return Err(self.at(
                span,
                "`locked = true` needs a lock file, but `lock = false`".to_string(),
            ));
        }
        Ok(lock)
    }
}

/// Drops `.` components, so `./deckforge.toml`'s `a.md` reads as `a.md` in messages.
fn tidy(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("project/deckforge.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let config = parse(
            "[[deck]]\nsources = [\"a.md\", \"/abs/b.md\"]\noutput = \"out/a.apkg\"\n\
             templates = \"design\"\nlock = \"locks/a.lock\"\nsubdecks = true\n\n\
             [[deck]]\nsources = [\"a.md\"]\noutput = \"a.txt\"\npreset = \"quizlet\"\nlock = false\n",
        )
        .unwrap();
        let [first, second] = &config.decks[..] else {
            panic!("two decks")
        };
        assert_eq!(
            first.sources,
            [PathBuf::from("project/a.md"), PathBuf::from("/abs/b.md")]
        );
        assert_eq!(first.output, Path::new("project/out/a.apkg"));
        assert_eq!(
            first.templates.as_deref(),
            Some(Path::new("project/design"))
        );
        assert_eq!(first.lock, LockMode::At("project/locks/a.lock".into()));
        assert!(first.subdecks);
        assert_eq!(first.line, 1);
        assert_eq!(second.line, 8);
        assert_eq!(second.lock, LockMode::Off);
        assert_eq!(second.text.preset, Some(Preset::Quizlet));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let unknown = error("[[deck]]\nsources = [\"a.md\"]\noutput = \"a.apkg\"\nnmae = \"x\"\n");
        assert!(
            unknown.starts_with("project/deckforge.toml:4:1: unknown field `nmae`"),
            "{unknown}"
        );
        let missing = error("[[deck]]\nsources = [\"a.md\"]\n");
        assert!(missing.contains("missing field `output`"), "{missing}");
        assert!(
            missing.starts_with("project/deckforge.toml:1:"),
            "{missing}"
        );
        let syntax = error("[[deck]\n");
        assert!(syntax.starts_with("project/deckforge.toml:1:"), "{syntax}");
        let preset =
            error("[[deck]]\nsources = [\"a.md\"]\noutput = \"a.txt\"\npreset = \"anky\"\n");
        assert!(
            preset.starts_with(
                "project/deckforge.toml:4:10: unknown preset \"anky\"; use one of anki, quizlet"
            ),
            "{preset}"
        );
        let format = error("[[deck]]\nsources = [\"a.md\"]\noutput = \"a.pdf\"\n");
        assert!(
            format.starts_with("project/deckforge.toml:3:10: "),
            "{format}"
        );
        assert!(format.contains("cannot tell the output format"), "{format}");
        let twice = error(
            "[[deck]]\nsources = [\"a.md\"]\noutput = \"a.apkg\"\n[[deck]]\nsources = [\"b.md\"]\noutput = \"a.apkg\"\n",
        );
        assert!(
            twice.contains(":6:10: ") && twice.contains("line 1"),
            "{twice}"
        );
        let dotted = error(
            "[[deck]]\nsources = [\"a.md\"]\noutput = \"a.apkg\"\n[[deck]]\nsources = [\"b.md\"]\noutput = \"sub/../a.apkg\"\n",
        );
        assert!(
            dotted.contains("is also the output of the deck at line 1"),
            "{dotted}"
        );
        assert!(error("").contains("no decks"));
        assert!(
            error("[[deck]]\nsources = []\noutput = \"a.apkg\"\n")
                .contains(":2:11: `sources` is empty")
        );
        assert!(error("[[deck]]\nsources = \"a.md\"\noutput = \"a.apkg\"\n").contains(":2:11: "));
    }

    #[test]
    fn the_bundled_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(CONFIG_FILE);
        let config = Config::load(&path).unwrap();
        assert_eq!(config.decks.len(), 2);
        for deck in &config.decks {
            assert!(
                deck.sources.iter().all(|s| s.is_file()),
                "{:?}",
                deck.sources
            );
        }
    }

    #[test]
    fn find_searches_parents() {
        let root = std::env::temp_dir().join(format!("deckforge-config-{}", std::process::id()));
        let nested = root.join("a").join("b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(root.join(CONFIG_FILE), "").unwrap();
        assert_eq!(find(&nested), Some(root.join(CONFIG_FILE)));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
