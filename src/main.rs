//! The `deckforge` command: parse arguments, run the library, print, pick the exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
