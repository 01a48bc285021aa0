//! The packages of the provincial dialects (docs/exchange-dialects.md): edXML with the document
//! inside, plain or zipped as the VNPT SDK zips it, and status packages; the fixtures of
//! `tests/fixtures/edxml/` read field by field, and what Kyso writes read back by Kyso and by
//! Python's `zipfile`.

use std::path::PathBuf;
use std::process::Command;

use kyso_sync::edxml::{self, StatusMessage};
use kyso_sync::files::FileStore;
use kyso_sync::package::{self, AttachmentEncoding};
use kyso_sync::{Organ, ResponseFor, SyncError};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/edxml")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_package_zipped_by_another_tool_reads_as_its_pdf() {
    let (plain, plain_files) =
        package::read(&fixture("embedded-attachment.xml"), 1 << 20).expect("the plain package");
    assert_eq!(plain_files.len(), 1);
    assert_eq!(plain_files[0].name, "bao-cao-quy-IV-2026.pdf");
    assert_eq!(plain_files[0].content_type, "application/pdf");
    assert!(plain_files[0].data.starts_with(b"%PDF-1.7"));
    assert!(plain.attachments.is_empty(), "taken out of the message");

    // The same PDF zipped by Python's zipfile (deflate, with a data descriptor).
    let (message, files) =
        package::read(&fixture("package-zip.xml"), 1 << 20).expect("the zipped package");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "bao-cao-quy-IV-2026.pdf", "the entry's name");
    assert_eq!(files[0].content_type, "application/pdf");
    assert_eq!(files[0].data, plain_files[0].data);
    assert_eq!(message.document_id, "000.02.35.H35,2026/12/02,318/STC-NS");
    assert_eq!(message.meta.from.organ_id, "000.02.35.H35");
    assert_eq!(message.meta.to[0].organ_id, "000.00.00.H35");
    assert_eq!(message.meta.priority, 3);
    assert_eq!(message.references.len(), 1);
    assert_eq!(
        message.references[0].content_id,
        "cid:4b0e2f6a-8d7c-4f3e-9a51-2c6d8e1f0b37"
    );
    assert_eq!(message.references[0].content_type, "application/zip");
    // A bound below the PDF's size stops the inflation.
    let err = package::read(&fixture("package-zip.xml"), 100).expect_err("bounded");
    assert_eq!(err.code(), "EXCHANGE_BAD_ANSWER");
}

#[test]
fn a_status_package_reads_field_by_field() {
    let s = edxml::parse_status(&fixture("status-package.xml")).expect("status package");
    assert_eq!(
        s,
        StatusMessage {
            response_for: ResponseFor {
                organ_id: "000.00.00.H35".into(),
                code: "123/QĐ-UBND".into(),
                promulgation_date: "2026-11-20".into(),
                document_id: "000.00.00.H35,2026/11/20,123/QĐ-UBND".into(),
            },
            from: Organ {
                organ_id: "000.02.35.H35".into(),
                name: "Sở Tài chính tỉnh Hà Nam".into(),
                address: Some("Số 1 đường Lê Hoàn, thành phố Phủ Lý".into()),
                email: Some("stc@hanam.gov.vn".into()),
                telephone: Some("02263852701".into()),
                ..Organ::default()
            },
            status_code: "03".into(),
            description: "Đã tiếp nhận, vào sổ văn bản đến số 1520".into(),
            timestamp: "2026/11/21 08:42:10".into(),
            staff: Some("Đỗ Minh Châu".into()),
        }
    );
    // Vietnam's time, kept in the history as UTC.
    assert_eq!(
        edxml::timestamp_to_rfc3339(&s.timestamp),
        "2026-11-21T01:42:10Z"
    );
    assert_eq!(
        edxml::timestamp_to_rfc3339("21/11/2026 08:42:10"),
        "2026-11-21T01:42:10Z"
    );
    assert_eq!(
        edxml::timestamp_to_rfc3339("2026-11-21T01:42:10Z"),
        "2026-11-21T01:42:10Z"
    );
}

#[test]
fn a_status_package_is_written_in_the_order_platforms_expect() {
    let status = StatusMessage {
        response_for: ResponseFor {
            organ_id: "000.00.00.H35".into(),
            code: "7/QĐ-UBND".into(),
            promulgation_date: "2026-11-20".into(),
            document_id: "000.00.00.H35,2026/11/20,7/QĐ-UBND".into(),
        },
        from: Organ {
            organ_id: "000.01.35.H35".into(),
            name: "Sở Thông tin và Truyền thông tỉnh Hà Nam".into(),
            ..Organ::default()
        },
        status_code: "02".into(),
        description: "Từ chối tiếp nhận: gửi nhầm đơn vị".into(),
        timestamp: edxml::package_timestamp(time::macros::datetime!(2026-11-22 01:02:03 UTC)),
        staff: Some("Đỗ Minh Châu".into()),
    };
    assert_eq!(status.timestamp, "2026/11/22 08:02:03");
    let xml = edxml::status_package_to_xml(&status);
    let at = |tag: &str| {
        xml.find(&format!("<edXML:{tag}>"))
            .unwrap_or_else(|| panic!("{tag} in {xml}"))
    };
    let order = [
        at("MessageHeader"),
        at("From"),
        at("ResponseFor"),
        at("StaffInfo"),
        at("StatusCode"),
        at("Description"),
        at("Timestamp"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{xml}");
    assert!(!xml.contains("edXMLBody"), "no body: {xml}");
    assert_eq!(edxml::parse_status(xml.as_bytes()), Ok(status));
}

/// A stored document's message, as `Store::queue` fixes it: the manifest names the file by
/// `sha256:`.
fn stored(files: &FileStore, dir: &std::path::Path, pdf: &[u8]) -> Vec<u8> {
    let path = dir.join("qd-7.pdf");
    std::fs::write(&path, pdf).expect("pdf");
    let file = files.put_file(&path).expect("stored");
    let mut message = edxml::parse(&fixture("embedded-attachment.xml")).expect("message");
    message.attachments.clear();
    message.references[0].content_id = kyso_sync::protocol::content_id(&file.sha256);
    message.references[0].attachment_name = "qd-7.pdf".into();
    edxml::to_xml(&message).into_bytes()
}

#[test]
fn kyso_builds_the_same_package_every_time_in_both_encodings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = FileStore::new(dir.path());
    let tmp = files.tmp_dir().expect("tmp");
    let pdf: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..300_000u32).map(|i| (i % 97) as u8))
        .collect();
    let message = stored(&files, dir.path(), &pdf);
    for encoding in [AttachmentEncoding::Pdf, AttachmentEncoding::Zip] {
        let first = package::build(&message, &files, &tmp, encoding, 10 << 20).expect("build");
        let second = package::build(&message, &files, &tmp, encoding, 10 << 20).expect("build");
        assert_eq!(first.sha256, second.sha256, "{encoding:?}: deterministic");
        let bytes = std::fs::read(&first.path).expect("package");
        assert_eq!(bytes.len() as u64, first.size);
        let (read, received) = package::read(&bytes, 10 << 20).expect("reads back");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].name, "qd-7.pdf");
        assert_eq!(received[0].data, pdf, "{encoding:?}");
        let reference = &read.references[0];
        assert!(reference.content_id.starts_with("cid:"), "{reference:?}");
        let expected_type = match encoding {
            AttachmentEncoding::Pdf => "application/pdf",
            AttachmentEncoding::Zip => "application/zip",
        };
        assert_eq!(reference.content_type, expected_type);
        if encoding == AttachmentEncoding::Zip {
            assert!(first.size < 200_000, "deflated: {}", first.size);
            python_unzips(&bytes, &pdf);
        }
    }
    // Over the limit: refused before anything is sent.
    let err = package::build(&message, &files, &tmp, AttachmentEncoding::Pdf, 100_000)
        .expect_err("too large");
    assert!(matches!(err, SyncError::TooLarge { .. }), "{err}");
    assert_eq!(err.code(), "DOCUMENT_TOO_LARGE");
}

/// Python's `zipfile` (an independent reader) opens the archive Kyso wrote and finds the PDF.
fn python_unzips(package: &[u8], pdf: &[u8]) {
    let message = edxml::parse(package).expect("package");
    let zip = &message.attachments[0].data;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.zip");
    std::fs::write(&path, zip).expect("zip");
    let script = "import sys, zipfile, hashlib\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  assert z.testzip() is None\n\
                  [name] = z.namelist()\n\
                  print(name, hashlib.sha256(z.read(name)).hexdigest())\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python3 zipfile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!(
        "qd-7.pdf {}\n",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(pdf))
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
