//! The offline outbox and inbox over the provincial platforms' dialects (issue 14): the real
//! `kyso` CLI against the real `kyso-exchange serve --dialect vdxp|lgsp-v1` doubles on loopback,
//! under injected faults, `kill -9` at random instants, expired tokens, and the inbox round trip
//! with status packages both ways. Kyso's own dialect runs the same journeys in tests/sync.rs.
//!
//! Neither dialect has an idempotency key. VDXP lists what a system sent (`getSentEdocList`), so
//! a lost answer is found again and every document arrives exactly once. The `/v1` axis lists
//! nothing of the kind: a lost answer leaves the document "may have been sent"
//! (`EXCHANGE_MAYBE_SENT`) for the user, and nothing ever arrives twice.

mod common;
mod exchange_harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sign, out_dir, sha256};
use exchange_harness::*;

const VDXP: &str = "vdxp";
const LGSP: &str = "lgsp-v1";

fn write_meta(dir: &Path, number: u32) -> PathBuf {
    let path = dir.join(format!("meta-{number}.toml"));
    std::fs::write(&path, meta_toml(number)).expect("meta");
    path
}

/// Queues each file with its own document number (from `first`).
fn queue_all(client: &Client, dir: &Path, files: &[PathBuf], first: u32) {
    for (i, file) in files.iter().enumerate() {
        client.queue(file, &write_meta(dir, first + i as u32));
    }
}

/// The documents (not status packages) the double holds, by edXML `DocumentId`.
fn documents_by_id(exchange: &Exchange) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut by_id: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for p in exchange.packages() {
        if p["message_type"] == "edoc" {
            let id = p["document_id"].as_str().unwrap_or("").to_string();
            by_id.entry(id).or_default().push(p);
        }
    }
    by_id
}

/// Nothing arrived twice; every sent entry's `DocId` is the package holding its document;
/// an entry "may have been sent" is on the platform at most once. Gives (sent, may have been
/// sent) entries.
fn assert_never_twice(client: &Client, exchange: &Exchange, expected: usize) -> (usize, usize) {
    let outbox = client.outbox();
    assert_eq!(outbox.len(), expected, "outbox size");
    let by_id = documents_by_id(exchange);
    for (id, packages) in &by_id {
        assert_eq!(packages.len(), 1, "{id} arrived {} times", packages.len());
    }
    let (mut sent, mut maybe) = (0, 0);
    for entry in &outbox {
        let id = entry["document_id"].as_str().expect("document_id");
        match entry["state"].as_str() {
            Some("sent") => {
                sent += 1;
                let held = by_id
                    .get(id)
                    .unwrap_or_else(|| panic!("{id} is sent but not on the platform"));
                assert_eq!(
                    held[0]["doc_id"], entry["receipt_id"],
                    "the stored DocId is the platform's"
                );
            }
            Some("failed") if entry["last_error_code"] == "EXCHANGE_MAYBE_SENT" => maybe += 1,
            other => panic!("{id}: {other:?}, not delivered: {entry}"),
        }
    }
    assert!(by_id.len() >= sent);
    (sent, maybe)
}

/// Every queued document arrived exactly once, with the DocId the client stored.
fn assert_exactly_once(client: &Client, exchange: &Exchange, expected: usize) {
    let (sent, maybe) = assert_never_twice(client, exchange, expected);
    assert_eq!((sent, maybe), (expected, 0));
    assert_eq!(documents_by_id(exchange).len(), expected);
}

const THIRTY_PERCENT: &str = "[faults]\nseed = 14\ndrop_rate = 0.10\nerror_500_rate = 0.08\n\
     error_503_rate = 0.07\nthrottle_rate = 0.05\nretry_after_seconds = 1\n";

#[test]
fn vdxp_documents_arrive_exactly_once_through_thirty_percent_faults() {
    let dir = out_dir("dialect-vdxp-faults");
    let exchange = Exchange::start_dialect(
        &dir.join("server"),
        &dialect_config("", THIRTY_PERCENT),
        VDXP,
    );
    let client = Client::new_dialect(&dir.join("home"), &exchange.url(), VDXP, &OFFICE);
    let files = signed_pdfs(&dir, 120);
    queue_all(&client, &dir, &files, 1000);
    let (code, report) = client.json(&["sync", "--timeout", "600"]);
    assert_eq!(code, 0, "kyso sync: {report}");
    assert_eq!(report["sent"], 120, "{report}");
    assert!(
        report["retries"].as_u64().unwrap_or(0) > 10,
        "30% of requests were faulted: {report}"
    );
    assert_exactly_once(&client, &exchange, 120);
    // A second run sends nothing again.
    let (code, report) = client.json(&["sync"]);
    assert_eq!((code, report["sent"].as_u64()), (0, Some(0)), "{report}");
    assert_exactly_once(&client, &exchange, 120);
}

#[test]
fn lgsp_documents_never_arrive_twice_through_thirty_percent_faults() {
    let dir = out_dir("dialect-lgsp-faults");
    let exchange = Exchange::start_dialect(
        &dir.join("server"),
        &dialect_config("", THIRTY_PERCENT),
        LGSP,
    );
    let client = Client::new_dialect(&dir.join("home"), &exchange.url(), LGSP, &OFFICE);
    let files = signed_pdfs(&dir, 120);
    queue_all(&client, &dir, &files, 2000);
    let (_, report) = client.json(&["sync", "--timeout", "600"]);
    assert_eq!(report["queued"], 0, "{report}");
    let (sent, maybe) = assert_never_twice(&client, &exchange, 120);
    eprintln!("lgsp-v1 through 30% faults: {sent} sent, {maybe} may have been sent");
    assert!(
        maybe > 0,
        "lost answers were injected: some must wait for the user"
    );
    assert!(sent > 60, "most arrive: {sent}");

    // The official checks: those the recipient never got are sent again, and only those.
    let held = documents_by_id(&exchange);
    for entry in client.outbox() {
        let id = entry["document_id"].as_str().expect("id");
        if entry["state"] == "failed" && !held.contains_key(id) {
            client.ok(&["outbox", "retry", &entry["id"].to_string()]);
        }
    }
    let clean = dialect_config("", "");
    let mut exchange = exchange;
    exchange.restart_with(&clean);
    let (_, report) = client.json(&["sync", "--timeout", "300"]);
    assert_eq!(report["queued"], 0, "{report}");
    let (sent_after, maybe_after) = assert_never_twice(&client, &exchange, 120);
    assert_eq!(
        documents_by_id(&exchange).len(),
        120,
        "every document is on the platform once"
    );
    assert_eq!(sent_after + maybe_after, 120);
}

/// `kill -9` of `kyso sync` at random instants while documents keep being queued; then one
/// last sync.
fn kill_nine(dialect: &str, first_number: u32) -> (Client, Exchange) {
    let dir = out_dir(&format!("dialect-{dialect}-kill9"));
    let faults = "[faults]\nseed = 9\ndrop_rate = 0.05\ndelay_rate = 0.3\ndelay_ms = 15\n";
    let exchange =
        Exchange::start_dialect(&dir.join("server"), &dialect_config("", faults), dialect);
    let client = Client::new_dialect(&dir.join("home"), &exchange.url(), dialect, &OFFICE);
    let files = signed_pdfs(&dir, 60);
    let mut queued = 0;
    let mut rng_state: u64 = 0x9e3779b97f4a7c15 ^ u64::from(first_number);
    for _ in 0..25 {
        for file in files.iter().skip(queued).take(2) {
            client.queue(file, &write_meta(&dir, first_number + queued as u32));
            queued += 1;
        }
        let mut sync = client
            .kyso()
            .args(["sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kyso sync");
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        std::thread::sleep(Duration::from_millis(rng_state % 400));
        sync.kill().expect("kill -9 kyso sync");
        let _ = sync.wait();
    }
    for file in files.iter().skip(queued) {
        client.queue(file, &write_meta(&dir, first_number + queued as u32));
        queued += 1;
    }
    let (_, report) = client.json(&["sync", "--timeout", "300"]);
    assert_eq!(report["queued"], 0, "final sync: {report}");
    (client, exchange)
}

#[test]
fn vdxp_kill_nine_at_random_instants_loses_and_duplicates_nothing() {
    let (client, exchange) = kill_nine(VDXP, 3000);
    assert_exactly_once(&client, &exchange, 60);
}

#[test]
fn lgsp_kill_nine_at_random_instants_never_sends_twice() {
    let (client, exchange) = kill_nine(LGSP, 4000);
    let (sent, maybe) = assert_never_twice(&client, &exchange, 60);
    eprintln!("lgsp-v1 after kill -9: {sent} sent, {maybe} may have been sent");
    assert!(sent > 30, "{sent}");
}

/// The office sends two documents to the department; the department fetches them (status 01
/// goes back by itself), registers one (03) and refuses the other (02 with its reason), then
/// replies to the first; the office sees every status and the reply, naming what it answers.
fn inbox_round_trip(dialect: &str, encoding: &str) {
    let dir = out_dir(&format!("dialect-{dialect}-inbox"));
    let mut exchange =
        Exchange::start_dialect(&dir.join("server"), &dialect_config("", ""), dialect);
    let office = Client::new_dialect(&dir.join("office"), &exchange.url(), dialect, &OFFICE);
    office.ok(&["config", "set", "exchange.attachment-encoding", encoding]);
    let files = signed_pdfs(&dir, 2);
    queue_all(&office, &dir, &files, 5000);
    let (code, report) = office.json(&["sync"]);
    assert_eq!((code, report["sent"].as_u64()), (0, Some(2)), "{report}");

    let dept = Client::new_dialect(&dir.join("dept"), &exchange.url(), dialect, &DEPARTMENT);
    let (code, inbox) = dept.json(&["inbox", "fetch"]);
    assert_eq!(code, 0, "{inbox}");
    let items = inbox.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{inbox}");
    let find = |number: u32| {
        items
            .iter()
            .find(|i| {
                i["document_id"]
                    .as_str()
                    .is_some_and(|d| d.ends_with(&format!(",{number}/QĐ-UBND")))
            })
            .unwrap_or_else(|| panic!("document {number} in {inbox}"))
            .clone()
    };
    let (first, second) = (find(5000), find(5001));
    // The signed bytes arrived (unzipped when they travelled zipped).
    let path = first["attachments"][0]["path"].as_str().expect("path");
    assert_eq!(sha256(Path::new(path)), sha256(&files[0]));
    assert_eq!(first["from_organ_id"], ORGAN_ID);
    assert_eq!(first["statuses"][0]["code"], "01", "01 đã đến: {first}");
    assert_eq!(first["statuses"][0]["state"], "sent", "{first}");
    // Fetched once: the platform lists them no longer.
    let (_, again) = dept.json(&["inbox", "fetch"]);
    assert_eq!(again.as_array().map(Vec::len), Some(2));

    let first_id = first["id"].to_string();
    let second_id = second["id"].to_string();
    let (code, given) = dept.json(&[
        "inbox",
        "status",
        &first_id,
        "03",
        "--staff",
        "Đỗ Minh Châu",
    ]);
    assert_eq!(
        (code, given["state"].as_str()),
        (0, Some("sent")),
        "{given}"
    );
    let reason = "Gửi nhầm đơn vị, đề nghị gửi Sở Tài chính";
    let (code, given) = dept.json(&["inbox", "status", &second_id, "02"]);
    assert_eq!(code, 1, "02 needs its reason: {given}");
    assert_eq!(given["code"], "INBOX_STATUS_REASON");
    let (code, given) = dept.json(&["inbox", "status", &second_id, "02", "--description", reason]);
    assert_eq!(
        (code, given["state"].as_str()),
        (0, Some("sent")),
        "{given}"
    );
    let (code, given) = dept.json(&["inbox", "status", &first_id, "03"]);
    assert_eq!(
        (code, given["code"].as_str()),
        (1, Some("INBOX_STATUS_GIVEN"))
    );

    // The office learns it: 01 then 03 for the first, 02 with the reason for the second.
    let (code, report) = office.json(&["sync"]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report["statuses_added"].as_u64().unwrap_or(0) >= 4,
        "{report}"
    );
    let outbox = office.outbox();
    let entry = |number: u32| {
        outbox
            .iter()
            .find(|e| {
                e["document_id"]
                    .as_str()
                    .is_some_and(|d| d.ends_with(&format!(",{number}/QĐ-UBND")))
            })
            .expect("entry")
            .clone()
    };
    let (_, status) = office.json(&["status", &entry(5000)["id"].to_string()]);
    let codes: Vec<&str> = status["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert_eq!(codes, ["01", "03"], "{status}");
    assert_eq!(status["history"][1]["staff"], "Đỗ Minh Châu");
    let (_, status) = office.json(&["status", &entry(5001)["id"].to_string()]);
    assert_eq!(status["entry"]["state"], "refused", "{status}");
    assert_eq!(status["entry"]["last_error"], reason, "the reason is shown");
    let text = office.ok(&["status", &entry(5001)["id"].to_string()]);
    assert!(text.contains(reason), "{text}");
    assert!(
        text.contains("DocId"),
        "the platform's DocId is shown: {text}"
    );

    // Offline, the department signs and replies; back online it arrives, naming the draft.
    exchange.stop();
    let signed = dir.join("reply-signed.pdf");
    let (out, json) = Sign::new(Path::new(path), &signed, "signer-modern.p12").run();
    assert!(out.status.success(), "kyso sign: {json}");
    let meta = dir.join("reply.toml");
    std::fs::write(
        &meta,
        format!(
            "code_number = \"77\"\ncode_notation = \"BC-STTTT\"\npromulgation_place = \"Phủ Lý\"\n\
             promulgation_date = \"2026-11-22\"\ndocument_type = \"2\"\n\
             document_type_name = \"Báo cáo\"\nsubject = \"Góp ý\"\n\n[from]\n\
             organ_id = \"{PEER_ORGAN}\"\nname = \"Sở Thông tin và Truyền thông tỉnh Hà Nam\"\n\n\
             [signer]\ncompetence = \"KT. Giám đốc\"\nposition = \"Phó Giám đốc\"\n\
             full_name = \"Trần Thị Bình\"\n"
        ),
    )
    .expect("reply meta");
    let (code, _) = dept.json(&[
        "reply",
        &first_id,
        &signed.to_string_lossy(),
        "--meta",
        &meta.to_string_lossy(),
    ]);
    assert_eq!(code, 0);
    let (code, report) = dept.json(&["sync", "--once"]);
    assert_eq!((code, report["queued"].as_u64()), (1, Some(1)), "{report}");
    exchange.restart();
    let (code, report) = dept.json(&["sync", "--timeout", "60"]);
    assert_eq!((code, report["sent"].as_u64()), (0, Some(1)), "{report}");
    let (code, inbox) = office.json(&["inbox", "fetch"]);
    assert_eq!(code, 0, "{inbox}");
    let reply = inbox
        .as_array()
        .and_then(|items| items.iter().find(|i| i["subject"] == "Góp ý").cloned())
        .unwrap_or_else(|| panic!("the reply is in the office's inbox: {inbox}"));
    assert_eq!(reply["response_for"]["document_id"], first["document_id"]);
    assert_eq!(
        sha256(Path::new(
            reply["attachments"][0]["path"].as_str().expect("path")
        )),
        sha256(&signed)
    );
    // The office's 01 for the reply went back to the department.
    let (_, report) = dept.json(&["sync"]);
    assert!(
        report["statuses_added"].as_u64().unwrap_or(0) >= 1,
        "{report}"
    );
}

#[test]
fn vdxp_inbox_round_trip_with_zipped_attachments_and_statuses_both_ways() {
    inbox_round_trip(VDXP, "zip");
}

#[test]
fn lgsp_inbox_round_trip_with_statuses_both_ways() {
    inbox_round_trip(LGSP, "pdf");
}

/// A wrong secret (or password) is refused at login and nothing is stored.
#[test]
fn wrong_secrets_are_refused_at_login() {
    let dir = out_dir("dialect-wrong-secret");
    for dialect in [VDXP, LGSP] {
        let exchange = Exchange::start_dialect(
            &dir.join(format!("server-{dialect}")),
            &dialect_config("", ""),
            dialect,
        );
        let wrong = Client::bare(&dir.join(format!("wrong-{dialect}")));
        for (key, value) in [
            ("exchange.dialect", dialect),
            ("exchange.url", &exchange.url()),
            ("exchange.system-id", ORGAN_ID),
            ("exchange.username", CLIENT_ID),
            ("exchange.application-code", APPLICATION_CODE),
        ] {
            wrong.ok(&["config", "set", key, value]);
        }
        let out = wrong.login("not-the-secret", Some(CLIENT_PASSWORD));
        assert_eq!(out.status.code(), Some(1), "{dialect}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("EXCHANGE_INVALID_CLIENT"),
            "{dialect}: {stderr}"
        );
        if dialect == LGSP {
            let out = wrong.login(CLIENT_SECRET, Some("not-the-password"));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("EXCHANGE_LOGIN_REFUSED"), "{stderr}");
        }
        let (_, value) = wrong.json(&["sync"]);
        assert_eq!(
            value["code"], "EXCHANGE_NOT_LOGGED_IN",
            "{dialect}: {value}"
        );
    }
}

/// VDXP's lookup: an answer lost after the platform stored the package is found again in
/// `getSentEdocList` (no second copy); a platform whose list gives no hashes cannot tell, and
/// the document waits as "may have been sent".
#[test]
fn vdxp_finds_a_package_whose_answer_was_lost_or_says_it_cannot_tell() {
    let dir = out_dir("dialect-vdxp-lookup");
    let dropping = dialect_config("", "[faults]\nseed = 1\ndrop_rate = 1.0\n");
    let mut exchange = Exchange::start_dialect(&dir.join("server"), &dropping, VDXP);
    let client = Client::new_dialect(&dir.join("home"), &exchange.url(), VDXP, &OFFICE);
    let files = signed_pdfs(&dir, 2);
    queue_all(&client, &dir, &files[..1], 6000);
    let (_, report) = client.json(&["sync", "--once"]);
    assert_eq!(report["queued"], 1, "{report}");
    assert_eq!(exchange.packages().len(), 1, "stored, its answer dropped");

    exchange.restart_with(&dialect_config("", ""));
    let (code, report) = client.json(&["sync"]);
    assert_eq!((code, report["sent"].as_u64()), (0, Some(1)), "{report}");
    assert_exactly_once(&client, &exchange, 1);

    // A platform whose sent list lacks the hashes: the second document cannot be told.
    exchange.restart_with(&dropping);
    queue_all(&client, &dir, &files[1..], 6001);
    client.json(&["sync", "--once"]);
    exchange.restart_with(&dialect_config("sent_list_hashes = false", ""));
    let (code, report) = client.json(&["sync"]);
    assert_eq!(code, 1, "{report}");
    let (sent, maybe) = assert_never_twice(&client, &exchange, 2);
    assert_eq!((sent, maybe), (1, 1));
    let text = client.ok(&["outbox"]);
    assert!(text.contains("EXCHANGE_MAYBE_SENT"), "{text}");
}

/// lgsp-v1's tokens expire behind the client's back in the middle of a run: it logs in again
/// on the 401 and delivers everything, exactly once (nothing was lost in flight).
#[test]
fn lgsp_an_expired_token_mid_run_is_renewed() {
    let dir = out_dir("dialect-lgsp-token");
    let faults = "[faults]\nseed = 11\ndelay_rate = 1.0\ndelay_ms = 25\n";
    let exchange = Exchange::start_dialect(&dir.join("server"), &dialect_config("", faults), LGSP);
    let client = Client::new_dialect(&dir.join("home"), &exchange.url(), LGSP, &OFFICE);
    client.ok(&["config", "set", "sync.workers", "2"]);
    let files = signed_pdfs(&dir, 40);
    queue_all(&client, &dir, &files, 7000);
    let sync = client
        .kyso()
        .args(["sync", "--timeout", "120", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kyso sync");
    let db = rusqlite::Connection::open(&exchange.db).expect("exchange db");
    db.busy_timeout(Duration::from_secs(10)).expect("busy");
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count("SELECT COUNT(*) FROM packages") < 3 {
        assert!(Instant::now() < deadline, "nothing arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    let expired = db
        .execute("UPDATE tokens SET expires_ms = 0", [])
        .expect("expire");
    assert!(expired >= 1);
    assert!((count("SELECT COUNT(*) FROM packages") as usize) < files.len());
    let out = sync.wait_with_output().expect("sync");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(out.status.success(), "{report}");
    assert_eq!(report["sent"], files.len(), "{report}");
    assert!(count("SELECT COUNT(*) FROM tokens WHERE expires_ms > 0") >= 1);
    assert_exactly_once(&client, &exchange, files.len());
}

/// A document over `exchange.max-document-mb` is refused before anything is sent.
#[test]
fn a_document_over_the_size_limit_is_refused_before_sending() {
    let dir = out_dir("dialect-too-large");
    let exchange = Exchange::start_dialect(&dir.join("server"), &dialect_config("", ""), VDXP);
    let client = Client::new_dialect(&dir.join("home"), &exchange.url(), VDXP, &OFFICE);
    client.ok(&["config", "set", "exchange.max-document-mb", "1"]);
    let small = signed_pdfs(&dir.join("small"), 1).remove(0);
    let big = dir.join("big.pdf");
    let mut bytes = std::fs::read(&small).expect("small");
    bytes.extend(std::iter::repeat_n(b'%', 2 << 20));
    bytes.extend_from_slice(b"\n");
    std::fs::write(&big, bytes).expect("big");
    client.queue(&big, &write_meta(&dir, 8000));
    let (code, report) = client.json(&["sync"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["failed"], 1, "{report}");
    assert_eq!(report["deliveries"][0]["error_code"], "DOCUMENT_TOO_LARGE");
    assert!(exchange.packages().is_empty(), "nothing was sent");
}
