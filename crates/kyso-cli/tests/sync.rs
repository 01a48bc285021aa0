//! The offline outbox and the exchange, end to end: the real `kyso` CLI against the real
//! reference exchange on loopback, under injected faults, crashes and restarts (issue 5).

mod common;
mod exchange_harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sign, fixtures, out_dir, sha256};
use exchange_harness::*;

/// Outbox entries by idempotency key, and the server's documents by idempotency key: each
/// queued document arrived exactly once, with the receipt the client stored and the same bytes.
fn assert_exactly_once(client: &Client, exchange: &Exchange, expected: usize) {
    let outbox = client.outbox();
    assert_eq!(outbox.len(), expected, "outbox size");
    let documents = exchange.documents();
    let mut by_key: BTreeMap<String, Vec<&serde_json::Value>> = BTreeMap::new();
    for d in &documents {
        let key = d["idempotency_key"].as_str().unwrap_or("").to_string();
        by_key.entry(key).or_default().push(d);
    }
    assert_eq!(
        documents.len(),
        expected,
        "the exchange holds {} documents for {expected} queued",
        documents.len()
    );
    for entry in &outbox {
        assert_eq!(entry["state"], "sent", "not delivered: {entry}");
        let key = entry["idempotency_key"].as_str().expect("key");
        let arrived = by_key.get(key).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(
            arrived.len(),
            1,
            "key {key} arrived {} times",
            arrived.len()
        );
        let server = arrived[0];
        assert_eq!(
            server["receipt_id"], entry["receipt_id"],
            "the stored receipt is the server's"
        );
        let hashes: Vec<&str> = server["attachments"]
            .as_array()
            .expect("attachments")
            .iter()
            .filter_map(|a| a["sha256"].as_str())
            .collect();
        assert_eq!(hashes, [entry["document_sha256"].as_str().expect("sha")]);
    }
}

fn write_meta(dir: &Path, number: u32) -> std::path::PathBuf {
    let path = dir.join(format!("meta-{number}.toml"));
    std::fs::write(&path, meta_toml(number)).expect("meta");
    path
}

#[test]
fn five_hundred_documents_arrive_exactly_once_through_thirty_percent_faults() {
    let dir = out_dir("sync-500");
    let faults = "[faults]\nseed = 500\ndrop_rate = 0.10\nerror_500_rate = 0.08\n\
                  error_503_rate = 0.07\nthrottle_rate = 0.05\nretry_after_seconds = 1\n";
    let exchange = Exchange::start(&dir.join("server"), &server_config(faults));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    let files = signed_pdfs(&dir, 500);
    let meta = write_meta(&dir, 1);
    for file in &files {
        client.queue(file, &meta);
    }
    // The user's copies may go: the store holds the bytes.
    std::fs::remove_dir_all(dir.join("signed")).expect("remove the user's copies");

    let started = Instant::now();
    let (code, report) = client.json(&["sync", "--timeout", "600"]);
    assert_eq!(code, 0, "kyso sync: {report}");
    assert_eq!(report["sent"], 500, "{report}");
    assert!(
        report["retries"].as_u64().unwrap_or(0) > 50,
        "30% of requests were faulted, so many retries were needed: {}",
        report["retries"]
    );
    eprintln!(
        "500 documents through 30% faults: {:.1} s, {} retries",
        started.elapsed().as_secs_f64(),
        report["retries"]
    );
    assert_exactly_once(&client, &exchange, 500);

    // A second run has nothing to do and sends nothing again.
    let (code, report) = client.json(&["sync"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["sent"], 0);
    assert_exactly_once(&client, &exchange, 500);
}

#[test]
fn kill_nine_at_fifty_random_instants_loses_and_duplicates_nothing() {
    let dir = out_dir("sync-kill9");
    let faults = "[faults]\nseed = 9\ndrop_rate = 0.05\ndelay_rate = 0.3\ndelay_ms = 15\n";
    let exchange = Exchange::start(&dir.join("server"), &server_config(faults));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    let files = signed_pdfs(&dir, 120);
    let meta = write_meta(&dir, 2);
    // Documents keep being queued between the crashes, as an official keeps signing.
    let mut queued = 0;
    let mut rng_state: u64 = 0x9e3779b97f4a7c15;
    for trial in 0..50 {
        for file in files.iter().skip(queued).take(2) {
            client.queue(file, &meta);
            queued += 1;
        }
        let mut sync = client
            .kyso()
            .args(["sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kyso sync");
        // xorshift: reproducible "random" instants between 0 and 400 ms.
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        std::thread::sleep(Duration::from_millis(rng_state % 400));
        sync.kill().expect("kill -9 kyso sync");
        let _ = sync.wait();
        let _ = trial;
    }
    for file in files.iter().skip(queued) {
        client.queue(file, &meta);
    }
    let (code, report) = client.json(&["sync", "--timeout", "300"]);
    assert_eq!(code, 0, "final sync: {report}");
    assert_exactly_once(&client, &exchange, files.len());
}

#[test]
fn a_server_restart_and_a_dropped_connection_resume_a_300_mb_upload() {
    let dir = out_dir("sync-300mb");
    let mut exchange = Exchange::start(&dir.join("server"), &server_config(""));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    // A 300 MB scan-like PDF, signed by Kyso.
    let big = dir.join("big.pdf");
    let status = std::process::Command::new("bash")
        .arg(common::repo().join("tests/corpus/make-big.sh"))
        .arg(&dir)
        .arg("300")
        .arg("big.pdf")
        .status()
        .expect("make-big.sh");
    assert!(status.success(), "make-big.sh failed");
    let signed = dir.join("big-signed.pdf");
    let (out, json) = Sign::new(&big, &signed, "signer-modern.p12").run();
    assert!(out.status.success(), "kyso sign: {json}");
    std::fs::remove_file(&big).expect("remove unsigned");
    let meta = write_meta(&dir, 3);
    let entry = client.queue(&signed, &meta);
    let sha = entry["document_sha256"].as_str().expect("sha").to_string();

    let sync = client
        .kyso()
        .args(["sync", "--timeout", "300", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kyso sync");
    // Restart the server once part of the blob has arrived.
    let partial = find_partial(&exchange.dir, &sha, Duration::from_secs(120), 32 << 20);
    exchange.restart();
    let out = sync.wait_with_output().expect("sync output");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sync JSON");
    assert!(out.status.success(), "sync after restart: {report}");
    assert_eq!(report["sent"], 1);
    assert!(report["retries"].as_u64().unwrap_or(0) >= 1, "{report}");
    eprintln!("the server restarted with {partial} bytes of the blob held");
    assert_exactly_once(&client, &exchange, 1);

    // Then a second copy of the bytes under a new document: the blob is already complete,
    // nothing is uploaded again; now with dropped connections on every third request.
    drop(exchange);
    let faults = "[faults]\nseed = 3\ndrop_rate = 0.34\n";
    let exchange = Exchange::start(&dir.join("server2"), &server_config(faults));
    let client = Client::new(
        &dir.join("home2"),
        &exchange.url(),
        CLIENT_ID,
        CLIENT_SECRET,
    );
    client.queue(&signed, &meta);
    let (code, report) = client.json(&["sync", "--timeout", "300"]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report["retries"].as_u64().unwrap_or(0) >= 1,
        "drops were injected: {report}"
    );
    assert_exactly_once(&client, &exchange, 1);
    assert_eq!(
        exchange.documents()[0]["attachments"][0]["sha256"],
        sha.as_str()
    );
    assert_eq!(sha256(&signed), sha);
}

/// Waits until the server holds at least `min` bytes of the blob `sha` (partial upload).
fn find_partial(server_dir: &Path, sha: &str, timeout: Duration, min: u64) -> u64 {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        for path in walk(server_dir) {
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(sha))
                && let Ok(meta) = std::fs::metadata(&path)
                && meta.len() >= min
            {
                return meta.len();
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the server never held {min} bytes of {sha}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn wrong_credentials_and_refused_documents_wait_for_the_user() {
    let dir = out_dir("sync-refusals");
    let exchange = Exchange::start(&dir.join("server"), &server_config(""));

    // Wrong secret: login refuses it and stores nothing.
    let home = dir.join("wrong");
    std::fs::create_dir_all(&home).expect("home");
    let wrong = Client::new(
        &dir.join("right"),
        &exchange.url(),
        CLIENT_ID,
        CLIENT_SECRET,
    );
    let secret_file = dir.join("wrong-secret.txt");
    std::fs::write(&secret_file, "not-the-secret").expect("secret");
    let out = wrong
        .kyso()
        .env("KYSO_HOME", &home)
        .args(["config", "set", "exchange.url", &exchange.url()])
        .output()
        .expect("config");
    assert!(out.status.success());
    let out = wrong
        .kyso()
        .env("KYSO_HOME", &home)
        .args(["config", "set", "exchange.client-id", "nobody"])
        .output()
        .expect("config");
    assert!(out.status.success());
    let out = wrong
        .kyso()
        .env("KYSO_HOME", &home)
        .arg("login")
        .arg("--secret-file")
        .arg(&secret_file)
        .output()
        .expect("login");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("EXCHANGE_INVALID_CLIENT"), "{stderr}");
    let out = wrong
        .kyso()
        .env("KYSO_HOME", &home)
        .args(["sync", "--json"])
        .output()
        .expect("sync");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(value["code"], "EXCHANGE_NOT_LOGGED_IN", "{value}");

    // An unsigned PDF is refused (02) with the server's reason, and not sent again.
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    let meta = write_meta(&dir, 4);
    let unsigned = fixtures().corpus.join("reportlab-vi.pdf");
    let entry = client.queue(&unsigned, &meta);
    let (code, report) = client.json(&["sync"]);
    assert_eq!(code, 1, "a refusal is reported: {report}");
    assert_eq!(report["refused"], 1, "{report}");
    let id = entry["id"].as_i64().expect("id");
    let (_, status) = client.json(&["status", &id.to_string()]);
    assert_eq!(status["entry"]["state"], "refused", "{status}");
    assert_eq!(status["history"][0]["code"], "02", "{status}");
    let reason = status["entry"]["last_error"].as_str().unwrap_or("");
    assert!(
        reason.contains("reportlab-vi.pdf"),
        "the reason names the file: {reason}"
    );
    let attempts = status["attempts"].as_array().map(Vec::len);
    let (code, report) = client.json(&["sync"]);
    assert_eq!(code, 0, "nothing left to send: {report}");
    assert_eq!(report["sent"], 0);
    let (_, status) = client.json(&["status", &id.to_string()]);
    assert_eq!(
        status["attempts"].as_array().map(Vec::len),
        attempts,
        "not retried"
    );
    assert_eq!(exchange.documents().len(), 1);

    // Metadata problems are all reported before anything is queued.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        meta_toml(5)
            .replace("2026-11-20", "20/11/2026")
            .replace(ORGAN_ID, "H35"),
    )
    .expect("bad meta");
    let fresh = Client::new(
        &dir.join("fresh"),
        &exchange.url(),
        CLIENT_ID,
        CLIENT_SECRET,
    );
    let (code, value) = fresh.json(&[
        "queue",
        &unsigned.to_string_lossy(),
        "--meta",
        &bad.to_string_lossy(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(value["code"], "META_INVALID");
    let fields: BTreeSet<&str> = value["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["from.organ_id", "promulgation_date"]),
        "{value}"
    );
    assert!(fresh.outbox().is_empty());
}

#[test]
fn the_inbox_round_trip_works_offline_in_the_middle() {
    let dir = out_dir("sync-inbox");
    let mut exchange = Exchange::start(&dir.join("server"), &server_config(""));
    // The department's official receives a draft from the province's office.
    let draft = fixtures().corpus.join("reportlab-vi.pdf");
    exchange.send_to(PEER_ORGAN, &draft, "Dự thảo kế hoạch chuyển đổi số 2027");
    let official = Client::new(&dir.join("home"), &exchange.url(), PEER_ID, PEER_SECRET);
    let (code, inbox) = official.json(&["inbox", "fetch"]);
    assert_eq!(code, 0, "{inbox}");
    let item = inbox[0].clone();
    assert_eq!(item["subject"], "Dự thảo kế hoạch chuyển đổi số 2027");
    let id = item["id"].as_i64().expect("inbox id").to_string();
    let path = item["attachments"][0]["path"]
        .as_str()
        .expect("path")
        .to_string();
    assert_eq!(sha256(Path::new(&path)), sha256(&draft));

    // Offline: the server is gone; the official reads, signs and replies.
    exchange.stop();
    let (code, inbox) = official.json(&["inbox"]);
    assert_eq!(code, 0);
    assert_eq!(inbox.as_array().map(Vec::len), Some(1));
    let signed = dir.join("signed-reply.pdf");
    let (out, json) = Sign::new(Path::new(&path), &signed, "signer-modern.p12").run();
    assert!(out.status.success(), "kyso sign: {json}");
    // No recipient: a reply goes to the answered document's sender.
    let meta = dir.join("reply.toml");
    std::fs::write(
        &meta,
        format!(
            r#"code_number = "77"
code_notation = "BC-STTTT"
promulgation_place = "Phủ Lý"
promulgation_date = "2026-11-22"
document_type = "2"
document_type_name = "Báo cáo"
subject = "Góp ý dự thảo kế hoạch chuyển đổi số 2027"

[from]
organ_id = "{PEER_ORGAN}"
name = "Sở Thông tin và Truyền thông tỉnh Hà Nam"

[signer]
competence = "KT. Giám đốc"
position = "Phó Giám đốc"
full_name = "Trần Thị Bình"
"#
        ),
    )
    .expect("reply meta");
    let (code, entry) = official.json(&[
        "reply",
        &id,
        &signed.to_string_lossy(),
        "--meta",
        &meta.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{entry}");
    let (code, report) = official.json(&["sync", "--once"]);
    assert_eq!(code, 1, "the exchange is down: {report}");
    assert_eq!(report["queued"], 1, "{report}");

    // Back online: the reply arrives, answering the draft.
    exchange.restart();
    let (code, report) = official.json(&["sync", "--timeout", "60"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["sent"], 1);
    let documents = exchange.documents();
    let reply = documents
        .iter()
        .find(|d| d["idempotency_key"] == entry["idempotency_key"])
        .expect("the reply arrived");
    assert_eq!(reply["statuses"][0]["code"], "01", "accepted: {reply}");

    // The draft's sender (the province's office) finds the reply in its inbox, naming the
    // draft it answers.
    let office = Client::new(
        &dir.join("office"),
        &exchange.url(),
        CLIENT_ID,
        CLIENT_SECRET,
    );
    let (code, inbox) = office.json(&["inbox", "fetch"]);
    assert_eq!(code, 0, "{inbox}");
    let answer = inbox
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["subject"] == "Góp ý dự thảo kế hoạch chuyển đổi số 2027")
        })
        .unwrap_or_else(|| panic!("the reply is in the sender's inbox: {inbox}"));
    assert_eq!(answer["from_organ_id"], PEER_ORGAN, "{answer}");
    assert_eq!(
        answer["response_for"]["document_id"], item["document_id"],
        "the reply names the draft: {answer}"
    );
    assert_eq!(
        sha256(Path::new(
            answer["attachments"][0]["path"].as_str().expect("path")
        )),
        sha256(&signed),
        "the signed bytes arrived"
    );
}

/// `KYSO_HOME` on a 1 MiB file system (a tmpfs mounted in a private user and mount namespace,
/// `unshare -rm`, so no root is needed): a small document is queued, a 3 MB one gives
/// STORE_DISK_FULL, and the first is still there with no temp file left behind.
#[test]
fn a_full_disk_gives_a_clear_error_and_loses_nothing() {
    let dir = out_dir("sync-disk-full");
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let small = signed_pdfs(&dir.join("small"), 1).remove(0);
    let big = dir.join("big.pdf");
    let mut bytes = std::fs::read(&small).expect("small");
    bytes.extend(std::iter::repeat_n(b'%', 3 << 20));
    bytes.extend_from_slice(b"\n");
    std::fs::write(&big, bytes).expect("big");
    let meta = write_meta(&dir, 8);
    let script = r#"
set -u
mount -t tmpfs -o size=1m tmpfs "$HOME_DIR" || exit 90
export KYSO_HOME="$HOME_DIR"
"$KYSO" queue "$SMALL" --meta "$META" --json > "$OUT/small.json"; echo $? > "$OUT/small.rc"
cp "$HOME_DIR/store/kyso.db" "$OUT/before.db" 2>/dev/null
"$KYSO" queue "$BIG" --meta "$META" --json > "$OUT/big.json"; echo $? > "$OUT/big.rc"
"$KYSO" outbox --json > "$OUT/outbox.json"; echo $? > "$OUT/outbox.rc"
ls -A "$HOME_DIR/store/tmp" > "$OUT/tmp.txt"
"#;
    let out = std::process::Command::new("unshare")
        .args(["-rm", "bash", "-c", script])
        .env("HOME_DIR", &home)
        .env("KYSO", env!("CARGO_BIN_EXE_kyso"))
        .env("SMALL", &small)
        .env("BIG", &big)
        .env("META", &meta)
        .env("OUT", &dir)
        .output()
        .expect("unshare");
    assert!(
        out.status.success(),
        "unshare -rm could not mount a small file system (user namespaces disabled?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    assert_eq!(read("small.rc").trim(), "0", "{}", read("small.json"));
    assert_eq!(read("big.rc").trim(), "1", "{}", read("big.json"));
    let big: serde_json::Value = serde_json::from_str(&read("big.json")).expect("big json");
    assert_eq!(big["code"], "STORE_DISK_FULL", "{big}");
    assert!(
        big["error"].as_str().unwrap_or("").contains("full"),
        "{big}"
    );
    assert_eq!(read("outbox.rc").trim(), "0");
    let outbox: serde_json::Value = serde_json::from_str(&read("outbox.json")).expect("outbox");
    let names: Vec<&str> = outbox
        .as_array()
        .expect("outbox array")
        .iter()
        .filter_map(|e| e["attachment_name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["qd-0000.signed.pdf"],
        "the small document is kept, the big one not queued"
    );
    assert_eq!(
        read("tmp.txt").trim(),
        "",
        "no partial copy is left in the store"
    );
}

/// Reads JSON lines from `kyso sync --watch --json` until one satisfies `want` (or panics
/// after `timeout`, listing what was seen).
fn wait_for_status(
    lines: &std::sync::mpsc::Receiver<serde_json::Value>,
    timeout: Duration,
    what: &str,
    want: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(status) if want(&status) => return status,
            Ok(status) => seen.push(status),
            Err(_) => break,
        }
    }
    panic!("kyso sync --watch never reported {what}; it said:\n{seen:#?}");
}

/// The background sync (what the desktop app runs): started while the exchange is down, it
/// delivers a document queued in the meantime as soon as the exchange is back, with no
/// further command, and fetches the inbox on its own.
#[test]
fn the_background_sync_delivers_as_soon_as_the_exchange_is_back() {
    let dir = out_dir("sync-watch");
    let mut exchange = Exchange::start(&dir.join("server"), &server_config(""));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    client.ok(&["config", "set", "sync.poll-seconds", "1"]);
    exchange.stop();

    let mut watch = common::KillOnDrop(
        client
            .kyso()
            .args(["sync", "--watch", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kyso sync --watch"),
    );
    let stdout = watch.0.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) {
                let _ = tx.send(value);
            }
        }
    });
    wait_for_status(&lines, Duration::from_secs(30), "offline", |s| {
        s["connection"] == "offline" && s["error_code"] == "EXCHANGE_UNREACHABLE"
    });

    // Signed and queued offline; the loop keeps trying.
    let file = signed_pdfs(&dir, 1).remove(0);
    let entry = client.queue(&file, &write_meta(&dir, 9));
    wait_for_status(
        &lines,
        Duration::from_secs(30),
        "one queued document",
        |s| s["connection"] == "offline" && s["queued"] == 1,
    );
    assert!(exchange.documents().is_empty());

    // Back online: delivered without anyone asking; then the inbox is fetched too.
    exchange.restart();
    let online = wait_for_status(&lines, Duration::from_secs(30), "delivery", |s| {
        s["connection"] == "online" && s["queued"] == 0
    });
    assert!(online["last_success"].is_string(), "{online}");
    assert_exactly_once(&client, &exchange, 1);
    assert_eq!(
        exchange.documents()[0]["idempotency_key"],
        entry["idempotency_key"]
    );
    exchange.send_to(
        ORGAN_ID,
        &fixtures().corpus.join("reportlab-vi.pdf"),
        "Công văn đến trong lúc chạy nền",
    );
    wait_for_status(&lines, Duration::from_secs(30), "an inbox fetch", |s| {
        s["inbox_added"] == 1
    });
    let (_, inbox) = client.json(&["inbox"]);
    assert_eq!(
        inbox[0]["subject"], "Công văn đến trong lúc chạy nền",
        "{inbox}"
    );
    drop(watch);
}

/// The exchange's access tokens expire behind the client's back, in the middle of a run (as
/// when an administrator revokes them, or the server's clock runs ahead): the running `kyso
/// sync` meets 401 invalid_token, asks for a new token once, and delivers everything, exactly
/// once.
#[test]
fn an_expired_token_is_refreshed_mid_run_and_nothing_is_lost() {
    let dir = out_dir("sync-token-expiry");
    // Every request a little slow, so the run lasts long enough to be cut.
    let faults = "[faults]\nseed = 11\ndelay_rate = 1.0\ndelay_ms = 25\n";
    let exchange = Exchange::start(&dir.join("server"), &server_config(faults));
    let client = Client::new(&dir.join("home"), &exchange.url(), CLIENT_ID, CLIENT_SECRET);
    client.ok(&["config", "set", "sync.workers", "2"]);
    let files = signed_pdfs(&dir, 40);
    let meta = write_meta(&dir, 12);
    for file in &files {
        client.queue(file, &meta);
    }
    let sync = client
        .kyso()
        .args(["sync", "--timeout", "120", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kyso sync");

    // Once a few documents arrived, every token the server issued expires.
    let db = rusqlite::Connection::open(&exchange.db).expect("exchange db");
    db.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count("SELECT COUNT(*) FROM documents") < 3 {
        assert!(Instant::now() < deadline, "no document arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    let expired = db
        .execute("UPDATE tokens SET expires_ms = 0", [])
        .expect("expire tokens");
    let arrived_before = count("SELECT COUNT(*) FROM documents");
    assert!(expired >= 1, "the client held a token");
    assert!(
        (arrived_before as usize) < files.len(),
        "the tokens expired while documents were still to be sent ({arrived_before} arrived)"
    );

    let out = sync.wait_with_output().expect("kyso sync");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sync JSON");
    assert!(out.status.success(), "{report}");
    assert_eq!(report["sent"], files.len(), "{report}");
    // A token issued after the expiry: the client refreshed it (its own cache still had an
    // hour to go, so only the 401 made it ask).
    assert!(
        count("SELECT COUNT(*) FROM tokens WHERE expires_ms > 0") >= 1,
        "no new token was issued after the expiry"
    );
    assert_exactly_once(&client, &exchange, files.len());
}
