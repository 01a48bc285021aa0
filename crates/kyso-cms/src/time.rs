//! X.509/CMS Time to Unix seconds (RFC 5280 §4.1.2.5.1 UTCTime, §4.1.2.5.2 GeneralizedTime).
//! Lenient: seconds may be missing, fractions are dropped, `Z` or `±hhmm` offsets accepted.

use crate::ber::{Tlv, universal};
use crate::error::CmsError;

fn bad(what: &str) -> CmsError {
    CmsError::malformed(format!("bad time value: {what}"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8], what: &str) -> Result<i64, CmsError> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(bad(what));
    }
    Ok(s.iter()
        .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0')))
}

/// Parses a UTCTime or GeneralizedTime element to Unix seconds.
pub fn parse_time(tlv: &Tlv<'_>) -> Result<i64, CmsError> {
    let text = tlv.octets()?;
    let text: &[u8] = &text;
    let (year, rest) = if tlv.is_universal(universal::UTC_TIME) {
        let yy = digits(text.get(0..2).ok_or_else(|| bad("short"))?, "year")?;
        // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
    } else if tlv.is_universal(universal::GENERALIZED_TIME) {
        let yyyy = digits(text.get(0..4).ok_or_else(|| bad("short"))?, "year")?;
        (yyyy, &text[4..])
    } else {
        return Err(CmsError::malformed("expected UTCTime or GeneralizedTime"));
    };
    let field = |range: std::ops::Range<usize>, what: &str| -> Result<i64, CmsError> {
        digits(rest.get(range).ok_or_else(|| bad(what))?, what)
    };
    let month = field(0..2, "month")?;
    let day = field(2..4, "day")?;
    let hour = field(4..6, "hour")?;
    let minute = field(6..8, "minute")?;
    let mut pos = 8;
    let mut second = 0;
    if rest.get(pos).is_some_and(u8::is_ascii_digit) {
        second = field(8..10, "second")?;
        pos = 10;
    }
    if matches!(rest.get(pos), Some(b'.') | Some(b',')) {
        pos += 1;
        while rest.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
    }
    let offset = match rest.get(pos) {
        Some(b'Z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hh = field(pos + 1..pos + 3, "offset")?;
            let mm = field(pos + 3..pos + 5, "offset")?;
            let minutes = hh * 60 + mm;
            if *sign == b'+' { minutes } else { -minutes }
        }
        // GeneralizedTime without zone is local time; we have no zone, so read it as UTC.
        None => 0,
        Some(_) => return Err(bad("zone")),
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 24
        || minute > 59
        || second > 60
    {
        return Err(bad("field out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der;

    fn parse(tag: u8, s: &str) -> Result<i64, CmsError> {
        let enc = der::tlv(tag, s.as_bytes());
        let (tlv, _) = crate::ber::parse_tlv(&enc).unwrap();
        parse_time(&tlv)
    }

    #[test]
    fn utc_and_generalized() {
        assert_eq!(parse(0x17, "700101000000Z").unwrap(), 0);
        assert_eq!(parse(0x17, "491231235959Z").unwrap(), 2_524_607_999);
        assert_eq!(parse(0x18, "20240229120000Z").unwrap(), 1_709_208_000);
        assert_eq!(parse(0x18, "20240229120000.123Z").unwrap(), 1_709_208_000);
        assert_eq!(parse(0x17, "2402291900+0700").unwrap(), 1_709_208_000);
        assert_eq!(parse(0x18, "20500101000000Z").unwrap(), 2_524_608_000);
        assert!(parse(0x17, "24X229120000Z").is_err());
        assert!(parse(0x17, "2413").is_err());
        assert!(parse(0x04, "700101000000Z").is_err());
    }
}
