//! Calendar arithmetic on the proleptic Gregorian calendar (days since 1970-01-01), so the
//! tool needs no date crate: "now" comes from the clock the page passes in.

use crate::ToolError;

/// The page's clock: milliseconds since the Unix epoch, and the local offset from UTC.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    pub unix_ms: f64,
    pub utc_offset_minutes: i32,
}

const WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

/// A civil date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days(self) -> i64 {
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }

    pub fn weekday(self) -> &'static str {
        WEEKDAYS[self.days().rem_euclid(7) as usize]
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        match month {
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, ToolError> {
        let bad = || {
            ToolError::BadInput(format!(
                "`{}` is not a date in the form YYYY-MM-DD",
                text.trim()
            ))
        };
        let mut parts = text.trim().splitn(3, '-');
        let year: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let month: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let day: u32 = parts
            .next()
            .and_then(|p| p.get(..2.min(p.len())).and_then(|d| d.parse().ok()))
            .ok_or_else(bad)?;
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > Date::days_in_month(year, month)
        {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// "2026-12-01 14:05 (UTC+01:00), Tuesday"
pub fn now(clock: Clock) -> String {
    let local_ms = clock.unix_ms + f64::from(clock.utc_offset_minutes) * 60_000.0;
    let minutes = (local_ms / 60_000.0).floor() as i64;
    let date = Date::from_days(minutes.div_euclid(1440));
    let minute_of_day = minutes.rem_euclid(1440);
    let sign = if clock.utc_offset_minutes < 0 {
        '-'
    } else {
        '+'
    };
    let off = clock.utc_offset_minutes.unsigned_abs();
    format!(
        "{date} {:02}:{:02} (UTC{sign}{:02}:{:02}), {}",
        minute_of_day / 60,
        minute_of_day % 60,
        off / 60,
        off % 60,
        date.weekday()
    )
}

pub fn add_days(date: Date, days: i64) -> Result<Date, ToolError> {
    if days.unsigned_abs() > 3_000_000 {
        return Err(ToolError::BadInput(format!("{days} days is too far")));
    }
    Ok(Date::from_days(date.days() + days))
}

pub fn days_between(a: Date, b: Date) -> i64 {
    b.days() - a.days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_and_know_their_weekday() {
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days(days).days(), days);
        }
        assert_eq!(Date::parse("1970-01-01").unwrap().days(), 0);
        assert_eq!(Date::parse("2026-12-01").unwrap().weekday(), "Tuesday");
        assert_eq!(Date::parse("2000-02-29").unwrap().weekday(), "Tuesday");
        assert_eq!(
            add_days(Date::parse("2024-02-28").unwrap(), 1)
                .unwrap()
                .to_string(),
            "2024-02-29"
        );
        assert_eq!(
            add_days(Date::parse("2023-12-31").unwrap(), 1)
                .unwrap()
                .to_string(),
            "2024-01-01"
        );
        assert_eq!(
            days_between(
                Date::parse("2024-01-01").unwrap(),
                Date::parse("2025-01-01").unwrap()
            ),
            366
        );
    }

    #[test]
    fn bad_dates_are_named() {
        for s in ["2023-02-29", "2024-13-01", "yesterday", "2024-04-31", ""] {
            assert!(
                Date::parse(s)
                    .unwrap_err()
                    .to_string()
                    .contains("YYYY-MM-DD"),
                "{s}"
            );
        }
    }

    #[test]
    fn now_uses_the_page_clock_and_offset() {
        // 2026-12-01T05:43:00Z
        let ms = (Date::parse("2026-12-01").unwrap().days() as f64 * 1440.0 + 5.0 * 60.0 + 43.0)
            * 60_000.0;
        assert_eq!(
            now(Clock {
                unix_ms: ms,
                utc_offset_minutes: 0
            }),
            "2026-12-01 05:43 (UTC+00:00), Tuesday"
        );
        assert_eq!(
            now(Clock {
                unix_ms: ms,
                utc_offset_minutes: -360
            }),
            "2026-11-30 23:43 (UTC-06:00), Monday"
        );
    }
}
