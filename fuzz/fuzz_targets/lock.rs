//! Fuzzes the lock parser: any bytes are a lock or a clear error, never a panic; a lock that
//! is accepted holds only GUIDs and times the reader accepts, and its written form reads back
//! as the same lock (so deckforge never writes a lock it would then refuse).

#![no_main]

use deckforge::identity::record::{guid_problem, time_problem};
use deckforge::lock::Lock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut lock) = serde_json::from_slice::<Lock>(data) else {
        return;
    };
    lock.rekey();
    for note in &lock.notes {
        assert_eq!(guid_problem(&note.guid), None);
        assert_eq!(time_problem(note.modified), None);
    }
    let text = lock.to_text();
    let mut again: Lock = serde_json::from_str(&text).expect("a written lock reads back");
    again.rekey();
    assert_eq!(again.to_text(), text);
});
