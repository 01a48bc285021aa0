//! Signed offline, timestamped at the next sync (issue 12): the real `kyso` CLI, the local
//! TSA and the reference exchange, started and stopped by the test as the PC goes online.

mod common;
mod exchange_harness;

use std::path::{Path, PathBuf};

use common::tsa::Tsa;
use common::{fixtures, free_port, judge, out_dir, sha256};
use exchange_harness::*;
use serde_json::Value;

/// `kyso sign INPUT -o OUT` in the client's home, with the test signer.
fn sign(client: &Client, input: &Path, out: &Path) -> Value {
    let f = fixtures();
    let (code, json) = client.json(&[
        "sign",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--p12",
        f.pki.join("signer-modern.p12").to_str().unwrap(),
        "--p12-password-file",
        f.pki.join("p12-password.txt").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{json}");
    json
}

fn write_meta(dir: &Path, number: u32) -> PathBuf {
    let path = dir.join(format!("meta-{number}.toml"));
    std::fs::write(&path, meta_toml(number)).expect("meta");
    path
}

/// The stored copy of an outbox entry: the bytes the exchange received.
fn stored(client: &Client, sha: &str) -> PathBuf {
    client.home.join("store/files").join(&sha[..2]).join(sha)
}

#[test]
fn signed_offline_the_document_reaches_the_exchange_at_b_t_after_the_sync() {
    let dir = out_dir("sync-levels");
    let mut exchange = Exchange::start(&dir.join("server"), &server_config(""));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    let tsa_dir = Tsa::make(&dir);
    let tsa_port = free_port();
    client.ok(&[
        "config",
        "set",
        "tsa.urls",
        &format!("http://127.0.0.1:{tsa_port}/"),
    ]);
    // The PC goes offline: neither the exchange nor the TSA answers.
    exchange.stop();

    let signed = dir.join("qd-01.signed.pdf");
    let result = sign(
        &client,
        &fixtures().corpus.join("reportlab-vi.pdf"),
        &signed,
    );
    assert_eq!(result["level"], "B-B", "{result}");
    assert_eq!(result["shortfall"]["code"], "TSA_UNREACHABLE", "{result}");
    let entry = client.queue(&signed, &write_meta(&dir, 1));
    assert_eq!(entry["level"], "B-B");
    assert_eq!(entry["timestamp_due"], true, "{entry}");
    let text = client.ok(&["outbox"]);
    assert!(text.contains("B-B, cần gắn dấu thời gian (B-T)"), "{text}");
    let text = client.ok(&["outbox", "--lang", "en"]);
    assert!(text.contains("B-B, timestamp due (B-T)"), "{text}");

    // A sync while offline: nothing sent, nothing changed, still due.
    let (code, report) = client.json(&["sync", "--once"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["sent"], 0);
    let outbox = client.outbox();
    assert_eq!(outbox[0]["document_sha256"], entry["document_sha256"]);
    assert_eq!(outbox[0]["timestamp_due"], true);
    assert_eq!(
        outbox[0]["level_error_code"], "TSA_UNREACHABLE",
        "{}",
        outbox[0]
    );

    // Online again: the sync timestamps the document, then sends it.
    let _tsa = Tsa::serve_on(&tsa_dir, tsa_port, &[]);
    exchange.restart();
    let (code, report) = client.json(&["sync", "--timeout", "120"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["sent"], 1, "{report}");
    assert_eq!(report["raised"], 1, "{report}");
    let outbox = client.outbox();
    let sent = &outbox[0];
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["level"], "B-T", "{sent}");
    assert_eq!(sent["timestamp_due"], false);
    assert_ne!(
        sent["document_sha256"], entry["document_sha256"],
        "new bytes"
    );
    assert_ne!(
        sent["idempotency_key"], entry["idempotency_key"],
        "a new message"
    );
    let documents = exchange.documents();
    assert_eq!(documents.len(), 1, "sent once");
    assert_eq!(
        documents[0]["attachments"][0]["sha256"], sent["document_sha256"],
        "the exchange holds the B-T file"
    );
    // The peers agree: a signature, then a document timestamp over it.
    let held = stored(&client, sent["document_sha256"].as_str().unwrap());
    let verdict = judge(&held, None, 2);
    assert_eq!(verdict["all_ok"], true, "{verdict:#}");
    assert!(
        verdict["pyhanko"]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("(doc timestamp): INTACT:TRUSTED"),
        "{verdict:#}"
    );
    // The official's own copy got the same timestamp: one document, kept and sent.
    assert_eq!(sha256(&signed), sent["document_sha256"].as_str().unwrap());
    let (_, due) = client.json(&["outbox", "due"]);
    assert_eq!(due, serde_json::json!([]), "nothing is due any more");
}

#[test]
fn with_require_timestamp_a_document_waits_for_its_timestamp_and_says_why() {
    let dir = out_dir("sync-require-ts");
    let exchange = Exchange::start(&dir.join("server"), &server_config(""));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    let tsa_dir = Tsa::make(&dir);
    let tsa_port = free_port();
    client.ok(&[
        "config",
        "set",
        "tsa.urls",
        &format!("http://127.0.0.1:{tsa_port}/"),
    ]);
    client.ok(&["config", "set", "sync.require-timestamp", "true"]);

    let signed = dir.join("cv-02.signed.pdf");
    sign(&client, &fixtures().corpus.join("cairo.pdf"), &signed);
    client.queue(&signed, &write_meta(&dir, 2));
    // The exchange answers, the TSA does not: the document waits, and says why.
    let (code, report) = client.json(&["sync", "--timeout", "30"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["sent"], 0, "{report}");
    assert_eq!(report["waiting_for_timestamp"], 1, "{report}");
    assert_eq!(
        report["deliveries"][0]["error_code"], "TSA_UNREACHABLE",
        "{report}"
    );
    assert!(
        exchange.documents().is_empty(),
        "nothing reached the exchange"
    );
    let text = client.ok(&["outbox", "--lang", "en"]);
    assert!(
        text.contains("timestamp due") && text.contains("cannot be reached"),
        "{text}"
    );

    let _tsa = Tsa::serve_on(&tsa_dir, tsa_port, &[]);
    // The retry waits a minute after a failed timestamp; the user's retry is now.
    let id = client.outbox()[0]["id"].to_string();
    client.ok(&["outbox", "retry", &id]);
    let (code, report) = client.json(&["sync", "--timeout", "120"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["sent"], 1, "{report}");
    let sent = &client.outbox()[0];
    assert_eq!(sent["level"], "B-T", "{sent}");
    assert_eq!(exchange.documents().len(), 1);
}
