//! X.501 Name to text (RFC 5280 §4.1.2.4, display after RFC 4514 §2).
//!
//! RDNs are shown most-specific first (RFC 4514 §2.1 reverses the RDNSequence), multi-valued
//! RDNs joined with `+`, values escaped per RFC 4514 §2.4. Directory strings are decoded from
//! their real type: UTF8String as UTF-8, BMPString as UTF-16BE, UniversalString as UTF-32BE,
//! TeletexString as ISO 8859-1 (what real CAs put there), the ASCII types byte by byte.
//! Non-ASCII characters are kept as they are, never escaped or mangled.

use crate::ber::{Tlv, universal};
use crate::error::CmsError;

/// A decoded Name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameText {
    /// "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, L=Quảng Ngãi, C=VN"
    pub display: String,
    /// The most specific commonName, unescaped.
    pub common_name: Option<String>,
    /// The organizationName (2.5.4.10), decoded.
    pub organization: Option<String>,
    /// The emailAddress (PKCS #9, 1.2.840.113549.1.9.1), decoded.
    pub email: Option<String>,
}

/// Short names for attribute types (RFC 4514 §3 plus common X.520 ones).
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "E",
        _ => return None,
    })
}

/// Decodes a directory string value to text; None for types that are not strings.
pub fn decode_string(value: &Tlv<'_>) -> Result<Option<String>, CmsError> {
    if value.tag.class != crate::ber::Class::Universal {
        return Ok(None);
    }
    let text = match value.tag.number {
        universal::UTF8_STRING => String::from_utf8_lossy(&value.octets()?).into_owned(),
        universal::PRINTABLE_STRING
        | universal::IA5_STRING
        | universal::VISIBLE_STRING
        | universal::NUMERIC_STRING
        | universal::TELETEX_STRING => value.octets()?.iter().map(|&b| char::from(b)).collect(),
        universal::BMP_STRING => {
            let bytes = value.octets()?;
            let units = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        universal::UNIVERSAL_STRING => value
            .octets()?
            .chunks(4)
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                char::from_u32(u32::from_be_bytes(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
        _ => return Ok(None),
    };
    Ok(Some(text))
}

/// Escapes a value per RFC 4514 §2.4.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let count = value.chars().count();
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == count && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
        } else {
            if special {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Decodes a Name (`SEQUENCE OF SET OF AttributeTypeAndValue`).
pub fn parse_name(name: &Tlv<'_>) -> Result<NameText, CmsError> {
    if !name.is_universal(universal::SEQUENCE) {
        return Err(CmsError::malformed("Name: not a SEQUENCE"));
    }
    let mut rdns: Vec<String> = Vec::new();
    let mut common_name = None;
    let mut organization = None;
    let mut email = None;
    let mut r = name.children();
    while let Some(rdn) = r.next_tlv()? {
        let rdn = rdn.expect_universal(universal::SET, "RelativeDistinguishedName")?;
        let mut parts = Vec::new();
        let mut atvs = rdn.children();
        while let Some(atv) = atvs.next_tlv()? {
            let atv = atv.expect_universal(universal::SEQUENCE, "AttributeTypeAndValue")?;
            let mut fields = atv.children();
            let oid = fields.read("AttributeTypeAndValue.type")?.oid()?;
            let value = fields.read("AttributeTypeAndValue.value")?;
            let label = short_name(&oid).map(str::to_string).unwrap_or(oid.clone());
            match decode_string(&value)? {
                Some(text) => {
                    let slot = match oid.as_str() {
                        "2.5.4.3" => Some(&mut common_name),
                        "2.5.4.10" => Some(&mut organization),
                        "1.2.840.113549.1.9.1" => Some(&mut email),
                        _ => None,
                    };
                    // The last of each (the most specific RDN), as for the common name.
                    if let Some(slot) = slot {
                        *slot = Some(text.clone());
                    }
                    parts.push(format!("{label}={}", escape(&text)));
                }
                None => parts.push(format!("{label}=#{}", hex_upper(value.raw))),
            }
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Ok(NameText {
        display: rdns.join(", "),
        common_name,
        organization,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der;

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        der::set_of(&[der::sequence(&[
            &der::tlv(0x06, oid),
            &der::tlv(tag, value),
        ])])
    }

    #[test]
    fn vietnamese_name_in_several_string_types() {
        let cn_utf8 = "Nguyễn Văn An";
        let bmp: Vec<u8> = "Văn phòng Tỉnh ủy"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        let name = der::sequence(&[
            &atv(&[0x55, 4, 6], 0x13, b"VN"),
            &atv(&[0x55, 4, 7], 0x14, &[b'Q', b'u', 0xE9]), // Teletex latin1 "Qué"
            &atv(&[0x55, 4, 10], 0x1E, &bmp),
            &atv(&[0x55, 4, 3], 0x0C, cn_utf8.as_bytes()),
        ]);
        let (tlv, _) = crate::ber::parse_tlv(&name).unwrap();
        let text = parse_name(&tlv).unwrap();
        assert_eq!(
            text.display,
            "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, L=Qué, C=VN"
        );
        assert_eq!(text.common_name.as_deref(), Some(cn_utf8));
    }

    #[test]
    fn escaping_and_unknown_types() {
        let name = der::sequence(&[
            &atv(&[0x55, 4, 10], 0x0C, b"A, B + C"),
            &atv(&[0x2A, 3], 0x04, &[1, 2]),
        ]);
        let (tlv, _) = crate::ber::parse_tlv(&name).unwrap();
        let text = parse_name(&tlv).unwrap();
        assert_eq!(text.display, "1.2.3=#04020102, O=A\\, B \\+ C");
        assert_eq!(text.common_name, None);
    }
}
