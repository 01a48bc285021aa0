//! PDF dates (ISO 32000-2 §7.9.4): `D:YYYYMMDDHHmmSS+HH'mm'`.

use time::OffsetDateTime;

/// Formats `t` as a PDF date in its own offset (local time with offset, for `/M`).
pub fn format_pdf_date(t: OffsetDateTime) -> String {
    let offset = t.offset();
    let (h, m, _) = offset.as_hms();
    let zone = if offset.is_utc() {
        "Z".to_string()
    } else {
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!("{sign}{:02}'{:02}'", h.unsigned_abs(), m.unsigned_abs())
    };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Formats `t` as ISO 8601 with its offset, as NĐ 30/2020 shows signing times.
pub fn format_iso(t: OffsetDateTime) -> String {
    let offset = t.offset();
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn vietnam_time_has_its_offset() {
        let t = datetime!(2026-11-22 10:05:09 +07:00);
        assert_eq!(format_pdf_date(t), "D:20261122100509+07'00'");
        assert_eq!(format_iso(t), "2026-11-22T10:05:09+07:00");
        assert_eq!(
            format_pdf_date(datetime!(2026-01-02 03:04:05 UTC)),
            "D:20260102030405Z"
        );
    }
}
