//! Fuzz target `commands`: see `harness::commands` and docs/fuzzing.md.
#![no_main]

#[path = "../harness/mod.rs"]
#[allow(dead_code, reason = "each target uses one entry point of the shared harness")]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::commands(data);
});
