//! Dates as the provincial dialects write them: list filters as days (`YYYY/MM/DD`, also
//! `DD/MM/YYYY` and `YYYY-MM-DD`), times as `yyyy/MM/dd HH:mm:ss`, both in Vietnam's time
//! (UTC+7).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

fn vietnam() -> UtcOffset {
    UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// A day written `YYYY/MM/DD`, `DD/MM/YYYY` or `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<Date> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['/', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    Date::from_calendar_date(
        year.parse().ok()?,
        Month::try_from(month.parse::<u8>().ok()?).ok()?,
        day.parse().ok()?,
    )
    .ok()
}

/// The first millisecond of that day in Vietnam (Unix ms).
pub fn day_start_ms(text: &str) -> Option<i64> {
    let day = parse_day(text)?;
    let t = PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(vietnam());
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// The last millisecond of that day in Vietnam (Unix ms).
pub fn day_end_ms(text: &str) -> Option<i64> {
    day_start_ms(text).map(|start| start + 24 * 3600 * 1000 - 1)
}

/// A time (Unix ms) as `yyyy/MM/dd HH:mm:ss` in Vietnam.
pub fn vietnam_text(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(vietnam());
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Now, Unix ms.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_three_spellings() {
        let a = day_start_ms("2026/11/22").expect("day");
        assert_eq!(day_start_ms("22/11/2026"), Some(a));
        assert_eq!(day_start_ms("2026-11-22"), Some(a));
        assert_eq!(vietnam_text(a), "2026/11/22 00:00:00");
        assert_eq!(day_end_ms("2026/11/22"), Some(a + 86_399_999));
        assert_eq!(day_start_ms("yesterday"), None);
    }
}
