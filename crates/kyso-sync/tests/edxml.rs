//! edXML (QCVN 102:2016, docs/domain.md §4) as other implementations write it and as Kyso writes
//! it: the fixtures of `tests/fixtures/edxml/` read field by field, `to_xml`/`parse` and
//! `status_to_xml`/`parse_status` round trips, the streaming writer, and every refusal with its
//! stable code.

use std::io::Read;
use std::path::PathBuf;

use kyso_sync::edxml::{
    self, Attachment, Business, EdxmlError, Message, NAMESPACE, Reference, StatusMessage,
    TraceHeader,
};
use kyso_sync::{DocumentMeta, Organ, ResponseFor, SignerInfo};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/edxml")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixtures are UTF-8")
}

fn parse_fixture(name: &str) -> Message {
    edxml::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

/// The error `parse` gives; a panic (naming `what`) if it accepts the input.
fn refusal(what: &str, xml: impl AsRef<[u8]>) -> EdxmlError {
    match edxml::parse(xml.as_ref()) {
        Ok(m) => panic!("{what}: accepted, read as {m:#?}"),
        Err(e) => e,
    }
}

fn status_refusal(what: &str, xml: impl AsRef<[u8]>) -> EdxmlError {
    match edxml::parse_status(xml.as_ref()) {
        Ok(s) => panic!("{what}: accepted, read as {s:#?}"),
        Err(e) => e,
    }
}

/// `text` with `from` replaced by `to`, which must occur exactly `times` times (so that a
/// fixture edited under a test cannot silently stop exercising the case).
fn edit(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "{from:?} should occur {times} times"
    );
    text.replace(from, to)
}

/// `Subject` of reply.xml, as written.
const REPLY_SUBJECT: &str =
    "<edXML:Subject>Báo cáo tiến độ triển khai Kế hoạch chuyển đổi số năm 2027</edXML:Subject>";

fn organ(id: &str, name: &str) -> Organ {
    Organ {
        organ_id: id.into(),
        name: name.into(),
        ..Organ::default()
    }
}

fn is_sha256_content_id(id: &str) -> bool {
    id.strip_prefix("sha256:").is_some_and(|digits| {
        digits.len() == 64
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Deterministic bytes that do not compress to a pattern (xorshift).
fn pseudo_random(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// A reader that hands out at most `chunk` bytes per call, as a file or socket may.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A complete message with every optional field set, Vietnamese text and the characters XML
/// treats specially.
fn full_message() -> Message {
    let meta = DocumentMeta {
        from: Organ {
            organ_id: "000.00.00.H35".into(),
            name: "Ủy ban nhân dân tỉnh Hà Nam".into(),
            in_charge: Some("Chính phủ".into()),
            address: Some("Số 90 đường Trần Phú, phường Quang Trung, thành phố Phủ Lý".into()),
            email: Some("ubnd@hanam.gov.vn".into()),
            telephone: Some("0226 3852 701".into()),
            fax: Some("0226 3852 702".into()),
            website: Some("https://hanam.gov.vn/?a=1&b=<2>".into()),
        },
        to: vec![
            organ("000.01.35.H35", "Sở Thông tin và Truyền thông tỉnh Hà Nam"),
            Organ {
                email: Some("stc@hanam.gov.vn".into()),
                ..organ("000.02.35.H35", "Sở Tài chính tỉnh Hà Nam")
            },
        ],
        code_number: "123".into(),
        code_notation: "QĐ-UBND".into(),
        promulgation_place: "Phủ Lý".into(),
        promulgation_date: "2026-11-20".into(),
        document_type: "1".into(),
        document_type_name: "Quyết định".into(),
        subject: "Về việc \"phê duyệt\" Kế hoạch <chuyển đổi số> năm 2027 & 'định hướng' ]]> 2030"
            .into(),
        content: Some(
            "  Điều 1. Phê duyệt Kế hoạch.\r\nĐiều 2. Giao Sở Tài chính\tbố trí kinh phí.\n\
             Dòng cuối có CR\r giữa & ký tự đặc biệt <>\"'  \n"
                .into(),
        ),
        signer: SignerInfo {
            competence: "TM. Ủy ban nhân dân".into(),
            position: "Chủ tịch".into(),
            full_name: "Nguyễn Văn An".into(),
        },
        priority: 4,
        due_date: Some("2026-12-01".into()),
        steering_type: 2,
        response_for: Some(ResponseFor {
            organ_id: "000.01.35.H35".into(),
            code: "45/BC-STTTT".into(),
            promulgation_date: "2026-11-15".into(),
            document_id: "000.01.35.H35,2026/11/15,45/BC-STTTT".into(),
        }),
    };
    Message {
        document_id: meta.document_id(),
        meta,
        traces: vec![
            TraceHeader {
                organ_id: "000.00.00.H35".into(),
                timestamp: "2026-11-20T09:15:00+07:00".into(),
            },
            TraceHeader {
                organ_id: "000.00.00.G22".into(),
                timestamp: "20/11/2026 09:15:03".into(),
            },
        ],
        business: Business {
            doc_type: 3,
            reason: Some("Thay thế văn bản số 120/QĐ-UBND (sai sót <số liệu> & ngày)".into()),
        },
        references: vec![Reference {
            content_id: format!("sha256:{}", hex::encode(Sha256::digest(b"test"))),
            attachment_name: "123-QĐ-UBND.pdf".into(),
            content_type: "application/pdf".into(),
            description: "Quyết định số 123/QĐ-UBND (bản có chữ ký số)".into(),
        }],
        attachments: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The fixtures, field by field

#[test]
fn new_document_fixture_reads_field_by_field() {
    let m = parse_fixture("new-document.xml");
    let meta = &m.meta;

    assert_eq!(
        meta.from,
        Organ {
            organ_id: "000.00.00.H35".into(),
            name: "Văn phòng Ủy ban nhân dân tỉnh Hà Nam".into(),
            in_charge: Some("Ủy ban nhân dân tỉnh Hà Nam".into()),
            address: Some("Số 90 đường Trần Phú, phường Quang Trung, thành phố Phủ Lý".into()),
            email: Some("vanphong@hanam.gov.vn".into()),
            telephone: Some("0226 3852 701".into()),
            // `<edXML:Fax />` reads as absent.
            fax: None,
            website: Some("https://hanam.gov.vn".into()),
        }
    );
    assert_eq!(
        meta.to,
        vec![
            organ("000.01.35.H35", "Sở Thông tin và Truyền thông tỉnh Hà Nam"),
            Organ {
                in_charge: Some("Ủy ban nhân dân tỉnh Hà Nam".into()),
                email: Some("stc@hanam.gov.vn".into()),
                ..organ("000.02.35.H35", "Sở Tài chính tỉnh Hà Nam")
            },
        ]
    );
    // DocumentId comes last in this fixture: element order does not matter.
    assert_eq!(m.document_id, "000.00.00.H35,2026/11/20,123/QĐ-UBND");
    assert_eq!(m.document_id, meta.document_id());
    assert_eq!(meta.code_number, "123");
    assert_eq!(meta.code_notation, "QĐ-UBND");
    assert_eq!(meta.promulgation_place, "Phủ Lý");
    // Written 20/11/2026 (dd/MM/yyyy).
    assert_eq!(meta.promulgation_date, "2026-11-20");
    assert_eq!(meta.document_type, "1");
    assert_eq!(meta.document_type_name, "Quyết định");
    assert_eq!(
        meta.subject,
        "Về việc phê duyệt Kế hoạch chuyển đổi số năm 2027 & định hướng đến năm 2030"
    );
    assert_eq!(
        meta.content.as_deref(),
        Some(
            "Phê duyệt Kế hoạch; giao Sở Thông tin và Truyền thông chủ trì, phối hợp với Sở Tài \
             chính bố trí kinh phí <theo dự toán>."
        )
    );
    assert_eq!(
        meta.signer,
        SignerInfo {
            competence: "TM. Ủy ban nhân dân".into(),
            position: "Chủ tịch".into(),
            full_name: "Nguyễn Văn An".into(),
        }
    );
    assert_eq!(meta.due_date.as_deref(), Some("2026-12-01"));
    assert_eq!(meta.priority, 1);
    assert_eq!(meta.steering_type, 0);
    assert_eq!(meta.response_for, None);

    assert_eq!(
        m.traces,
        vec![TraceHeader {
            organ_id: "000.00.00.H35".into(),
            timestamp: "2026-11-20T09:15:00+07:00".into(),
        }]
    );
    assert_eq!(
        m.business,
        Business {
            doc_type: 0,
            reason: Some("Văn bản điện tử mới".into()),
        }
    );
    assert_eq!(
        m.references,
        vec![
            Reference {
                content_id: format!("sha256:{}", hex::encode(Sha256::digest(b"test"))),
                attachment_name: "123-QĐ-UBND.pdf".into(),
                content_type: "application/pdf".into(),
                description: "Quyết định số 123/QĐ-UBND (bản có chữ ký số)".into(),
            },
            Reference {
                content_id: format!("sha256:{}", hex::encode(Sha256::digest(b"test2"))),
                attachment_name: "phu-luc-I.pdf".into(),
                content_type: "application/pdf".into(),
                description: "Phụ lục I kèm theo Quyết định".into(),
            },
        ]
    );
    assert!(
        m.references
            .iter()
            .all(|r| is_sha256_content_id(&r.content_id))
    );
    assert!(m.attachments.is_empty());
    assert_eq!(meta.validate(), vec![]);
}

#[test]
fn reply_fixture_reads_field_by_field() {
    let m = parse_fixture("reply.xml");
    let meta = &m.meta;

    // Every optional element of From is present but empty: all read as absent.
    assert_eq!(
        meta.from,
        organ("000.01.35.H35", "Sở Thông tin và Truyền thông tỉnh Hà Nam")
    );
    assert_eq!(
        meta.to,
        vec![organ("000.00.00.H35", "Ủy ban nhân dân tỉnh Hà Nam")]
    );
    assert_eq!(m.document_id, "000.01.35.H35,2026/11/25,45/BC-STTTT");
    assert_eq!(meta.code_number, "45");
    assert_eq!(meta.code_notation, "BC-STTTT");
    assert_eq!(meta.promulgation_place, "Hà Nam");
    // Written 2026/11/25 (yyyy/MM/dd).
    assert_eq!(meta.promulgation_date, "2026-11-25");
    assert_eq!(meta.document_type, "12");
    assert_eq!(meta.document_type_name, "Báo cáo");
    assert_eq!(
        meta.subject,
        "Báo cáo tiến độ triển khai Kế hoạch chuyển đổi số năm 2027"
    );
    assert_eq!(meta.content, None);
    assert_eq!(
        meta.signer,
        SignerInfo {
            competence: "KT. Giám đốc".into(),
            position: "Phó Giám đốc".into(),
            full_name: "Lê Thị Hồng Nhung".into(),
        }
    );
    assert_eq!(meta.due_date, None);
    assert_eq!(meta.priority, 2);
    assert_eq!(meta.steering_type, 1);
    assert_eq!(
        meta.response_for,
        Some(ResponseFor {
            organ_id: "000.00.00.H35".into(),
            code: "123/QĐ-UBND".into(),
            // Written 2026/11/20.
            promulgation_date: "2026-11-20".into(),
            document_id: "000.00.00.H35,2026/11/20,123/QĐ-UBND".into(),
        })
    );
    // The reply answers the new document of the other fixture.
    assert_eq!(
        meta.response_for.as_ref().map(|r| r.document_id.as_str()),
        Some(parse_fixture("new-document.xml").document_id.as_str())
    );

    // Trace timestamps are kept as written, never rewritten as dates.
    assert_eq!(
        m.traces,
        vec![
            TraceHeader {
                organ_id: "000.01.35.H35".into(),
                timestamp: "2026/11/25 14:30:00".into(),
            },
            TraceHeader {
                organ_id: "000.00.00.H35".into(),
                timestamp: "2026/11/25 14:31:12".into(),
            },
        ]
    );
    assert_eq!(
        m.business,
        Business {
            doc_type: 0,
            reason: None,
        }
    );
    assert_eq!(
        m.references,
        vec![Reference {
            content_id: format!("sha256:{}", hex::encode(Sha256::digest(b"foo"))),
            attachment_name: "45-BC-STTTT.pdf".into(),
            content_type: "application/pdf".into(),
            description: "Báo cáo số 45/BC-STTTT".into(),
        }]
    );
    assert!(is_sha256_content_id(&m.references[0].content_id));
    assert!(m.attachments.is_empty());
    assert_eq!(meta.validate(), vec![]);
}

#[test]
fn embedded_attachment_fixture_decodes_its_pdf() {
    let m = parse_fixture("embedded-attachment.xml");
    let meta = &m.meta;

    assert_eq!(
        meta.from,
        organ("000.02.35.H35", "Sở Tài chính tỉnh Hà Nam")
    );
    assert_eq!(
        meta.to,
        vec![organ("000.00.00.H35", "Ủy ban nhân dân tỉnh Hà Nam")]
    );
    assert_eq!(m.document_id, "000.02.35.H35,2026/12/02,318/STC-NS");
    assert_eq!(meta.code_number, "318");
    assert_eq!(meta.code_notation, "STC-NS");
    assert_eq!(meta.promulgation_date, "2026-12-02");
    assert_eq!(meta.due_date.as_deref(), Some("2026-12-05"));
    assert_eq!(meta.document_type, "18");
    assert_eq!(meta.document_type_name, "Công văn");
    assert_eq!(
        meta.subject,
        "V/v bố trí kinh phí thực hiện chuyển đổi số quý IV/2026"
    );
    assert_eq!(meta.signer.full_name, "Phạm Quốc Hùng");
    assert_eq!(meta.priority, 3);
    assert_eq!(meta.steering_type, 2);
    assert_eq!(
        m.traces,
        vec![TraceHeader {
            organ_id: "000.02.35.H35".into(),
            // dd/MM/yyyy with a time: kept as written.
            timestamp: "02/12/2026 16:05:47".into(),
        }]
    );
    assert_eq!(
        m.business,
        Business {
            doc_type: 0,
            reason: Some("Gửi kèm báo cáo hỏa tốc".into()),
        }
    );
    let description = "Báo cáo kết quả chuyển đổi số quý IV/2026";
    assert_eq!(
        m.references,
        vec![Reference {
            content_id: "cid:4b0e2f6a-8d7c-4f3e-9a51-2c6d8e1f0b37".into(),
            attachment_name: "bao-cao-quy-IV-2026.pdf".into(),
            content_type: "application/pdf".into(),
            description: description.into(),
        }]
    );

    assert_eq!(m.attachments.len(), 1);
    let attachment = &m.attachments[0];
    // The attachment's own ContentId is written without the manifest's "cid:": kept as written.
    assert_eq!(
        attachment.reference,
        Reference {
            content_id: "4b0e2f6a-8d7c-4f3e-9a51-2c6d8e1f0b37".into(),
            attachment_name: "bao-cao-quy-IV-2026.pdf".into(),
            content_type: "application/pdf".into(),
            description: description.into(),
        }
    );
    // Base64 in 76-character lines, decoded whole.
    let data = &attachment.data;
    assert_eq!(data.len(), 622);
    assert!(data.starts_with(b"%PDF-1.7\n"), "{:?}", &data[..16]);
    assert!(data.ends_with(b"startxref\n439\n%%EOF\n"));
    assert_eq!(
        hex::encode(Sha256::digest(data)),
        "61b9b84ed4aa9b4676eb989142fd22c392bb57d1262af22048f460c1abccef19"
    );
    assert_eq!(meta.validate(), vec![]);
}

#[test]
fn status_fixture_reads_field_by_field() {
    let s = edxml::parse_status(&fixture("status-refused.xml")).expect("status parses");
    assert_eq!(
        s,
        StatusMessage {
            response_for: ResponseFor {
                organ_id: "000.00.00.H35".into(),
                code: "123/QĐ-UBND".into(),
                // Written 20/11/2026.
                promulgation_date: "2026-11-20".into(),
                document_id: "000.00.00.H35,2026/11/20,123/QĐ-UBND".into(),
            },
            from: Organ {
                address: Some("Số 1 đường Lê Hoàn, thành phố Phủ Lý".into()),
                email: Some("stc@hanam.gov.vn".into()),
                ..organ("000.02.35.H35", "Sở Tài chính tỉnh Hà Nam")
            },
            status_code: "02".into(),
            description: "Từ chối tiếp nhận: văn bản gửi nhầm đơn vị, đề nghị gửi Sở Thông tin \
                          và Truyền thông"
                .into(),
            timestamp: "21/11/2026 08:42:10".into(),
            staff: Some("Đỗ Minh Châu".into()),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn to_xml_then_parse_gives_back_a_full_message() {
    let m = full_message();
    let xml = edxml::to_xml(&m);
    assert_eq!(edxml::parse(xml.as_bytes()), Ok(m.clone()));

    // As the module documents it: dates go out dd/MM/yyyy, CR never appears raw, the root
    // declares the namespace, no AttachmentEncoded when there are no attachments.
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(xml.contains(&format!("<edXML xmlns=\"{NAMESPACE}\">")));
    assert!(xml.contains("<edXML:PromulgationDate>20/11/2026</edXML:PromulgationDate>"));
    assert!(xml.contains("<edXML:PromulgationDate>15/11/2026</edXML:PromulgationDate>"));
    assert!(xml.contains("<edXML:DueDate>01/12/2026</edXML:DueDate>"));
    assert!(!xml.contains('\r'));
    assert!(!xml.contains("AttachmentEncoded"));
    assert!(!xml.contains("]]>"));
    assert_eq!(m.meta.validate(), vec![]);
}

#[test]
fn text_values_round_trip_exactly() {
    let values = [
        "Ủy ban nhân dân tỉnh Hà Nam",
        "  khoảng trắng ở hai đầu  ",
        " ",
        "\t\n\r ",
        "a\r\nb",
        "dòng một\rdòng hai\r",
        "\r\n",
        "& < > \" ' &amp; &lt;",
        "<![CDATA[ không phải CDATA ]]>",
        "&#x20; chữ, không phải tham chiếu",
        "<edXML:Subject>giả</edXML:Subject>",
        "chữ Hán 漢字 và emoji 📄✍️",
        "\u{FEFF}BOM giữa\u{FEFF}",
        "tab\tgiữa  hai   khoảng",
    ];
    for value in values {
        let mut m = full_message();
        m.meta.subject = value.into();
        m.meta.from.name = value.into();
        m.meta.content = Some(value.into());
        m.meta.signer.full_name = value.into();
        m.document_id = value.into();
        m.traces[0].timestamp = value.into();
        m.business.reason = Some(value.into());
        m.references[0].description = value.into();
        let xml = edxml::to_xml(&m);
        let back = edxml::parse(xml.as_bytes())
            .unwrap_or_else(|e| panic!("{value:?} does not read back: {e}\n{xml}"));
        assert_eq!(back, m, "{value:?}");
    }
}

#[test]
fn empty_optional_fields_are_omitted_and_round_trip() {
    let m = Message {
        meta: DocumentMeta {
            from: organ("000.00.00.H35", "Ủy ban nhân dân tỉnh Hà Nam"),
            subject: "Chỉ có tiêu đề".into(),
            code_number: "1".into(),
            ..DocumentMeta::default()
        },
        document_id: "000.00.00.H35,,1/".into(),
        traces: Vec::new(),
        business: Business::default(),
        references: Vec::new(),
        attachments: Vec::new(),
    };
    let xml = edxml::to_xml(&m);
    for absent in [
        "Content",
        "DueDate",
        "ResponseFor",
        "OrganAdd",
        "Email",
        "Telephone",
        "Fax",
        "Website",
        "OrganizationInCharge",
        "BussinessDocReason",
        "edXML:To>",
        "TraceHeader>",
        "Reference",
    ] {
        assert!(!xml.contains(absent), "{absent} written:\n{xml}");
    }
    // Required leaves with no value are written empty.
    assert!(xml.contains("<edXML:CodeNotation/>"));
    assert!(xml.contains("<edXML:PromulgationDate/>"));
    assert_eq!(edxml::parse(xml.as_bytes()), Ok(m.clone()));

    // `Some("")` is not a value to write: it is omitted and reads back as `None`.
    let mut with_empty = m.clone();
    with_empty.meta.content = Some(String::new());
    with_empty.meta.due_date = Some(String::new());
    with_empty.meta.from.email = Some(String::new());
    with_empty.business.reason = Some(String::new());
    with_empty.meta.response_for = Some(ResponseFor::default());
    assert_eq!(edxml::to_xml(&with_empty), xml);
    assert_eq!(edxml::parse(xml.as_bytes()), Ok(m));
}

#[test]
fn dates_other_than_yyyy_mm_dd_are_written_and_read_as_they_are() {
    let mut m = full_message();
    m.meta.promulgation_date = "20/11/2026".into();
    m.meta.due_date = Some("cuối tháng 12".into());
    let xml = edxml::to_xml(&m);
    assert!(xml.contains("<edXML:DueDate>cuối tháng 12</edXML:DueDate>"));
    let back = edxml::parse(xml.as_bytes()).expect("parses");
    // dd/MM/yyyy in the struct is read back normalised; free text is kept.
    assert_eq!(back.meta.promulgation_date, "2026-11-20");
    assert_eq!(back.meta.due_date.as_deref(), Some("cuối tháng 12"));
    assert!(!back.meta.validate().is_empty());
}

#[test]
fn every_fixture_round_trips_through_to_xml() {
    for name in ["new-document.xml", "reply.xml", "embedded-attachment.xml"] {
        let m = parse_fixture(name);
        let xml = edxml::to_xml(&m);
        assert_eq!(edxml::parse(xml.as_bytes()), Ok(m.clone()), "{name}");
        // Writing again gives the same text: to_xml is deterministic on what parse reads.
        assert_eq!(
            edxml::to_xml(&edxml::parse(xml.as_bytes()).unwrap()),
            xml,
            "{name}"
        );
        assert_eq!(
            xml.contains("<AttachmentEncoded>"),
            !m.attachments.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn prefixes_do_not_matter() {
    let m = full_message();
    let xml = edxml::to_xml(&m);
    // Every element in the default namespace, no prefix at all.
    let unprefixed = xml.replace("edXML:", "").replace("xmlns:edXML=", "xmlns=");
    assert!(!unprefixed.contains("edXML:"));
    assert_eq!(edxml::parse(unprefixed.as_bytes()), Ok(m.clone()));
    // Another prefix bound to the same namespace.
    let other = xml
        .replace("edXML:", "ns1:")
        .replace("xmlns:edXML=", "xmlns:ns1=");
    assert_eq!(edxml::parse(other.as_bytes()), Ok(m));
}

#[test]
fn a_utf8_bom_and_crlf_line_ends_are_accepted() {
    // reply.xml is written with CRLF line ends; new-document.xml with LF.
    assert!(fixture_text("reply.xml").contains("\r\n"));
    let text = fixture_text("new-document.xml");
    assert!(!text.contains('\r'));
    let m = parse_fixture("new-document.xml");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(text.replace('\n', "\r\n").bytes());
    assert_eq!(edxml::parse(&bytes), Ok(m));
}

#[test]
fn write_message_streams_the_same_bytes_as_to_xml() {
    let pdf = {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend(pseudo_random(300 * 1024, 0x9E37_79B9_7F4A_7C15));
        pdf.extend(b"\n%%EOF\n");
        pdf
    };
    let appendix = pseudo_random(1001, 42); // 1001 % 3 == 2: base64 padding
    let empty: Vec<u8> = Vec::new();
    let reference = |name: &str, data: &[u8]| Reference {
        content_id: format!("sha256:{}", hex::encode(Sha256::digest(data))),
        attachment_name: name.into(),
        content_type: "application/pdf".into(),
        description: format!("Tệp {name} <đính kèm> & ký số"),
    };
    let references = vec![
        reference("123-QĐ-UBND.pdf", &pdf),
        reference("phu-luc.pdf", &appendix),
        reference("trống.pdf", &empty),
    ];
    let mut m = full_message();
    m.references = references.clone();
    // write_message ignores `message.attachments`: this one must not appear.
    m.attachments = vec![Attachment {
        reference: reference("khác.pdf", &b"other"[..]),
        data: b"other".to_vec(),
    }];

    let mut streamed = Vec::new();
    {
        let mut pdf_reader = Trickle {
            data: &pdf,
            chunk: 4099,
        };
        let mut appendix_reader: &[u8] = &appendix;
        let mut empty_reader: &[u8] = &empty;
        let mut attachments: Vec<(&Reference, &mut dyn Read)> = vec![
            (&references[0], &mut pdf_reader),
            (&references[1], &mut appendix_reader),
            (&references[2], &mut empty_reader),
        ];
        edxml::write_message(&m, &mut attachments, &mut streamed).expect("writes");
    }

    let mut expected = m.clone();
    expected.attachments = vec![
        Attachment {
            reference: references[0].clone(),
            data: pdf.clone(),
        },
        Attachment {
            reference: references[1].clone(),
            data: appendix.clone(),
        },
        Attachment {
            reference: references[2].clone(),
            data: Vec::new(),
        },
    ];
    let in_memory = edxml::to_xml(&expected);
    assert!(streamed.len() > 400 * 1024, "{} bytes", streamed.len());
    assert!(
        streamed == in_memory.as_bytes(),
        "write_message and to_xml differ"
    );

    let back = edxml::parse(&streamed).expect("the streamed message parses");
    assert_eq!(back, expected);
    assert_eq!(back.attachments[0].data, pdf);
    assert_eq!(
        hex::encode(Sha256::digest(&back.attachments[0].data)),
        back.references[0].content_id["sha256:".len()..]
    );

    // With no attachments given, the same document as to_xml without AttachmentEncoded.
    let mut bare = Vec::new();
    edxml::write_message(&m, &mut [], &mut bare).expect("writes");
    let mut without = m.clone();
    without.attachments.clear();
    assert!(bare == edxml::to_xml(&without).as_bytes());
}

#[test]
fn status_messages_round_trip() {
    let response_for = ResponseFor {
        organ_id: "000.00.00.H35".into(),
        code: "123/QĐ-UBND".into(),
        promulgation_date: "2026-11-20".into(),
        document_id: "000.00.00.H35,2026/11/20,123/QĐ-UBND".into(),
    };
    let from = Organ {
        in_charge: Some("Ủy ban nhân dân tỉnh Hà Nam".into()),
        ..organ("000.01.35.H35", "Sở Thông tin và Truyền thông tỉnh Hà Nam")
    };
    let cases = [
        ("01", "Đã đến", None),
        (
            "02",
            "Từ chối tiếp nhận: sai thẩm quyền & thiếu <phụ lục>; \"đề nghị\" gửi lại  ",
            Some("Trần Thị Bình"),
        ),
        ("03", "Đã tiếp nhận", Some("Văn thư")),
        ("06", "", None),
    ];
    for (code, description, staff) in cases {
        let status = StatusMessage {
            response_for: response_for.clone(),
            from: from.clone(),
            status_code: code.into(),
            description: description.into(),
            timestamp: "2026-11-21T08:42:10+07:00".into(),
            staff: staff.map(String::from),
        };
        let xml = edxml::status_to_xml(&status);
        assert!(
            xml.contains(&format!("<edXML:StatusCode>{code}</edXML:StatusCode>")),
            "{xml}"
        );
        assert!(xml.contains("<edXML:PromulgationDate>20/11/2026</edXML:PromulgationDate>"));
        assert_eq!(xml.contains("StaffInfo"), staff.is_some(), "{code}");
        assert_eq!(edxml::parse_status(xml.as_bytes()), Ok(status), "{code}");
        // A status message is not a document message, nor the other way round.
        assert_eq!(
            refusal("a status read as a document", &xml).code,
            "EDXML_MISSING"
        );
    }
    let document = edxml::to_xml(&full_message());
    assert_eq!(
        status_refusal("a document read as a status", &document).code,
        "EDXML_MISSING"
    );
}

#[test]
fn status_codes_are_checked_and_one_digit_codes_read_as_two() {
    let xml = fixture_text("status-refused.xml");
    let with_code = |code: &str| {
        edit(
            &xml,
            "<edXML:StatusCode>02</edXML:StatusCode>",
            &format!("<edXML:StatusCode>{code}</edXML:StatusCode>"),
            1,
        )
    };
    for (written, read) in [("6", "06"), ("16", "16"), (" 01 ", "01")] {
        let s = edxml::parse_status(with_code(written).as_bytes()).expect(written);
        assert_eq!(s.status_code, read);
    }
    for bad in ["00", "17", "99", "1a", "001", "-1"] {
        assert_eq!(
            status_refusal(bad, with_code(bad)).code,
            "EDXML_VALUE",
            "{bad}"
        );
    }
    assert_eq!(
        status_refusal("empty StatusCode", with_code("")).code,
        "EDXML_MISSING"
    );
    let no_document_id = edit(
        &xml,
        "<edXML:DocumentId>000.00.00.H35,2026/11/20,123/QĐ-UBND</edXML:DocumentId>",
        "",
        1,
    );
    assert_eq!(
        status_refusal("no ResponseFor/DocumentId", no_document_id).code,
        "EDXML_MISSING"
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn wrong_or_missing_namespaces_are_refused() {
    let xml = fixture_text("reply.xml");
    let root = format!("<edXML xmlns=\"{NAMESPACE}\">");
    let envelope = format!("xmlns:edXML=\"{NAMESPACE}\"");

    let cases = [
        (
            "root in the 2015 namespace",
            edit(
                &xml,
                &root,
                "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2015\">",
                1,
            ),
        ),
        ("root in no namespace", edit(&xml, &root, "<edXML>", 1)),
        (
            "envelope prefix bound elsewhere",
            edit(
                &xml,
                &envelope,
                "xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016/\"",
                1,
            ),
        ),
        (
            "one element in another namespace",
            edit(
                &xml,
                "<edXML:Subject>",
                "<edXML:Subject xmlns:edXML=\"urn:other\">",
                1,
            ),
        ),
        (
            "an undeclared prefix",
            edit(
                &xml,
                REPLY_SUBJECT,
                "<edXML:Subject>Báo cáo</edXML:Subject><x:Extra>?</x:Extra>",
                1,
            ),
        ),
        (
            "an empty prefix binding",
            edit(&xml, "<edXML:Subject>", "<edXML:Subject xmlns:x=\"\">", 1),
        ),
    ];
    for (what, bad) in cases {
        let e = refusal(what, &bad);
        assert_eq!(e.code, "EDXML_NAMESPACE", "{what}: {e}");
    }

    // An unknown element in another namespace is ignored; a known one is not.
    let unknown = edit(
        &xml,
        "<edXML:Subject>",
        "<Extra xmlns=\"urn:other\"/><edXML:Subject>",
        1,
    );
    assert_eq!(
        edxml::parse(unknown.as_bytes()),
        Ok(parse_fixture("reply.xml"))
    );
}

#[test]
fn missing_wrappers_and_required_values_are_refused() {
    let xml = fixture_text("new-document.xml");
    let rename = |name: &str| {
        edit(
            &edit(
                &xml,
                &format!("<edXML:{name}>"),
                &format!("<edXML:{name}X>"),
                1,
            ),
            &format!("</edXML:{name}>"),
            &format!("</edXML:{name}X>"),
            1,
        )
    };
    for wrapper in ["edXMLHeader", "MessageHeader", "edXMLBody", "From", "Code"] {
        let e = refusal(wrapper, rename(wrapper));
        assert_eq!(e.code, "EDXML_MISSING", "{wrapper}: {e}");
        assert!(e.message.contains(wrapper), "{wrapper}: {e}");
    }
    // Wrappers with attributes in the fixture.
    let no_trace_list = edit(
        &edit(&xml, "<edXML:TraceHeaderList id=", "<edXML:Trace id=", 1),
        "</edXML:TraceHeaderList>",
        "</edXML:Trace>",
        1,
    );
    assert_eq!(
        refusal("TraceHeaderList", no_trace_list).code,
        "EDXML_MISSING"
    );
    let no_manifest = edit(
        &edit(&xml, "<edXML:edXMLManifest ", "<edXML:Manifest ", 1),
        "</edXML:edXMLManifest>",
        "</edXML:Manifest>",
        1,
    );
    assert_eq!(refusal("edXMLManifest", no_manifest).code, "EDXML_MISSING");
    let no_envelope = edit(
        &edit(&xml, "<edXML:edXMLEnvelope ", "<edXML:Envelope ", 1),
        "</edXML:edXMLEnvelope>",
        "</edXML:Envelope>",
        1,
    );
    assert_eq!(refusal("edXMLEnvelope", no_envelope).code, "EDXML_MISSING");
    let wrong_root = edit(
        &edit(&xml, "<edXML xmlns:xsi", "<edXMLMessage xmlns:xsi", 1),
        "</edXML>",
        "</edXMLMessage>",
        1,
    );
    assert_eq!(refusal("root", wrong_root).code, "EDXML_MISSING");

    // Required values present but empty.
    for (what, from, to) in [
        (
            "Subject",
            concat!(
                "<edXML:Subject>Về việc phê duyệt Kế hoạch chuyển đổi số năm 2027 &amp; ",
                "định hướng đến năm 2030</edXML:Subject>"
            ),
            "<edXML:Subject>  </edXML:Subject>",
        ),
        (
            "DocumentId",
            "<edXML:DocumentId>000.00.00.H35,2026/11/20,123/QĐ-UBND</edXML:DocumentId>",
            "<edXML:DocumentId/>",
        ),
        (
            "From/OrganId",
            "<edXML:OrganId>000.00.00.H35</edXML:OrganId>\n          <edXML:OrganizationInCharge>",
            "<edXML:OrganizationInCharge>",
        ),
    ] {
        let e = refusal(what, edit(&xml, from, to, 1));
        assert_eq!(e.code, "EDXML_MISSING", "{what}: {e}");
    }
}

#[test]
fn doctype_and_external_entities_are_refused() {
    let xml = fixture_text("reply.xml");
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    let with_doctype = |doctype: &str, subject: &str| {
        let body = edit(
            &xml,
            REPLY_SUBJECT,
            &format!("<edXML:Subject>{subject}</edXML:Subject>"),
            1,
        );
        edit(&body, decl, &format!("{decl}{doctype}\n"), 1)
    };
    let cases = [
        (
            "XXE",
            with_doctype(
                "<!DOCTYPE edXML [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
                "&xxe;",
            ),
        ),
        (
            "parameter entity",
            with_doctype(
                "<!DOCTYPE edXML [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/evil.dtd\"> %p;]>",
                "x",
            ),
        ),
        (
            "billion laughs",
            with_doctype(
                concat!(
                    "<!DOCTYPE edXML [<!ENTITY a \"aaaaaaaaaa\">",
                    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                ),
                "&b;",
            ),
        ),
        (
            "external DTD only",
            with_doctype("<!DOCTYPE edXML SYSTEM \"edxml.dtd\">", "x"),
        ),
    ];
    for (what, bad) in cases {
        let e = refusal(what, &bad);
        assert_eq!(e.code, "EDXML_SYNTAX", "{what}: {e}");
        assert!(e.message.contains("DOCTYPE"), "{what}: {e}");
        let s = status_refusal(what, &bad);
        assert_eq!(s.code, "EDXML_SYNTAX", "{what}: {s}");
    }

    // Without a DOCTYPE an entity other than XML's five is refused too.
    let undeclared = edit(
        &xml,
        "<edXML:Subject>Báo cáo",
        "<edXML:Subject>&xxe; &nbsp; Báo cáo",
        1,
    );
    let e = refusal("undeclared entity", undeclared);
    assert_eq!(e.code, "EDXML_SYNTAX");
    assert!(e.message.contains("xxe"), "{e}");
    // The five predefined entities and character references are fine.
    let predefined = edit(
        &xml,
        "<edXML:Subject>Báo cáo",
        "<edXML:Subject>&amp;&lt;&gt;&quot;&apos;&#xE1;&#225; Báo cáo",
        1,
    );
    let m = edxml::parse(predefined.as_bytes()).expect("predefined entities");
    assert!(
        m.meta.subject.starts_with("&<>\"'áá Báo cáo"),
        "{}",
        m.meta.subject
    );
}

#[test]
fn characters_xml_forbids_are_refused() {
    let xml = fixture_text("reply.xml");
    for (what, from, to) in [
        ("a raw C0 control", "Báo cáo tiến", "Báo cáo\u{1} tiến"),
        ("a raw U+FFFF", "Báo cáo tiến", "Báo cáo\u{FFFF} tiến"),
        ("&#1;", "Báo cáo tiến", "Báo cáo&#1; tiến"),
        ("&#0;", "Báo cáo tiến", "Báo cáo&#0; tiến"),
        ("&#xD800;", "Báo cáo tiến", "Báo cáo&#xD800; tiến"),
        ("&#x110000;", "Báo cáo tiến", "Báo cáo&#x110000; tiến"),
    ] {
        let e = refusal(what, edit(&xml, from, to, 1));
        assert_eq!(e.code, "EDXML_SYNTAX", "{what}: {e}");
    }
}

#[test]
fn characters_xml_cannot_carry_are_written_as_replacement_characters() {
    // The module documentation: C0 controls other than tab and newline (and CR, written as a
    // reference) cannot be carried by XML 1.0 and are written as U+FFFD, so they do not
    // round-trip; the rest of the value does.
    let mut m = full_message();
    m.meta.subject = "Tiêu đề\u{1}có\u{1F}ký tự điều khiển\u{FFFE}".into();
    let xml = edxml::to_xml(&m);
    let back = edxml::parse(xml.as_bytes()).expect("the output is well-formed");
    assert_eq!(
        back.meta.subject,
        "Tiêu đề\u{FFFD}có\u{FFFD}ký tự điều khiển\u{FFFD}"
    );
}

#[test]
fn nesting_deeper_than_64_is_refused() {
    let xml = fixture_text("reply.xml");
    // MessageHeader is the fourth level (edXML, edXMLEnvelope, edXMLHeader, MessageHeader):
    // n unknown elements nested inside it reach level 4 + n.
    let nested = |n: usize| {
        let inner = format!(
            "{}{}",
            "<edXML:Extra>".repeat(n),
            "</edXML:Extra>".repeat(n)
        );
        edit(
            &xml,
            "<edXML:SteeringType>",
            &format!("{inner}<edXML:SteeringType>"),
            1,
        )
    };
    assert_eq!(
        edxml::parse(nested(60).as_bytes()),
        Ok(parse_fixture("reply.xml")),
        "64 levels are allowed"
    );
    let e = refusal("65 levels", nested(61));
    assert_eq!(e.code, "EDXML_SYNTAX");
    assert!(e.message.contains("deeper than 64"), "{e}");
    // A very deep document is refused without exhausting the stack.
    let e = refusal("100,000 levels", nested(100_000));
    assert_eq!(e.code, "EDXML_SYNTAX");
    let deep_status = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert_eq!(
        status_refusal("100,000 levels", deep_status).code,
        "EDXML_SYNTAX"
    );
}

#[test]
fn invalid_base64_in_an_attachment_is_refused() {
    let xml = fixture_text("embedded-attachment.xml");
    let first_line = "JVBERi0xLjcKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4K";
    for (what, bad) in [
        ("a character outside the alphabet", "JVBERi0x!jcKJeLjz9MK"),
        ("URL-safe alphabet", "JVBERi0x_jcKJeLjz9MK"),
        ("padding in the middle", "JVBERi0xLj==JeLjz9MK"),
    ] {
        let e = refusal(what, edit(&xml, &first_line[..20], bad, 1));
        assert_eq!(e.code, "EDXML_BASE64", "{what}: {e}");
        assert!(e.message.contains("bao-cao-quy-IV-2026.pdf"), "{e}");
    }
    // One character too few leaves a dangling 6 bits.
    let e = refusal(
        "a length of 4n + 1",
        edit(
            &xml,
            "YWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDM5CiUlRU9GCg==",
            "YWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDM5CiUlRU9GC",
            1,
        ),
    );
    assert_eq!(e.code, "EDXML_BASE64", "{e}");

    // Lenient where the module says so: missing padding is accepted.
    let unpadded = edit(&xml, "RU9GCg==", "RU9GCg", 1);
    assert_eq!(
        edxml::parse(unpadded.as_bytes()),
        Ok(parse_fixture("embedded-attachment.xml"))
    );
    // An Attachment without ContentTransferEncoded is missing its data.
    let no_data = xml.replace("ContentTransferEncoded", "Data");
    assert_eq!(
        refusal("no ContentTransferEncoded", no_data).code,
        "EDXML_MISSING"
    );
}

#[test]
fn numeric_codes_out_of_range_are_refused() {
    let xml = fixture_text("reply.xml");
    let priority = "<edXML:Priority>2</edXML:Priority>";
    let steering = "<edXML:SteeringType>1</edXML:SteeringType>";
    let business = "<edXML:BussinessDocType>0</edXML:BussinessDocType>";
    for (what, from, to) in [
        ("Priority 5", priority, "<edXML:Priority>5</edXML:Priority>"),
        (
            "Priority 256",
            priority,
            "<edXML:Priority>256</edXML:Priority>",
        ),
        (
            "Priority -1",
            priority,
            "<edXML:Priority>-1</edXML:Priority>",
        ),
        (
            "Priority khẩn",
            priority,
            "<edXML:Priority>khẩn</edXML:Priority>",
        ),
        (
            "Priority 1.0",
            priority,
            "<edXML:Priority>1.0</edXML:Priority>",
        ),
        (
            "Priority 0002",
            priority,
            "<edXML:Priority>0002</edXML:Priority>",
        ),
        (
            "SteeringType 3",
            steering,
            "<edXML:SteeringType>3</edXML:SteeringType>",
        ),
        (
            "BussinessDocType 4",
            business,
            "<edXML:BussinessDocType>4</edXML:BussinessDocType>",
        ),
    ] {
        let e = refusal(what, edit(&xml, from, to, 1));
        assert_eq!(e.code, "EDXML_VALUE", "{what}: {e}");
    }
    // Accepted: the largest values, white space around a value, leading zeros, and an empty
    // or absent code (0).
    for (from, to, read) in [
        (priority, "<edXML:Priority>4</edXML:Priority>", 4),
        (priority, "<edXML:Priority> 3\n</edXML:Priority>", 3),
        (priority, "<edXML:Priority>003</edXML:Priority>", 3),
        (priority, "<edXML:Priority/>", 0),
        (priority, "", 0),
    ] {
        let m = edxml::parse(edit(&xml, from, to, 1).as_bytes()).expect(to);
        assert_eq!(m.meta.priority, read, "{to}");
    }
    let m = edxml::parse(
        edit(
            &xml,
            steering,
            "<edXML:SteeringType>2</edXML:SteeringType>",
            1,
        )
        .as_bytes(),
    )
    .expect("SteeringType 2");
    assert_eq!(m.meta.steering_type, 2);
    let m = edxml::parse(
        edit(
            &xml,
            business,
            "<edXML:BussinessDocType>3</edXML:BussinessDocType>",
            1,
        )
        .as_bytes(),
    )
    .expect("BussinessDocType 3");
    assert_eq!(m.business.doc_type, 3);
}

#[test]
fn truncated_messages_are_refused_wherever_they_are_cut() {
    for name in ["new-document.xml", "reply.xml", "embedded-attachment.xml"] {
        let bytes = fixture(name);
        let end = fixture_text(name).rfind("</edXML>").unwrap() + "</edXML>".len();
        for cut in 0..end {
            let e = refusal(&format!("{name} cut at {cut}"), &bytes[..cut]);
            assert_eq!(e.code, "EDXML_SYNTAX", "{name} cut at {cut}: {e}");
        }
        // Cut after the root's end tag: complete.
        assert_eq!(edxml::parse(&bytes[..end]), Ok(parse_fixture(name)));
    }
    let status = fixture("status-refused.xml");
    for cut in [0, 1, 40, status.len() / 2, status.len() - 4] {
        assert_eq!(
            status_refusal(&format!("status cut at {cut}"), &status[..cut]).code,
            "EDXML_SYNTAX"
        );
    }
}

#[test]
fn malformed_xml_is_refused() {
    let xml = fixture_text("reply.xml");
    for (what, bad) in [
        (
            "mismatched end tag",
            edit(&xml, "</edXML:Subject>", "</edXML:Subjet>", 1),
        ),
        (
            "a second root",
            format!("{xml}\n<edXML xmlns=\"{NAMESPACE}\"/>"),
        ),
        ("text after the root", format!("{xml}\nrác")),
        ("text before the root", format!("rác{xml}")),
        (
            "an unquoted attribute",
            edit(
                &xml,
                "<edXML:edXMLManifest version=\"1.0\">",
                "<edXML:edXMLManifest version=1.0>",
                1,
            ),
        ),
        (
            "an encoding other than UTF-8",
            edit(&xml, "encoding=\"UTF-8\"", "encoding=\"windows-1258\"", 1),
        ),
        (
            "no root element",
            "<?xml version=\"1.0\"?>\n<!-- -->\n".to_string(),
        ),
        ("nothing", String::new()),
    ] {
        let e = refusal(what, &bad);
        assert_eq!(e.code, "EDXML_SYNTAX", "{what}: {e}");
    }
}

#[test]
fn bytes_that_are_not_utf8_are_refused() {
    let xml = fixture_text("reply.xml");
    // The same message in UTF-16 (with its byte order mark), as a Windows tool may save it.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    // One Latin-1 byte where UTF-8 has two (the "á" of "Báo cáo").
    let latin1 = {
        let mut bytes = xml.clone().into_bytes();
        let at = xml.find("Báo cáo tiến").unwrap() + 1;
        bytes.splice(at..at + 2, [0xE1]);
        bytes
    };
    let garbage: Vec<u8> = pseudo_random(4096, 7)
        .into_iter()
        .map(|b| b | 0x80)
        .collect();
    let overlong =
        b"<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">\xC0\xBC</edXML>".to_vec();
    for (what, bad) in [
        ("UTF-16", utf16),
        ("Latin-1", latin1),
        ("garbage", garbage),
        ("overlong", overlong),
    ] {
        let e = refusal(what, &bad);
        assert_eq!(e.code, "EDXML_SYNTAX", "{what}: {e}");
        assert!(e.message.contains("not UTF-8"), "{what}: {e}");
        assert_eq!(status_refusal(what, &bad).code, "EDXML_SYNTAX");
    }
}

#[test]
fn error_codes_and_messages_are_stable_and_short() {
    // The message names the element and is bounded even when the input is huge.
    let long_name = "X".repeat(10_000);
    let bad = format!("<{long_name} xmlns=\"{NAMESPACE}\"/>");
    let e = refusal("long root name", bad);
    assert_eq!(e.code, "EDXML_MISSING");
    assert!(e.message.len() < 300, "{} bytes", e.message.len());
    assert!(e.to_string().starts_with("edXML: "), "{e}");
}
