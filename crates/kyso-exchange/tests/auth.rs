//! OAuth2 client credentials and bearer tokens (docs/exchange-api.md §1).

mod common;

use common::{Server, assert_error, json};

#[test]
fn token_for_good_credentials_and_401_for_bad_ones() {
    let s = Server::start(None);
    let mut r = s
        .agent
        .post(s.url("/oauth/token"))
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", "demo"),
            ("client_secret", "demo-secret"),
        ])
        .expect("token");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let v = json(&mut r);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    let token = v["access_token"].as_str().expect("token").to_string();
    assert!(token.len() >= 32);

    // The token opens the API.
    let mut r = s.get(&token, "/api/v1/inbox");
    assert_eq!(r.status(), 200);
    assert_eq!(json(&mut r)["items"], serde_json::json!([]));

    for (id, secret) in [("demo", "wrong"), ("nobody", "demo-secret"), ("", "")] {
        let mut r = s
            .agent
            .post(s.url("/oauth/token"))
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .expect("token");
        assert_error(&mut r, 401, "invalid_client");
    }
    // HTTP Basic client authentication (RFC 6749 §2.3.1) works too.
    let mut r = s
        .agent
        .post(s.url("/oauth/token"))
        .header("Authorization", "Basic ZGVtbzpkZW1vLXNlY3JldA==")
        .send_form([("grant_type", "client_credentials")])
        .expect("token");
    assert_eq!(r.status(), 200, "{}", json(&mut r));
    let mut r = s
        .agent
        .post(s.url("/oauth/token"))
        .send_form([("grant_type", "password")])
        .expect("token");
    assert_error(&mut r, 400, "unsupported_grant_type");
}

#[test]
fn missing_unknown_and_expired_tokens_are_401_invalid_token() {
    let s = Server::start(Some(
        r#"
token_ttl_seconds = 1

[[clients]]
client_id = "so-tttt"
client_secret = "bí mật"
organ_id = "000.01.35.H35"
organ_name = "Sở Thông tin và Truyền thông"
"#,
    ));
    let mut r = s.agent.get(s.url("/api/v1/inbox")).call().expect("GET");
    assert_error(&mut r, 401, "invalid_token");
    assert!(r.headers().get("www-authenticate").is_some());
    let mut r = s.get("0123456789abcdef", "/api/v1/inbox");
    assert_error(&mut r, 401, "invalid_token");

    // The configured client replaces the default one.
    let mut r = s
        .agent
        .post(s.url("/oauth/token"))
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", "demo"),
            ("client_secret", "demo-secret"),
        ])
        .expect("token");
    assert_error(&mut r, 401, "invalid_client");

    let token = s.token_for("so-tttt", "bí mật");
    assert_eq!(s.get(&token, "/api/v1/inbox").status(), 200);
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let mut r = s.get(&token, "/api/v1/inbox");
    let v = assert_error(&mut r, 401, "invalid_token");
    assert!(
        v["message"].as_str().unwrap_or("").contains("expired"),
        "{v}"
    );
}

#[test]
fn unknown_routes_and_methods_answer_json_errors() {
    let s = Server::start(None);
    let mut r = s.agent.get(s.url("/nowhere")).call().expect("GET");
    assert_error(&mut r, 404, "not_found");
    let mut r = s.agent.get(s.url("/oauth/token")).call().expect("GET");
    assert_error(&mut r, 405, "method_not_allowed");
}
