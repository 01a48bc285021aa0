//! The metadata a document carries to the exchange: exactly what an edXML message header needs
//! (QCVN 102:2016/BTTTT, docs/domain.md §4). Users write it as TOML (`kyso queue --meta
//! META.toml`); the remembered defaults fill whatever a file leaves out.
//!
//! Validation happens before a document is queued and reports every problem at once, one
//! [`FieldProblem`] per missing or malformed field, so an official fixes the file in one pass.

use serde::{Deserialize, Serialize};

/// An organisation (agency) taking part in an exchange: `From`, `To` in the message header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organ {
    /// Agency code under QĐ 20/2020/QĐ-TTg, e.g. `000.00.00.G22` ([`is_organ_id`]).
    #[serde(default)]
    pub organ_id: String,
    /// Full name, e.g. "Ủy ban nhân dân tỉnh Hà Nam".
    #[serde(default)]
    pub name: String,
    /// The organisation in charge (`OrganizationInCharge`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_charge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
}

/// `SignerInfo`: who signed, in which capacity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerInfo {
    /// Signing competence, e.g. "TM. Ủy ban nhân dân", "KT. Chủ tịch".
    #[serde(default)]
    pub competence: String,
    /// Position, e.g. "Chủ tịch".
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub full_name: String,
}

/// The reference a reply carries to the document it answers (`ResponseFor`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseFor {
    pub organ_id: String,
    /// The answered document's code, "number/notation".
    pub code: String,
    /// `yyyy-mm-dd`.
    pub promulgation_date: String,
    /// The answered document's `DocumentId`.
    pub document_id: String,
}

/// `Priority` codes (docs/domain.md §4).
pub const PRIORITIES: [(u8, &str); 5] = [
    (0, "thường"),
    (1, "khẩn"),
    (2, "thượng khẩn"),
    (3, "hỏa tốc"),
    (4, "hỏa tốc hẹn giờ"),
];

/// Everything the exchange needs to know about one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentMeta {
    #[serde(default)]
    pub from: Organ,
    #[serde(default)]
    pub to: Vec<Organ>,
    /// The number of the code, e.g. "123".
    #[serde(default)]
    pub code_number: String,
    /// The notation of the code, e.g. "QĐ-UBND".
    #[serde(default)]
    pub code_notation: String,
    #[serde(default)]
    pub promulgation_place: String,
    /// `yyyy-mm-dd`.
    #[serde(default)]
    pub promulgation_date: String,
    /// `DocumentType/Type`: the numeric type code.
    #[serde(default)]
    pub document_type: String,
    /// `DocumentType/TypeName`, e.g. "Quyết định".
    #[serde(default)]
    pub document_type_name: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default)]
    pub signer: SignerInfo,
    /// 0 thường … 4 hỏa tốc hẹn giờ ([`PRIORITIES`]).
    #[serde(default)]
    pub priority: u8,
    /// `yyyy-mm-dd`, when the document must be handled by a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// `SteeringType`: 0, 1 or 2.
    #[serde(default)]
    pub steering_type: u8,
    /// Set on replies: the document this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_for: Option<ResponseFor>,
}

/// One problem found in a metadata file: the field (as written in the TOML file) and what is
/// wrong, in Vietnamese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    /// Stable code: `META_MISSING`, `META_ORGAN_ID`, `META_DATE`, `META_CODE_VALUE`.
    pub code: &'static str,
    pub message_vi: String,
    pub message_en: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} / {}",
            self.field, self.message_vi, self.message_en
        )
    }
}

impl DocumentMeta {
    /// Parses a metadata file; unknown keys are an error so a typo is never silently ignored.
    pub fn from_toml(text: &str) -> Result<DocumentMeta, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Fills every empty field from `defaults` (the user's remembered values): the sender,
    /// the recipients, the place, the signer, the document type.
    pub fn with_defaults(mut self, defaults: &DocumentMeta) -> DocumentMeta {
        fn fill(value: &mut String, default: &str) {
            if value.trim().is_empty() {
                *value = default.to_string();
            }
        }
        if self.from.organ_id.trim().is_empty() && self.from.name.trim().is_empty() {
            self.from = defaults.from.clone();
        }
        if self.to.is_empty() {
            self.to = defaults.to.clone();
        }
        fill(&mut self.code_notation, &defaults.code_notation);
        fill(&mut self.promulgation_place, &defaults.promulgation_place);
        fill(&mut self.document_type, &defaults.document_type);
        fill(&mut self.document_type_name, &defaults.document_type_name);
        fill(&mut self.signer.competence, &defaults.signer.competence);
        fill(&mut self.signer.position, &defaults.signer.position);
        fill(&mut self.signer.full_name, &defaults.signer.full_name);
        self
    }

    /// The values worth remembering as the next document's defaults: who sends, to whom, where,
    /// which type and who signs; never the number, date or subject of this one.
    pub fn as_defaults(&self) -> DocumentMeta {
        DocumentMeta {
            from: self.from.clone(),
            to: self.to.clone(),
            code_notation: self.code_notation.clone(),
            promulgation_place: self.promulgation_place.clone(),
            document_type: self.document_type.clone(),
            document_type_name: self.document_type_name.clone(),
            signer: self.signer.clone(),
            ..DocumentMeta::default()
        }
    }

    /// The edXML `DocumentId`: `{OrganId},{yyyy/MM/dd},{number}/{notation}` (docs/domain.md §4).
    pub fn document_id(&self) -> String {
        format!(
            "{},{},{}/{}",
            self.from.organ_id,
            self.promulgation_date.replace('-', "/"),
            self.code_number,
            self.code_notation
        )
    }

    /// Every problem with this metadata; empty when it can be queued.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        check_organ(&mut problems, "from", &self.from);
        if self.to.is_empty() {
            problems.push(missing("to"));
        }
        for (i, organ) in self.to.iter().enumerate() {
            check_organ(&mut problems, &format!("to[{i}]"), organ);
        }
        for (field, value) in [
            ("code_number", &self.code_number),
            ("code_notation", &self.code_notation),
            ("promulgation_place", &self.promulgation_place),
            ("document_type", &self.document_type),
            ("document_type_name", &self.document_type_name),
            ("subject", &self.subject),
            ("signer.competence", &self.signer.competence),
            ("signer.position", &self.signer.position),
            ("signer.full_name", &self.signer.full_name),
        ] {
            if value.trim().is_empty() {
                problems.push(missing(field));
            }
        }
        check_date(&mut problems, "promulgation_date", &self.promulgation_date);
        if let Some(due) = &self.due_date {
            check_date(&mut problems, "due_date", due);
        }
        if !self.document_type.trim().is_empty()
            && !self.document_type.chars().all(|c| c.is_ascii_digit())
        {
            problems.push(bad_code("document_type", "meta.code_value.document_type"));
        }
        if usize::from(self.priority) >= PRIORITIES.len() {
            problems.push(bad_code("priority", "meta.code_value.priority"));
        }
        if self.steering_type > 2 {
            problems.push(bad_code("steering_type", "meta.code_value.steering_type"));
        }
        if let Some(reply) = &self.response_for {
            if !is_organ_id(&reply.organ_id) {
                problems.push(bad_organ_id("response_for.organ_id", &reply.organ_id));
            }
            check_date(
                &mut problems,
                "response_for.promulgation_date",
                &reply.promulgation_date,
            );
            for (field, value) in [
                ("response_for.code", &reply.code),
                ("response_for.document_id", &reply.document_id),
            ] {
                if value.trim().is_empty() {
                    problems.push(missing(field));
                }
            }
        }
        problems
    }
}

/// An agency code under QĐ 20/2020/QĐ-TTg: `ddd.dd.dd.Xdd`, e.g. `000.00.00.G22`,
/// `000.01.01.H08` (three groups of digits, then a capital letter and two digits).
pub fn is_organ_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 4
        && digits(parts[0], 3)
        && digits(parts[1], 2)
        && digits(parts[2], 2)
        && parts[3].len() == 3
        && parts[3].as_bytes()[0].is_ascii_uppercase()
        && digits(&parts[3][1..], 2)
}

/// A calendar date written `yyyy-mm-dd`.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).ok()
}

fn check_organ(problems: &mut Vec<FieldProblem>, field: &str, organ: &Organ) {
    if organ.organ_id.trim().is_empty() {
        problems.push(missing(&format!("{field}.organ_id")));
    } else if !is_organ_id(&organ.organ_id) {
        problems.push(bad_organ_id(&format!("{field}.organ_id"), &organ.organ_id));
    }
    if organ.name.trim().is_empty() {
        problems.push(missing(&format!("{field}.name")));
    }
}

fn check_date(problems: &mut Vec<FieldProblem>, field: &str, value: &str) {
    if value.trim().is_empty() {
        problems.push(missing(field));
    } else if parse_date(value).is_none() {
        problems.push(problem(field, "META_DATE", "META_DATE", value));
    }
}

fn missing(field: &str) -> FieldProblem {
    problem(field, "META_MISSING", "META_MISSING", "")
}

fn bad_organ_id(field: &str, value: &str) -> FieldProblem {
    problem(field, "META_ORGAN_ID", "META_ORGAN_ID", value)
}

/// A numeric code field out of its range; `key` is the catalogue's text saying which values
/// it takes (`meta.code_value.priority`…).
fn bad_code(field: &str, key: &str) -> FieldProblem {
    problem(field, "META_CODE_VALUE", key, "")
}

/// A problem whose texts are the catalogue's `key` in both languages, with `{value}` (the
/// value found) and `{field}`.
fn problem(field: &str, code: &'static str, key: &str, value: &str) -> FieldProblem {
    use kyso_core::messages::{Lang, text};
    let params = [("field", field), ("value", value)];
    FieldProblem {
        field: field.to_string(),
        code,
        message_vi: text(Lang::Vi, key, &params),
        message_en: text(Lang::En, key, &params),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> DocumentMeta {
        DocumentMeta::from_toml(
            r#"
code_number = "123"
code_notation = "QĐ-UBND"
promulgation_place = "Phủ Lý"
promulgation_date = "2026-11-20"
document_type = "1"
document_type_name = "Quyết định"
subject = "Về việc phê duyệt kế hoạch chuyển đổi số năm 2027"
priority = 1
due_date = "2026-12-01"

[from]
organ_id = "000.00.00.H35"
name = "Ủy ban nhân dân tỉnh Hà Nam"

[[to]]
organ_id = "000.01.35.H35"
name = "Sở Thông tin và Truyền thông tỉnh Hà Nam"

[signer]
competence = "TM. Ủy ban nhân dân"
position = "Chủ tịch"
full_name = "Nguyễn Văn An"
"#,
        )
        .expect("sample metadata parses")
    }

    #[test]
    fn a_complete_file_has_no_problems_and_a_document_id() {
        let meta = sample();
        assert_eq!(meta.validate(), vec![]);
        assert_eq!(meta.document_id(), "000.00.00.H35,2026/11/20,123/QĐ-UBND");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut meta = sample();
        meta.from.organ_id = "H35".into();
        meta.subject.clear();
        meta.promulgation_date = "20/11/2026".into();
        meta.priority = 7;
        let problems = meta.validate();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["from.organ_id", "subject", "promulgation_date", "priority"]
        );
        assert_eq!(problems[0].code, "META_ORGAN_ID");
        assert_eq!(problems[2].code, "META_DATE");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(DocumentMeta::from_toml("subjcet = \"typo\"").is_err());
    }

    #[test]
    fn defaults_fill_only_what_is_missing() {
        let defaults = sample().as_defaults();
        let meta = DocumentMeta {
            code_number: "9".into(),
            subject: "Khác".into(),
            promulgation_date: "2026-11-21".into(),
            ..DocumentMeta::default()
        }
        .with_defaults(&defaults);
        assert_eq!(meta.validate(), vec![]);
        assert_eq!(meta.from.organ_id, "000.00.00.H35");
        assert_eq!(meta.code_number, "9");
    }

    #[test]
    fn organ_ids() {
        for ok in ["000.00.00.G22", "000.01.01.H08"] {
            assert!(is_organ_id(ok), "{ok}");
        }
        for bad in [
            "",
            "000.00.00",
            "000.00.00.g22",
            "00.00.00.G22",
            "000.00.00.G2x",
        ] {
            assert!(!is_organ_id(bad), "{bad}");
        }
    }
}
