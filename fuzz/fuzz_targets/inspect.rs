//! Fuzzes `deckforge inspect`: any bytes read as a package must give notes or an error, never a
//! panic. The collection size cap is lowered so the fuzzer cannot fill the disk with bombs.

#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = deckforge::inspect::read_package_with_limit(
        Cursor::new(data),
        Path::new("fuzz.apkg"),
        16 << 20,
    );
});
