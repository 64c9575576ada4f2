//! The C ABI of deploygov: `libdeploygov.so` / `libdeploygov.a` and the header
//! `include/deploygov.h` that cbindgen generates from this crate (see `build.rs`).
//!
//! Conventions (the reference is `docs/c-api.md`):
//! - every fallible function returns an `int32_t` status, `DG_OK` or a [`DgError`], and runs its
//!   body inside one guard ([`guard`](crate::guard)) that catches panics and records the calling
//!   thread's last error;
//! - strings in are borrowed UTF-8; strings out are owned and released with `dg_string_free`;
//! - structured values are JSON with the core's serde schema; the hot path
//!   (`dg_active_version`) is typed;
//! - host callbacks (executor, validators, event subscribers, clock) are C function pointers with
//!   `void *user_data`.
//!
//! No domain logic lives here: each function converts its arguments, calls one core method and
//! maps the result.

// Declaration order is the order of the generated header.
mod callbacks;
mod commands;
mod error;
mod events;
mod guard;
mod handle;
mod operations;
mod queries;
mod records;

pub use callbacks::*;
pub use commands::*;
pub use error::*;
pub use events::*;
pub use handle::*;
pub use operations::*;
pub use queries::*;
pub use records::*;
