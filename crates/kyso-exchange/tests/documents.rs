//! Sending documents: idempotency, missing attachments, signature verification, statuses
//! (docs/exchange-api.md §3, §4).

mod common;

use common::{
    Server, assert_error, bytes, config_with_anchor, json, message, signed_pdf, unsigned_pdf,
};

const TO: &str = "000.01.35.H35";

#[test]
fn the_same_key_gives_the_same_receipt_and_one_document() {
    let s = Server::start(None);
    let token = s.token();
    let sha = s.upload(&token, &bytes(5000, 9));
    let xml = message(&[TO], &[("phu-luc.bin", &sha)], "1");
    let key = "0b5e1c52-4c1f-4a57-9f7e-3f1e2a6f0a01";

    let mut first = s.post_document(&token, key, &xml).expect("POST");
    assert_eq!(first.status(), 201);
    let receipt = json(&mut first);
    assert!(
        receipt["receipt_id"]
            .as_str()
            .is_some_and(|r| r.starts_with('R'))
    );
    assert_eq!(receipt["idempotency_key"], key);
    assert_eq!(receipt["document_id"], "000.00.00.H35,2026/11/20,1/QĐ-UBND");
    assert_eq!(receipt["attachments"][0]["name"], "phu-luc.bin");
    assert_eq!(receipt["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(receipt["attachments"][0]["size"], 5000);
    // No PDF to verify: arrived.
    assert_eq!(receipt["status"]["code"], "01");
    assert_eq!(receipt["status"]["description"], "Đã đến");

    let mut again = s.post_document(&token, key, &xml).expect("POST again");
    assert_eq!(again.status(), 200);
    assert_eq!(json(&mut again), receipt);

    let docs = s.documents_json();
    assert_eq!(docs.as_array().map(Vec::len), Some(1), "{docs:#}");
    assert_eq!(docs[0]["idempotency_key"], key);
    assert_eq!(docs[0]["receipt_id"], receipt["receipt_id"]);
    assert_eq!(docs[0]["attachments"][0]["sha256"], sha.as_str());

    // The same key with another message.
    let other = message(&[TO], &[("phu-luc.bin", &sha)], "2");
    let mut r = s.post_document(&token, key, &other).expect("POST other");
    assert_error(&mut r, 422, "idempotency_conflict");
    assert_eq!(s.documents_json().as_array().map(Vec::len), Some(1));

    // No key at all.
    let mut r = s
        .agent
        .post(s.url("/api/v1/documents"))
        .header("Authorization", format!("Bearer {token}"))
        .send(xml.as_bytes())
        .expect("POST");
    assert_error(&mut r, 400, "bad_request");

    // Statuses: 01, then what the receiving side adds.
    let receipt_id = receipt["receipt_id"].as_str().expect("id");
    s.command(&[
        "set-status",
        receipt_id,
        "03",
        "Đã tiếp nhận",
        "--staff",
        "Văn thư",
    ]);
    let mut r = s.get(&token, &format!("/api/v1/documents/{receipt_id}/status"));
    assert_eq!(r.status(), 200);
    let h = json(&mut r);
    assert_eq!(h["receipt_id"], receipt_id);
    let codes: Vec<&str> = h["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(codes, ["01", "03"]);
    assert_eq!(h["history"][1]["staff"], "Văn thư");
    // A replay still gives the first receipt.
    let mut again = s.post_document(&token, key, &xml).expect("POST again");
    assert_eq!(json(&mut again), receipt);
    let mut r = s.get(&token, "/api/v1/documents/Rnothing/status");
    assert_error(&mut r, 404, "not_found");
}

#[test]
fn missing_attachments_and_bad_messages() {
    let s = Server::start(None);
    let token = s.token();
    let data = bytes(10_000, 5);
    let sha = common::sha256(&data);
    let xml = message(&[TO], &[("qd.pdf", &sha)], "3");
    let key = "6f1a2b3c-0000-4000-8000-000000000003";

    let mut r = s.post_document(&token, key, &xml).expect("POST");
    let v = assert_error(&mut r, 409, "attachment_missing");
    assert!(v["message"].as_str().unwrap_or("").contains(&sha), "{v}");
    // Half uploaded: still missing.
    s.patch(&token, &sha, 0, 10_000, &data[..5000])
        .expect("PATCH");
    let mut r = s.post_document(&token, key, &xml).expect("POST");
    assert_error(&mut r, 409, "attachment_missing");
    assert_eq!(s.documents_json().as_array().map(Vec::len), Some(0));

    let mut r = s
        .post_document(&token, "k-garbage", "this is not XML at all")
        .expect("POST");
    assert_error(&mut r, 422, "invalid_edxml");
    let bad_ref = message(&[TO], &[("qd.pdf", "not-a-sha")], "4");
    let mut r = s.post_document(&token, "k-badref", &bad_ref).expect("POST");
    assert_error(&mut r, 422, "invalid_edxml");

    // A recipient that is no agency code would be an inbox nobody reads: refused now.
    s.patch(&token, &sha, 5000, 10_000, &data[5000..])
        .expect("PATCH the rest");
    for bad_to in ["H35", "000.00.00.h35"] {
        let xml = message(&[bad_to], &[("qd.pdf", &sha)], "5");
        let mut r = s
            .post_document(&token, &format!("k-to-{bad_to}"), &xml)
            .expect("POST");
        let v = assert_error(&mut r, 422, "invalid_edxml");
        assert!(v["message"].as_str().unwrap_or("").contains(bad_to), "{v}");
    }
    // A client speaks for its own organ only: the same message "From" another agency is
    // refused, whoever it is addressed to.
    let spoofed = message(&[TO], &[("qd.pdf", &sha)], "6").replace(
        "<edXML:OrganId>000.00.00.H35</edXML:OrganId>",
        "<edXML:OrganId>000.00.00.G22</edXML:OrganId>",
    );
    assert!(spoofed.contains("000.00.00.G22"), "the sender was replaced");
    let mut r = s.post_document(&token, "k-spoof", &spoofed).expect("POST");
    assert_error(&mut r, 403, "sender_mismatch");
    assert_eq!(s.documents_json().as_array().map(Vec::len), Some(0));
}

#[test]
fn a_kyso_signed_pdf_arrives_and_an_unsigned_one_is_refused() {
    let s = Server::start(Some(&config_with_anchor("")));
    let work = tempfile::tempdir().expect("tempdir");
    let token = s.token();

    let signed = signed_pdf(work.path(), "qd-123");
    let sha = s.upload(&token, &signed);
    let xml = message(&[TO], &[("qd-123.pdf", &sha)], "123");
    let mut r = s.post_document(&token, "k-signed", &xml).expect("POST");
    assert_eq!(r.status(), 201);
    let receipt = json(&mut r);
    assert_eq!(receipt["status"]["code"], "01", "{receipt:#}");
    assert_eq!(receipt["status"]["description"], "Đã đến");

    let unsigned = unsigned_pdf("chua-ky");
    let sha = s.upload(&token, &unsigned);
    let xml = message(&[TO], &[("chua-ky.pdf", &sha)], "124");
    let mut r = s.post_document(&token, "k-unsigned", &xml).expect("POST");
    assert_eq!(r.status(), 201);
    let receipt = json(&mut r);
    assert_eq!(receipt["status"]["code"], "02", "{receipt:#}");
    let why = receipt["status"]["description"]
        .as_str()
        .expect("description");
    assert!(
        why.contains("chua-ky.pdf") && why.contains("no signature"),
        "{why}"
    );

    // Altered after signing: a byte of the signed revision changed.
    let mut altered = signed.clone();
    let at = altered
        .windows(7)
        .position(|w| w == b"qd-123)")
        .expect("page text");
    altered[at] = b'Q';
    let sha = s.upload(&token, &altered);
    let xml = message(&[TO], &[("qd-123.pdf", &sha)], "125");
    let mut r = s.post_document(&token, "k-altered", &xml).expect("POST");
    let receipt = json(&mut r);
    assert_eq!(receipt["status"]["code"], "02", "{receipt:#}");
    let why = receipt["status"]["description"]
        .as_str()
        .expect("description");
    assert!(
        why.contains("invalid signature") && why.contains("qd-123.pdf"),
        "{why}"
    );

    // Only the document that arrived is in the recipient's inbox.
    let docs = s.documents_json();
    let codes: Vec<&str> = docs
        .as_array()
        .expect("docs")
        .iter()
        .filter_map(|d| d["statuses"][0]["code"].as_str())
        .collect();
    assert_eq!(codes, ["01", "02", "02"]);
}

#[test]
fn a_signature_from_an_untrusted_root_is_refused() {
    // No trust anchors configured.
    let s = Server::start(None);
    let work = tempfile::tempdir().expect("tempdir");
    let token = s.token();
    let sha = s.upload(&token, &signed_pdf(work.path(), "untrusted"));
    let xml = message(&[TO], &[("qd.pdf", &sha)], "200");
    let mut r = s.post_document(&token, "k-untrusted", &xml).expect("POST");
    assert_eq!(r.status(), 201);
    let receipt = json(&mut r);
    assert_eq!(receipt["status"]["code"], "02", "{receipt:#}");
    let why = receipt["status"]["description"]
        .as_str()
        .expect("description");
    assert!(
        why.contains("CHAIN_UNTRUSTED") && why.contains("qd.pdf"),
        "{why}"
    );
}
