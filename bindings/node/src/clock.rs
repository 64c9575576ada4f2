//! `ManualClock`: a clock that moves only when told to, for tests and scenario runs.

use chrono::SecondsFormat;
use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;

use crate::convert::{seconds, time};
use crate::error::{self, Failure};

/// A clock for `new Engine(database, { clock })`; copies of an engine's clock share one time.
#[napi]
pub struct ManualClock {
    pub(crate) inner: deploygov::ManualClock,
}

#[napi]
impl ManualClock {
    /// A clock stopped at `start` (an ISO-8601 time).
    #[napi(constructor, catch_unwind, ts_args_type = "start: string")]
    pub fn new(env: Env, start: Unknown<'_>) -> Result<Self> {
        let start = time(start, "start").map_err(|f| error::to_js(&env, f))?;
        Ok(Self { inner: deploygov::ManualClock::new(start) })
    }

    /// Sets the time (an ISO-8601 time).
    #[napi(catch_unwind, ts_args_type = "time: string")]
    pub fn set(&self, env: Env, time_: Unknown<'_>) -> Result<()> {
        let t = time(time_, "time").map_err(|f| error::to_js(&env, f))?;
        self.inner.set(t);
        Ok(())
    }

    /// Moves the time forward by `seconds` (fractions allowed; negative moves it back).
    #[napi(catch_unwind, ts_args_type = "seconds: number")]
    pub fn advance(&self, env: Env, by: Unknown<'_>) -> Result<()> {
        let s = seconds(by, "seconds").map_err(|f| error::to_js(&env, f))?;
        let micros = (s * 1e6).round();
        if micros.abs() > 1e17 {
            return Err(error::to_js(&env, Failure::Type(format!("`seconds` is out of range: {s}"))));
        }
        self.inner.advance(chrono::Duration::microseconds(micros as i64));
        Ok(())
    }

    /// The current time, as an ISO-8601 string.
    #[napi(catch_unwind)]
    pub fn now(&self) -> String {
        deploygov::Clock::now(&self.inner).to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}
