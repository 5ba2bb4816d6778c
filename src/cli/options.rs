//! The options every subcommand shares, defined once so the commands agree on their names,
//! their help and their exit codes: `-q`, `--color` and, where a document is read, `--layout`.

use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use deckforge::source::{Layout, LayoutChoice};

use super::term::ColorChoice;

/// Options accepted before or after any subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print nothing but errors (results on standard output, such as --json, still print).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Colours and source snippets on standard error: `auto` when it is a terminal and
    /// NO_COLOR is unset, `always` (snippets too), `never`.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// `--layout`, for every command that reads a Markdown document.
#[derive(Debug, Clone, Copy, Args)]
pub struct LayoutArg {
    /// How questions are written; `auto` detects it per file (front matter
    /// `deckforge-layout:` pins it for one file).
    #[arg(long, value_name = "NAME", default_value = "auto", value_parser = layout_parser())]
    pub layout: LayoutChoice,
}

/// `--layout` values with a line each, so `--help` teaches them and shell completion offers
/// their names rather than file names.
fn layout_parser() -> impl TypedValueParser<Value = LayoutChoice> {
    let auto = PossibleValue::new("auto").help("detect the layout of each file");
    let named = Layout::ALL.map(|layout| PossibleValue::new(layout.name()).help(layout.describe()));
    PossibleValuesParser::new(std::iter::once(auto).chain(named)).map(|name| {
        name.parse::<LayoutChoice>()
            .expect("only listed names get through")
    })
}

/// `--exclude`, for every command whose INPUT may be a folder or a glob.
#[derive(Debug, Clone, Args)]
pub struct ExcludeArg {
    /// Leave out the files a folder or glob INPUT finds that match GLOB (`drafts/**`,
    /// `*.draft.md`), matched against the path below the folder or the file name; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

impl ExcludeArg {
    /// `inputs` with folders and unexpanded globs replaced by their files; an error is printed
    /// and returned as the exit code.
    pub fn expand(
        &self,
        inputs: &[std::path::PathBuf],
    ) -> Result<Vec<std::path::PathBuf>, std::process::ExitCode> {
        super::inputs::expand(inputs, &self.exclude).map_err(|message| super::fail(&message))
    }
}
