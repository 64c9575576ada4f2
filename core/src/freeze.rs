//! Freeze windows: periods in which approving and executing into an environment (or every
//! environment of a project) is refused with the finding `environment_frozen`, unless an actor
//! holding one of the policy's `freeze_override_roles` gives a reason (audited).
//!
//! Two shapes: one-off `[start, end)` in UTC, and weekly (days, local start time, duration, IANA
//! time zone, evaluated with chrono-tz so daylight-saving changes move the window with the wall
//! clock). There are no "allow" windows: any window that covers an instant freezes it (deny wins).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

crate::model::string_enum!(
    /// A day of the week, in the window's own time zone.
    Day { Mon = "mon", Tue = "tue", Wed = "wed", Thu = "thu", Fri = "fri", Sat = "sat", Sun = "sun" }
);

impl Day {
    fn of(w: chrono::Weekday) -> Self {
        match w {
            chrono::Weekday::Mon => Self::Mon,
            chrono::Weekday::Tue => Self::Tue,
            chrono::Weekday::Wed => Self::Wed,
            chrono::Weekday::Thu => Self::Thu,
            chrono::Weekday::Fri => Self::Fri,
            chrono::Weekday::Sat => Self::Sat,
            chrono::Weekday::Sun => Self::Sun,
        }
    }
}

/// Longest weekly window: one week (a longer one would always be on).
pub const MAX_WEEKLY_MINUTES: u32 = 7 * 24 * 60;

/// When a window is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FreezeSchedule {
    /// From `start` (inclusive) to `end` (exclusive).
    OneOff {
        /// Start, inclusive.
        start: DateTime<Utc>,
        /// End, exclusive.
        end: DateTime<Utc>,
    },
    /// Every week on `days`, from `start_time` (`HH:MM`, local) for `duration_minutes`.
    Weekly {
        /// Days on which a window starts.
        days: Vec<Day>,
        /// Local start time, `HH:MM` (24 h).
        start_time: String,
        /// Length in minutes, 1 to one week.
        duration_minutes: u32,
        /// IANA time zone, e.g. `Europe/Berlin`.
        time_zone: String,
    },
}

/// What a host passes to create a freeze window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeSpec {
    /// Environment it freezes; `None` freezes every environment of the project.
    #[serde(default)]
    pub environment: Option<String>,
    /// Name shown in refusals (`end-of-quarter`, `weekend`).
    pub name: String,
    /// When it is on.
    pub schedule: FreezeSchedule,
}

/// A stored freeze window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeWindow {
    /// Id (UUIDv7).
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Environment, or `None` for the whole project.
    pub environment: Option<String>,
    /// Name.
    pub name: String,
    /// When it is on.
    pub schedule: FreezeSchedule,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

fn parse_time(s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| Error::invalid_input(format!("start_time `{s}` is not a `HH:MM` time")))
}

fn parse_zone(s: &str) -> Result<Tz> {
    s.parse::<Tz>().map_err(|_| Error::invalid_input(format!("unknown time zone `{s}` (expected an IANA name like `Europe/Berlin`)")))
}

/// The UTC instant of a local wall-clock time: the earlier one when the clocks go back, the first
/// instant after the gap when they go forward.
fn resolve(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => tz.from_local_datetime(&(local + Duration::hours(1))).earliest().map(|t| t.with_timezone(&Utc)),
    }
}

impl FreezeSchedule {
    /// Refuses schedules that cannot work (empty or inverted ranges, bad times, unknown zones).
    pub fn check(&self) -> Result<()> {
        match self {
            Self::OneOff { start, end } => {
                if start >= end {
                    return Err(Error::invalid_input(format!("freeze window ends (`{end}`) before it starts (`{start}`)")));
                }
            }
            Self::Weekly { days, start_time, duration_minutes, time_zone } => {
                if days.is_empty() {
                    return Err(Error::invalid_input("a weekly freeze window needs at least one day"));
                }
                parse_time(start_time)?;
                parse_zone(time_zone)?;
                if *duration_minutes == 0 || *duration_minutes > MAX_WEEKLY_MINUTES {
                    return Err(Error::invalid_input(format!(
                        "duration_minutes must be between 1 and {MAX_WEEKLY_MINUTES}, got `{duration_minutes}`"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The occurrence `[start, end)` that covers `at`, if any.
    pub fn covering(&self, at: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match self {
            Self::OneOff { start, end } => (*start <= at && at < *end).then_some((*start, *end)),
            Self::Weekly { days, start_time, duration_minutes, time_zone } => {
                let (time, tz) = (parse_time(start_time).ok()?, parse_zone(time_zone).ok()?);
                let length = Duration::minutes(i64::from(*duration_minutes));
                let today = at.with_timezone(&tz).date_naive();
                // An occurrence covering `at` started at most `length` before it: look back that
                // many days, plus one for the start time.
                let back = i64::from(*duration_minutes / (24 * 60)) + 1;
                (0..=back).find_map(|n| {
                    let date = today.checked_sub_signed(Duration::days(n))?;
                    if !days.contains(&Day::of(date.weekday())) {
                        return None;
                    }
                    let start = resolve(tz, date.and_time(time))?;
                    let end = start + length;
                    (start <= at && at < end).then_some((start, end))
                })
            }
        }
    }
}

impl FreezeWindow {
    /// Whether this window applies to `environment`.
    pub fn applies_to(&self, environment: &str) -> bool {
        self.environment.as_deref().is_none_or(|e| e == environment)
    }

    /// A one-line description for refusals: name, scope and the occurrence.
    pub fn describe(&self, occurrence: (DateTime<Utc>, DateTime<Utc>)) -> String {
        let scope = self.environment.as_deref().map_or("every environment".to_owned(), |e| format!("`{e}`"));
        format!("freeze window `{}` ({}) freezes {scope} from `{}` to `{}`", self.name, self.id, occurrence.0, occurrence.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn weekly(days: &[Day], start: &str, minutes: u32, tz: &str) -> FreezeSchedule {
        FreezeSchedule::Weekly { days: days.to_vec(), start_time: start.into(), duration_minutes: minutes, time_zone: tz.into() }
    }

    #[test]
    fn one_off_is_half_open() {
        let s = FreezeSchedule::OneOff { start: at("2026-03-01T00:00:00Z"), end: at("2026-03-02T00:00:00Z") };
        assert!(s.covering(at("2026-03-01T00:00:00Z")).is_some());
        assert!(s.covering(at("2026-03-01T23:59:59Z")).is_some());
        assert!(s.covering(at("2026-03-02T00:00:00Z")).is_none());
        assert!(s.covering(at("2026-02-28T23:59:59Z")).is_none());
    }

    #[test]
    fn weekly_follows_the_local_clock_across_dst() {
        // Fridays 18:00 Berlin for 62 hours (to Monday 08:00).
        let s = weekly(&[Day::Fri], "18:00", 62 * 60, "Europe/Berlin");
        // Winter: 18:00 CET = 17:00 UTC.
        assert!(s.covering(at("2026-01-09T16:59:59Z")).is_none());
        assert!(s.covering(at("2026-01-09T17:00:00Z")).is_some());
        assert!(s.covering(at("2026-01-11T12:00:00Z")).is_some(), "sunday");
        assert!(s.covering(at("2026-01-12T07:00:00Z")).is_none(), "monday 08:00 local: over");
        // Summer: 18:00 CEST = 16:00 UTC.
        assert!(s.covering(at("2026-07-10T16:00:00Z")).is_some());
        assert!(s.covering(at("2026-07-10T15:59:00Z")).is_none());
        // Thursday is never frozen.
        assert!(s.covering(at("2026-07-09T20:00:00Z")).is_none());
    }

    #[test]
    fn weekly_start_in_a_dst_gap_starts_after_the_gap() {
        // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00 CEST = 01:00 UTC).
        let s = weekly(&[Day::Sun], "02:30", 60, "Europe/Berlin");
        let (start, _) = s.covering(at("2026-03-29T01:45:00Z")).unwrap();
        assert_eq!(start, at("2026-03-29T01:30:00Z"));
    }

    #[test]
    fn bad_schedules_are_refused() {
        let inverted = FreezeSchedule::OneOff { start: at("2026-03-02T00:00:00Z"), end: at("2026-03-01T00:00:00Z") };
        assert!(inverted.check().unwrap_err().to_string().contains("ends"));
        assert!(weekly(&[], "10:00", 60, "UTC").check().is_err());
        assert!(weekly(&[Day::Mon], "25:00", 60, "UTC").check().unwrap_err().to_string().contains("`25:00`"));
        assert!(weekly(&[Day::Mon], "10:00", 0, "UTC").check().is_err());
        assert!(weekly(&[Day::Mon], "10:00", MAX_WEEKLY_MINUTES + 1, "UTC").check().is_err());
        assert!(weekly(&[Day::Mon], "10:00", 60, "Mars/Olympus").check().unwrap_err().to_string().contains("`Mars/Olympus`"));
        assert!("funday".parse::<Day>().is_err());
    }
}
