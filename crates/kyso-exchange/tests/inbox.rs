//! Inboxes: documents put there by `send-to` and documents addressed to the organ
//! (docs/exchange-api.md §5).

mod common;

use common::{Server, assert_error, bytes, json, message, sha256, unsigned_pdf};

const CLIENTS: &str = r#"
[[clients]]
client_id = "ubnd"
client_secret = "s1"
organ_id = "000.00.00.H35"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam"

[[clients]]
client_id = "sotttt"
client_secret = "s2"
organ_id = "000.01.35.H35"
organ_name = "Sở Thông tin và Truyền thông"
"#;

#[test]
fn send_to_puts_a_document_in_the_inbox() {
    let s = Server::start(Some(CLIENTS));
    let work = tempfile::tempdir().expect("tempdir");
    let pdf = work.path().join("du-thao.pdf");
    let data = unsigned_pdf("du thao");
    std::fs::write(&pdf, &data).expect("write");
    let out = s.command(&[
        "send-to",
        "000.00.00.H35",
        pdf.to_str().expect("path"),
        "--subject",
        "Dự thảo cần ký",
    ]);
    let inbox_id = out.trim().to_string();
    assert!(inbox_id.starts_with('I'), "{out}");

    let token = s.token_for("ubnd", "s1");
    let mut r = s.get(&token, "/api/v1/inbox");
    assert_eq!(r.status(), 200);
    let list = json(&mut r);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list:#}");
    assert_eq!(items[0]["inbox_id"], inbox_id.as_str());
    assert_eq!(items[0]["subject"], "Dự thảo cần ký");
    assert_eq!(items[0]["from_organ_id"], "000.00.00.G22");
    assert_eq!(items[0]["attachments"][0]["name"], "du-thao.pdf");
    assert_eq!(items[0]["attachments"][0]["sha256"], sha256(&data).as_str());
    assert_eq!(items[0]["attachments"][0]["size"], data.len());

    let mut r = s.get(&token, &format!("/api/v1/inbox/{inbox_id}/edxml"));
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/xml"))
    );
    let xml = r.body_mut().read_to_vec().expect("edxml");
    let m = kyso_sync::edxml::parse(&xml).expect("the edXML parses");
    assert_eq!(m.meta.subject, "Dự thảo cần ký");
    assert_eq!(m.meta.to[0].organ_id, "000.00.00.H35");
    assert_eq!(
        m.references[0].content_id,
        format!("sha256:{}", sha256(&data))
    );

    let mut r = s.get(&token, &format!("/api/v1/blobs/{}", sha256(&data)));
    assert_eq!(r.status(), 200);
    assert_eq!(r.body_mut().read_to_vec().expect("blob"), data);

    // Another organ sees neither the entry nor its blob.
    let other = s.token_for("sotttt", "s2");
    let mut r = s.get(&other, "/api/v1/inbox");
    assert_eq!(json(&mut r)["items"], serde_json::json!([]));
    let mut r = s.get(&other, &format!("/api/v1/inbox/{inbox_id}/edxml"));
    assert_error(&mut r, 404, "not_found");
    let mut r = s.get(&other, &format!("/api/v1/blobs/{}", sha256(&data)));
    assert_error(&mut r, 404, "not_found");
}

#[test]
fn a_document_that_arrived_is_in_the_recipients_inbox() {
    let s = Server::start(Some(CLIENTS));
    let sender = s.token_for("ubnd", "s1");
    let data = bytes(3000, 8);
    let sha = s.upload(&sender, &data);
    let xml = message(&["000.01.35.H35"], &[("phu-luc.bin", &sha)], "77");
    let mut r = s.post_document(&sender, "k-77", &xml).expect("POST");
    assert_eq!(r.status(), 201);
    assert_eq!(json(&mut r)["status"]["code"], "01");

    let recipient = s.token_for("sotttt", "s2");
    let mut r = s.get(&recipient, "/api/v1/inbox");
    let list = json(&mut r);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list:#}");
    assert_eq!(
        items[0]["document_id"],
        "000.00.00.H35,2026/11/20,77/QĐ-UBND"
    );
    assert_eq!(items[0]["from_organ_id"], "000.00.00.H35");
    let id = items[0]["inbox_id"].as_str().expect("id");
    let mut r = s.get(&recipient, &format!("/api/v1/inbox/{id}/edxml"));
    assert_eq!(r.body_mut().read_to_string().expect("xml"), xml);
    // The recipient and the sender may download the attachment.
    let mut r = s.get(&recipient, &format!("/api/v1/blobs/{sha}"));
    assert_eq!(r.body_mut().read_to_vec().expect("blob"), data);
    assert_eq!(
        s.get(&sender, &format!("/api/v1/blobs/{sha}")).status(),
        200
    );
    // The sender's own inbox stays empty; the recipient cannot read the sender's statuses.
    let mut r = s.get(&sender, "/api/v1/inbox");
    assert_eq!(json(&mut r)["items"], serde_json::json!([]));
}

/// `POST /api/v1/inbox/{inbox_id}/status`: the receiving organ's status reaches the sender's
/// history once per key; a key reused for another status, a 02 without its reason, another
/// organ's entry are refused.
#[test]
fn a_status_given_to_an_inbox_document_reaches_its_sender_once() {
    let s = Server::start(Some(CLIENTS));
    let office = s.token_for("ubnd", "s1");
    let blob = s.upload(&office, &unsigned_pdf("x"));
    let xml = message(&["000.01.35.H35"], &[("a.bin", &blob)], "41");
    let mut r = s.post_document(&office, "k-41", &xml).expect("POST");
    assert_eq!(r.status(), 201);
    let receipt_id = json(&mut r)["receipt_id"].as_str().expect("id").to_string();

    let dept = s.token_for("sotttt", "s2");
    let mut r = s.get(&dept, "/api/v1/inbox");
    let inbox_id = json(&mut r)["items"][0]["inbox_id"]
        .as_str()
        .expect("inbox id")
        .to_string();
    let post = |token: &str, key: &str, body: serde_json::Value| {
        s.agent
            .post(s.url(&format!("/api/v1/inbox/{inbox_id}/status")))
            .header("Authorization", format!("Bearer {token}"))
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("POST status")
    };
    let registered = serde_json::json!({"code": "03", "description": "Đã tiếp nhận",
        "timestamp": "2026-11-22T02:00:00Z", "staff": "Đỗ Minh Châu"});
    let mut r = post(&dept, "s-1", registered.clone());
    assert_eq!(r.status(), 201);
    let first = json(&mut r);
    assert_eq!(first["status"]["code"], "03");
    let mut r = post(&dept, "s-1", registered.clone());
    assert_eq!(r.status(), 200, "a retry");
    assert_eq!(json(&mut r), first, "the same answer");
    let mut r = post(
        &dept,
        "s-1",
        serde_json::json!({"code": "05", "description": "x", "timestamp": ""}),
    );
    assert_error(&mut r, 422, "idempotency_conflict");
    let mut r = post(
        &dept,
        "s-2",
        serde_json::json!({"code": "02", "description": " ", "timestamp": ""}),
    );
    assert_error(&mut r, 400, "bad_request");
    let mut r = post(&office, "s-3", registered);
    assert_error(&mut r, 404, "not_found");

    let mut r = s.get(&office, &format!("/api/v1/documents/{receipt_id}/status"));
    let history = json(&mut r);
    let codes: Vec<&str> = history["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["code"].as_str())
        .collect();
    assert_eq!(codes, ["01", "03"], "{history}");
    assert_eq!(history["history"][1]["staff"], "Đỗ Minh Châu");
}
