//! The `deckforge` command: parse arguments, run the library, print, pick the exit code.

// A binary has no API: every item of its modules is reachable only from here.
#![allow(unreachable_pub)]
// As in lib.rs: rust-version 1.89 turns on let-chain and `is_multiple_of` style lints that code
// written against 1.85 predates.
#![allow(clippy::collapsible_if, clippy::manual_is_multiple_of)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    return_freed_memory_promptly();
    cli::run()
}

/// mimalloc's `mi_option_purge_delay`: its place in the option list of both mimalloc 2 and 3.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory a build phase frees (the source text, the previous lock) goes back to the system
/// after 100 ms instead of mimalloc's default second. Otherwise the next phase's fresh
/// allocations (SQLite's, which use the system allocator, among them) stack on memory already
/// freed. A rebuild of a million cards with its lock peaked at 1,098 MB with the default and
/// 1,008 MB with 100 ms; 10 ms gave 973 MB but took 9% longer, faulting pages back in.
fn return_freed_memory_promptly() {
    #[allow(unsafe_code)]
    // SAFETY: `mi_option_set` stores an integer option. It is not thread-safe, and this runs
    // first thing in `main`, before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 100)
    };
}

// mimalloc instead of the system allocator: a build makes millions of small strings, and with
// glibc's allocator a 100,000-card build spent a fifth of its time in malloc and SQLite's
// index sort ran twice as slow over the fragmented heap (100,000 cards: 4.0 s -> 2.5 s).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
