//! The VDXP double (`serve --dialect vdxp`) over real HTTP: the VNPT SDK's signed headers, the
//! answers' exact key casing, routing by `To/OrganId` and `ResponseFor/OrganId`, a package kept
//! listed until `updateStatus done`, and what the SDK itself sends (stale and extra headers,
//! `docid` in lower case, a `hash-file` without its leading zeros).

mod common;

use base64::Engine as _;
use common::{Server, package, sha256, status_package, unsigned_pdf};
use kyso_sync::vdxp::wire;
use sha2::{Digest, Sha256};

const OFFICE: &str = "000.00.00.H35";
const OFFICE_SECRET: &str = "khoa-hmac-van-phong";
const DEPT: &str = "000.01.35.H35";
const DEPT_SECRET: &str = "khoa-hmac-so";

fn config(extra: &str) -> String {
    format!(
        r#"{extra}
[[clients]]
client_id = "van-phong"
client_secret = "{OFFICE_SECRET}"
organ_id = "{OFFICE}"

[[clients]]
client_id = "so"
client_secret = "{DEPT_SECRET}"
organ_id = "{DEPT}"
"#
    )
}

/// One call as the SDK makes it: `params` after `systemid` and `timestamp`, signed with
/// `secret`; `extra` headers sent unsigned. Gives (HTTP status, body text).
fn call(
    s: &Server,
    path: &str,
    system: &str,
    secret: &str,
    params: &[(&str, &str)],
    extra: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let stamp = wire::timestamp(time::OffsetDateTime::now_utc());
    let mut all = vec![("systemid", system), ("timestamp", stamp.as_str())];
    all.extend_from_slice(params);
    let mut request = s
        .agent
        .post(s.url(path))
        .header("Content-Type", "application/octet-stream");
    for (name, value) in wire::signed_headers(&all, secret.as_bytes()) {
        request = request.header(name, value);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let mut r = request.send(body).expect("request");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().expect("body"))
}

fn send(s: &Server, system: &str, secret: &str, kind: &str, body: &str) -> (u16, String) {
    let hash = sha256(body.as_bytes());
    call(
        s,
        wire::SEND_PATH,
        system,
        secret,
        &[
            ("from", system),
            ("servicetype", "eDoc"),
            ("messagetype", kind),
            ("hash-file", &hash),
        ],
        &[],
        body.as_bytes(),
    )
}

fn value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

fn received(s: &Server, system: &str, secret: &str, kind: &str) -> Vec<serde_json::Value> {
    let (status, text) = call(
        s,
        wire::RECEIVED_LIST_PATH,
        system,
        secret,
        &[("servicetype", "eDoc"), ("messagetype", kind)],
        &[],
        b"",
    );
    assert_eq!(status, 200, "{text}");
    let v = value(&text);
    assert_eq!(v["status"], "OK", "{v}");
    v["data"].as_array().cloned().unwrap_or_default()
}

#[test]
fn packages_are_routed_listed_until_done_and_statuses_flow_back() {
    let s = Server::start_dialect(Some(&config("")), "vdxp");
    let pdf = unsigned_pdf("Quyet dinh 7");
    let body = package(OFFICE, &[DEPT], "7", &pdf);
    let (status, text) = send(&s, OFFICE, OFFICE_SECRET, "edoc", &body);
    assert_eq!(status, 200, "{text}");
    // The exact casing of the SDK's answer.
    assert!(
        text.starts_with(r#"{"status":"OK","ErrorCode":"0","ErrorDesc":"#),
        "{text}"
    );
    let doc_id = value(&text)["DocId"].as_str().expect("DocId").to_string();
    assert!(!doc_id.is_empty());

    // The department lists it, fetches the whole edXML, and it stays listed until done.
    assert!(received(&s, OFFICE, OFFICE_SECRET, "edoc").is_empty());
    let items = received(&s, DEPT, DEPT_SECRET, "edoc");
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["from"], OFFICE);
    assert_eq!(item["status"], "initial");
    assert_eq!(item["messageType"], "edoc");
    let receiver_id = item["docId"].as_str().expect("docId").to_string();
    let (status, text) = call(
        &s,
        wire::GET_PATH,
        DEPT,
        DEPT_SECRET,
        &[("docId", &receiver_id)],
        &[],
        b"",
    );
    assert_eq!(status, 200);
    let data = value(&text)["data"].as_str().expect("data").to_string();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    assert_eq!(bytes, body.as_bytes(), "the whole edXML, as sent");
    assert_eq!(received(&s, DEPT, DEPT_SECRET, "edoc").len(), 1);
    // Not the office's to fetch.
    let (_, text) = call(
        &s,
        wire::GET_PATH,
        OFFICE,
        OFFICE_SECRET,
        &[("docId", &receiver_id)],
        &[],
        b"",
    );
    assert_eq!(value(&text)["status"], "FAIL");
    let (_, text) = call(
        &s,
        wire::UPDATE_STATUS_PATH,
        DEPT,
        DEPT_SECRET,
        &[("docId", &receiver_id), ("status", "done")],
        &[],
        b"",
    );
    assert_eq!(value(&text)["status"], "OK", "{text}");
    assert!(received(&s, DEPT, DEPT_SECRET, "edoc").is_empty());

    // A status package goes back to the organ named by ResponseFor.
    let document_id = format!("{OFFICE},2026/11/20,7/QĐ-UBND");
    let status_xml = status_package(DEPT, OFFICE, &document_id, "03", "Đã tiếp nhận");
    let (status, text) = send(&s, DEPT, DEPT_SECRET, "status", &status_xml);
    assert_eq!(status, 200, "{text}");
    let statuses = received(&s, OFFICE, OFFICE_SECRET, "status");
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0]["from"], DEPT);
    assert!(received(&s, OFFICE, OFFICE_SECRET, "edoc").is_empty());

    // What the office sent: the SDK's keys, and the document id and hash the double adds.
    let (_, text) = call(
        &s,
        wire::SENT_LIST_PATH,
        OFFICE,
        OFFICE_SECRET,
        &[("servicetype", "eDoc"), ("messagetype", "edoc")],
        &[],
        b"",
    );
    let sent = value(&text)["data"].as_array().cloned().expect("data");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["senderDocId"], doc_id.as_str());
    assert_eq!(sent[0]["toCode"], DEPT);
    assert_eq!(sent[0]["notation"], "7/QĐ-UBND");
    assert_eq!(sent[0]["documentId"], document_id.as_str());
    assert_eq!(sent[0]["hashFile"], sha256(body.as_bytes()).as_str());
    assert_eq!(s.packages().len(), 2);
}

#[test]
fn signatures_senders_and_receivers_are_checked() {
    let s = Server::start_dialect(Some(&config("")), "vdxp");
    let body = package(OFFICE, &[DEPT], "8", &unsigned_pdf("x"));
    // A wrong key: refused, HTTP 401, with the SDK's answer shape.
    let (status, text) = send(&s, OFFICE, "not-the-key", "edoc", &body);
    assert_eq!(status, 401, "{text}");
    assert_eq!(value(&text)["status"], "FAIL");
    // An unknown system.
    let (status, _) = send(&s, "000.09.09.H35", OFFICE_SECRET, "edoc", &body);
    assert_eq!(status, 401);

    // `from` that is not the systemid: the platform's own words.
    let hash = sha256(body.as_bytes());
    let (status, text) = call(
        &s,
        wire::SEND_PATH,
        OFFICE,
        OFFICE_SECRET,
        &[
            ("from", DEPT),
            ("servicetype", "eDoc"),
            ("messagetype", "edoc"),
            ("hash-file", &hash),
        ],
        &[],
        body.as_bytes(),
    );
    assert_eq!(status, 200);
    let v = value(&text);
    assert_eq!(v["status"], "FAIL");
    assert_eq!(
        v["ErrorDesc"],
        format!("Don vi gui {DEPT} khong dung voi ma da dang ky: {OFFICE}")
    );
    // An edXML whose From is another organ than the system sending it.
    let (_, text) = send(&s, DEPT, DEPT_SECRET, "edoc", &body);
    let v = value(&text);
    assert_eq!(v["status"], "FAIL");
    assert!(
        wire::is_sender_mismatch(v["ErrorDesc"].as_str().unwrap_or("")),
        "{v}"
    );
    // A receiver nobody speaks for; a hash-file that is not the body's; not edXML.
    let stranger = package(OFFICE, &["000.77.77.H35"], "9", &unsigned_pdf("y"));
    let (_, text) = send(&s, OFFICE, OFFICE_SECRET, "edoc", &stranger);
    assert_eq!(value(&text)["status"], "FAIL", "{text}");
    let (_, text) = call(
        &s,
        wire::SEND_PATH,
        OFFICE,
        OFFICE_SECRET,
        &[
            ("from", OFFICE),
            ("servicetype", "eDoc"),
            ("messagetype", "edoc"),
            ("hash-file", &sha256(b"other")),
        ],
        &[],
        body.as_bytes(),
    );
    assert_eq!(value(&text)["status"], "FAIL", "{text}");
    let (_, text) = send(&s, OFFICE, OFFICE_SECRET, "edoc", "not xml");
    assert_eq!(value(&text)["status"], "FAIL", "{text}");
    assert!(s.packages().is_empty(), "nothing was stored");
}

/// What the SDK really sends: the timestamp set once when its service object was made (stale),
/// every parameter of earlier calls still in its header map (signed), headers nobody signed,
/// `docid` in lower case, and `hash-file` written byte by byte without leading zeros.
#[test]
fn what_the_sdk_sends_is_accepted() {
    let s = Server::start_dialect(Some(&config("")), "vdxp");
    // A body whose SHA-256 has a byte below 0x10, so the SDK's hash-file is shorter.
    let (body, digest) = (0..)
        .map(|n| {
            let body = package(OFFICE, &[DEPT], &format!("{}", 100 + n), &unsigned_pdf("z"));
            let digest = Sha256::digest(body.as_bytes());
            (body, digest)
        })
        .find(|(_, d)| d.iter().any(|b| *b < 0x10))
        .expect("some body");
    let sdk_hash = wire::sdk_hash_file(&digest);
    assert!(sdk_hash.len() < 64);
    let stale = wire::timestamp(time::OffsetDateTime::now_utc() - time::Duration::days(3));
    let all = [
        ("Content-Type", "application/octet-stream"),
        ("systemid", OFFICE),
        ("timestamp", stale.as_str()),
        ("docId", "left-from-an-earlier-getEdoc"),
        ("from", OFFICE),
        ("servicetype", "eDoc"),
        ("messagetype", "edoc"),
        ("hash-file", sdk_hash.as_str()),
    ];
    let mut request = s
        .agent
        .post(s.url(wire::SEND_PATH))
        .header("Content-Type", "application/octet-stream")
        .header("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP");
    for (name, value) in wire::signed_headers(&all, OFFICE_SECRET.as_bytes()) {
        request = request.header(name, value);
    }
    request = request.header("XroadVnpt-unsigned-extra", "ignored");
    let mut r = request.send(body.as_bytes()).expect("send");
    let text = r.body_mut().read_to_string().expect("body");
    assert_eq!(r.status(), 200, "{text}");
    assert_eq!(value(&text)["status"], "OK", "{text}");

    // `docid` in lower case, as some callers write the parameter.
    let items = received(&s, DEPT, DEPT_SECRET, "edoc");
    let id = items[0]["docId"].as_str().expect("docId").to_string();
    let (_, text) = call(
        &s,
        wire::GET_PATH,
        DEPT,
        DEPT_SECRET,
        &[("docid", &id)],
        &[("XroadVnpt-messagetype", "status")],
        b"",
    );
    assert_eq!(value(&text)["status"], "OK", "{text}");
}

#[test]
fn a_dropped_answer_leaves_the_package_stored() {
    let s = Server::start_dialect(
        Some(&config("[faults]\nseed = 3\ndrop_rate = 1.0\n")),
        "vdxp",
    );
    let body = package(OFFICE, &[DEPT], "11", &unsigned_pdf("drop"));
    let hash = sha256(body.as_bytes());
    let stamp = wire::timestamp(time::OffsetDateTime::now_utc());
    let mut request = s.agent.post(s.url(wire::SEND_PATH));
    for (name, value) in wire::signed_headers(
        &[
            ("systemid", OFFICE),
            ("timestamp", &stamp),
            ("from", OFFICE),
            ("servicetype", "eDoc"),
            ("messagetype", "edoc"),
            ("hash-file", &hash),
        ],
        OFFICE_SECRET.as_bytes(),
    ) {
        request = request.header(name, value);
    }
    assert!(request.send(body.as_bytes()).is_err(), "the answer is lost");
    let packages = s.packages();
    assert_eq!(packages.len(), 1, "stored before the answer was dropped");
    assert_eq!(packages[0]["body_sha256"], hash.as_str());
}
