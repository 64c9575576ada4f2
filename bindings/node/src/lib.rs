//! The Node.js face of deploygov: the npm package `deploygov` (napi-rs).
//!
//! One engine, many faces: every exported method converts its arguments, calls one core
//! function and maps the error; there is no domain logic here. Structured values cross as the
//! core's serde JSON shapes (plain objects, snake_case fields, ISO-8601 timestamps).
//!
//! - [`engine`]: the `Engine` class, one method per public core operation; its methods around
//!   execution (freeze windows, two-phase execution, resume, health checks) are in
//!   [`execution`], those of the governed records (variables, artifacts, deployment errors,
//!   reports) in [`records`].
//! - [`clock`]: `ManualClock`, for tests and scenario runs.
//! - [`callback`]: JavaScript executors, validators and subscribers, called from the core's worker
//!   thread.
//! - [`convert`]: arguments in, results out. [`task`]: promises over worker threads.
//! - [`error`]: every JavaScript error, built in one place.

pub mod callback;
pub mod clock;
pub mod convert;
pub mod engine;
pub mod error;
pub mod execution;
pub mod records;
pub mod task;
