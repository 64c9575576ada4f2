//! Replays the fuzzing inputs committed under `fuzz/` through the very code the fuzz targets run
//! (`fuzz/harness/mod.rs`, included here by path), on stable Rust and in every test run:
//!
//! - every crasher under `fuzz/artifacts/<target>/` must now return an error, not panic;
//! - every committed seed under `fuzz/corpus/<target>/` must not panic;
//! - a short proptest drives the `commands` and `request` paths with random bytes, so the
//!   harness itself cannot rot between fuzzing sessions.
//!
//! How to fuzz, and what was found: `docs/fuzzing.md`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test code fails loudly")]
#![allow(missing_docs, reason = "the harness is shared with the fuzz crate")]

#[path = "../../fuzz/harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

type Target = fn(&[u8]) -> deploygov::Result<()>;

const TARGETS: [(&str, Target); 4] =
    [("policy", harness::policy), ("request", harness::request), ("scenario", harness::scenario), ("commands", harness::commands)];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The regular files of `dir`, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file() && !p.ends_with(".gitkeep")).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn committed_crashers_return_an_error() {
    let mut replayed = 0;
    for (name, target) in TARGETS {
        for file in files(&fuzz_dir().join("artifacts").join(name)) {
            let data = std::fs::read(&file).unwrap();
            let out = target(&data);
            assert!(out.is_err(), "{}: accepted, expected an error", file.display());
            replayed += 1;
        }
    }
    println!("{replayed} crashers replayed");
}

#[test]
fn committed_seeds_do_not_panic() {
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let seeds: Vec<PathBuf> = files(&fuzz_dir().join("corpus").join(name))
            .into_iter()
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("seed-")))
            .collect();
        assert!(!seeds.is_empty(), "no seeds for `{name}` under fuzz/corpus");
        for file in seeds {
            let _ = target(&std::fs::read(&file).unwrap());
            replayed += 1;
        }
    }
    println!("{replayed} seeds replayed");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..160)) {
        let _ = harness::commands(&data);
    }

    #[test]
    fn random_json_inputs_never_panic(kind in 0u8..8, body in "[\\[\\]{}\",:a-z0-9 .\\-\\\\]{0,80}") {
        let mut data = vec![kind];
        data.extend_from_slice(body.as_bytes());
        let _ = harness::request(&data);
    }
}
