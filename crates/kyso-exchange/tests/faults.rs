//! Fault injection (docs/exchange-api.md §7): dropped connections, 500/503, 429 with
//! Retry-After, delays; seeded, so reproducible.

mod common;

use std::time::{Duration, Instant};

use common::{Server, assert_error, bytes, json, message, sha256};

fn token_request(s: &Server) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    s.agent.post(s.url("/oauth/token")).send_form([
        ("grant_type", "client_credentials"),
        ("client_id", "demo"),
        ("client_secret", "demo-secret"),
    ])
}

#[test]
fn dropped_connections_keep_half_a_chunk_and_record_documents() {
    let mut s = Server::start(None);
    let token = s.token();
    let data = bytes(200_000, 6);
    let sha = sha256(&data);
    let len = data.len() as u64;
    assert_eq!(
        s.patch(&token, &sha, 0, len, &data[..50_000])
            .expect("PATCH")
            .status(),
        204
    );
    let other = bytes(1000, 7);
    let other_sha = s.upload(&token, &other);

    s.restart(Some("[faults]\nseed = 1\ndrop_rate = 1.0\n"));
    let err = token_request(&s).expect_err("the token request is dropped");
    eprintln!("token request: {err}");
    let err = s
        .patch(&token, &sha, 50_000, len, &data[50_000..150_000])
        .expect_err("the PATCH is dropped");
    eprintln!("PATCH: {err}");
    let xml = message(&["000.01.35.H35"], &[("a.bin", &other_sha)], "9");
    let err = s
        .post_document(&token, "k-dropped", &xml)
        .expect_err("the POST is dropped");
    eprintln!("POST: {err}");

    s.restart(Some(""));
    // Half of the dropped chunk was kept.
    assert_eq!(s.head(&token, &sha), (200, Some(100_000), Some(len)));
    // The document was recorded before its answer was lost: the retry gets the receipt.
    let mut r = s.post_document(&token, "k-dropped", &xml).expect("POST");
    assert_eq!(r.status(), 200);
    assert_eq!(json(&mut r)["status"]["code"], "01");
    assert_eq!(s.documents_json().as_array().map(Vec::len), Some(1));
}

#[test]
fn injected_503_500_and_429() {
    let mut s = Server::start(Some("[faults]\nerror_503_rate = 1.0\n"));
    let mut r = token_request(&s).expect("answer");
    assert_error(&mut r, 503, "injected_fault");
    let mut r = s.get("whatever", "/api/v1/inbox");
    assert_error(&mut r, 503, "injected_fault");

    s.restart(Some("[faults]\nerror_500_rate = 1.0\n"));
    let mut r = token_request(&s).expect("answer");
    assert_error(&mut r, 500, "injected_fault");

    s.restart(Some(
        "[faults]\nthrottle_rate = 1.0\nretry_after_seconds = 7\n",
    ));
    let mut r = token_request(&s).expect("answer");
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7")
    );
    assert_error(&mut r, 429, "injected_fault");
}

#[test]
fn delays_and_reproducible_seeds() {
    let s = Server::start(Some("[faults]\ndelay_rate = 1.0\ndelay_ms = 400\n"));
    let t = Instant::now();
    let r = token_request(&s).expect("answer");
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(400));

    let config = "[faults]\nseed = 42\nerror_500_rate = 0.5\n";
    let pattern = |s: &Server| -> Vec<u16> {
        (0..24)
            .map(|_| token_request(s).expect("answer").status().as_u16())
            .collect()
    };
    let a = pattern(&Server::start(Some(config)));
    let b = pattern(&Server::start(Some(config)));
    assert_eq!(a, b);
    assert!(a.contains(&200) && a.contains(&500), "{a:?}");
}
