//! The `/v1` REST double (`serve --dialect lgsp-v1`) over real HTTP: login and its JWT, the 401
//! without a token, the system headers (code 15), every error code of a send, routing, and a
//! package kept listed until `updateStatus done`.

mod common;

use base64::Engine as _;
use common::{Server, package, status_package, unsigned_pdf};
use kyso_sync::lgsp_v1::wire;

const OFFICE: &str = "000.00.00.H35";
const DEPT: &str = "000.01.35.H35";
const LOCKED: &str = "000.02.35.H35";

fn config(extra: &str) -> String {
    format!(
        r#"locked_organs = ["{LOCKED}"]
{extra}
[[clients]]
client_id = "vanthu-vp"
client_secret = "secret-key-vp"
organ_id = "{OFFICE}"
password = "mat-khau-vp"
application_code = "KYSO"

[[clients]]
client_id = "vanthu-so"
client_secret = "secret-key-so"
organ_id = "{DEPT}"
password = "mat-khau-so"

[[clients]]
client_id = "vanthu-khoa"
client_secret = "secret-key-khoa"
organ_id = "{LOCKED}"
password = "mat-khau-khoa"
"#
    )
}

fn value(r: &mut ureq::http::Response<ureq::Body>) -> serde_json::Value {
    let text = r.body_mut().read_to_string().expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

fn login(s: &Server, user: &str, password: &str, app: &str) -> (u16, serde_json::Value) {
    let mut r = s
        .agent
        .post(s.url(wire::LOGIN_PATH))
        .header("Content-Type", "application/json")
        .send(
            serde_json::json!({"username": user, "password": password, "applicationCode": app})
                .to_string(),
        )
        .expect("login");
    (r.status().as_u16(), value(&mut r))
}

fn token(s: &Server, user: &str, password: &str) -> String {
    let (status, v) = login(s, user, password, "KYSO");
    assert_eq!(status, 200, "{v}");
    v["data"]["token"].as_str().expect("token").to_string()
}

/// A system's credentials for the calls.
struct Caller<'a> {
    token: String,
    system: &'a str,
    secret: &'a str,
}

fn send(s: &Server, c: &Caller<'_>, kind: &str, xml: &str) -> (u16, serde_json::Value) {
    let boundary = "kyso-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"messageType\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"edocFile\"; filename=\"a.edxml\"\r\n\
         Content-Type: application/xml\r\n\r\n{xml}\r\n--{boundary}--\r\n"
    );
    let mut r = s
        .agent
        .post(s.url(wire::SEND_PATH))
        .header("Authorization", format!("Bearer {}", c.token))
        .header(wire::SYSTEM_ID_HEADER, c.system)
        .header(wire::SECRET_KEY_HEADER, c.secret)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .send(body)
        .expect("send");
    (r.status().as_u16(), value(&mut r))
}

fn get(s: &Server, c: &Caller<'_>, path: &str) -> (u16, serde_json::Value) {
    let mut r = s
        .agent
        .get(s.url(path))
        .header("Authorization", format!("Bearer {}", c.token))
        .header(wire::SYSTEM_ID_HEADER, c.system)
        .header(wire::SECRET_KEY_HEADER, c.secret)
        .call()
        .expect("get");
    (r.status().as_u16(), value(&mut r))
}

fn list(s: &Server, c: &Caller<'_>, kind: &str) -> Vec<serde_json::Value> {
    let (status, v) = get(
        s,
        c,
        &format!(
            "{}?messageType={kind}&fromDate=2020/01/01&toDate=2099/12/31",
            wire::LIST_PATH
        ),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["code"], 0, "{v}");
    v["data"].as_array().cloned().unwrap_or_default()
}

#[test]
fn login_token_and_system_headers() {
    let s = Server::start_dialect(Some(&config("token_ttl_seconds = 1\n")), "lgsp-v1");
    let (status, v) = login(&s, "vanthu-vp", "sai-mat-khau", "KYSO");
    assert_eq!(status, 401, "{v}");
    let (status, _) = login(&s, "vanthu-vp", "mat-khau-vp", "KHAC");
    assert_eq!(
        status, 401,
        "a client with an application code needs that one"
    );
    let t = token(&s, "vanthu-vp", "mat-khau-vp");
    assert_eq!(
        wire::jwt_lifetime(&t),
        Some(1),
        "exp − iat is the configured lifetime"
    );

    // No token: the sandbox's own 401.
    let mut r = s
        .agent
        .get(s.url(&format!("{}?messageType=edoc", wire::LIST_PATH)))
        .header(wire::SYSTEM_ID_HEADER, OFFICE)
        .header(wire::SECRET_KEY_HEADER, "secret-key-vp")
        .call()
        .expect("get");
    assert_eq!(r.status(), 401);
    let v = value(&mut r);
    assert_eq!(v["licenseInfo"], "invalid", "{v}");
    assert_eq!(v["code"], 401);

    let office = Caller {
        token: t.clone(),
        system: OFFICE,
        secret: "secret-key-vp",
    };
    assert!(list(&s, &office, "edoc").is_empty());
    // The token with another system's key: code 15.
    let wrong = Caller {
        token: t,
        system: OFFICE,
        secret: "secret-key-so",
    };
    let (status, v) = get(&s, &wrong, &format!("{}?messageType=edoc", wire::LIST_PATH));
    assert_eq!((status, v["code"].as_i64()), (200, Some(15)), "{v}");
    // The token expires.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (status, _) = get(
        &s,
        &office,
        &format!("{}?messageType=edoc", wire::LIST_PATH),
    );
    assert_eq!(status, 401, "an expired token");
}

#[test]
fn every_error_code_of_a_send() {
    let s = Server::start_dialect(Some(&config("")), "lgsp-v1");
    let office = Caller {
        token: token(&s, "vanthu-vp", "mat-khau-vp"),
        system: OFFICE,
        secret: "secret-key-vp",
    };
    let pdf = unsigned_pdf("x");
    let code = |xml: &str| {
        let (status, v) = send(&s, &office, "edoc", xml);
        assert_eq!(status, 200, "{v}");
        v["code"].as_i64().expect("code")
    };
    assert_eq!(code("this is not XML"), 10);
    assert_eq!(
        code(&package(DEPT, &[OFFICE], "1", &pdf)),
        19,
        "From is not X-SystemId"
    );
    assert_eq!(code(&package(OFFICE, &["000.77.77.H35"], "2", &pdf)), 18);
    assert_eq!(code(&package(OFFICE, &[LOCKED], "3", &pdf)), 23);
    let broken = package(OFFICE, &[DEPT], "4", &pdf).replacen(
        "<ContentTransferEncoded>",
        "<ContentTransferEncoded>!!!",
        1,
    );
    assert_eq!(code(&broken), 21, "an attachment whose base64 is broken");
    let no_subject = package(OFFICE, &[DEPT], "5", &pdf)
        .replace("<edXML:Subject>", "<edXML:Other>")
        .replace("</edXML:Subject>", "</edXML:Other>");
    assert_eq!(code(&no_subject), 22, "an edXML missing its Subject");
    assert!(s.packages().is_empty());

    let s = Server::start_dialect(
        Some(&config("[faults]\nplatform_error_rate = 1.0\n")),
        "lgsp-v1",
    );
    let office = Caller {
        token: token(&s, "vanthu-vp", "mat-khau-vp"),
        system: OFFICE,
        secret: "secret-key-vp",
    };
    let (_, v) = send(&s, &office, "edoc", &package(OFFICE, &[DEPT], "6", &pdf));
    assert_eq!(v["code"], 20, "{v}");
    assert!(s.packages().is_empty());
}

#[test]
fn a_package_goes_round_and_a_status_comes_back() {
    let s = Server::start_dialect(Some(&config("")), "lgsp-v1");
    let office = Caller {
        token: token(&s, "vanthu-vp", "mat-khau-vp"),
        system: OFFICE,
        secret: "secret-key-vp",
    };
    let dept = Caller {
        token: token(&s, "vanthu-so", "mat-khau-so"),
        system: DEPT,
        secret: "secret-key-so",
    };
    let xml = package(OFFICE, &[DEPT], "12", &unsigned_pdf("round"));
    let (status, v) = send(&s, &office, "edoc", &xml);
    assert_eq!((status, v["code"].as_i64()), (200, Some(0)), "{v}");
    assert!(v["data"]["docId"].is_string(), "{v}");

    let items = list(&s, &dept, "edoc");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["from"], OFFICE);
    let id = items[0]["docId"].as_str().expect("docId").to_string();
    let (status, v) = get(&s, &dept, &format!("{}?docId={id}", wire::GET_PATH));
    assert_eq!(status, 200, "{v}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v["data"]["data"].as_str().expect("data.data"))
        .expect("base64");
    assert_eq!(bytes, xml.as_bytes());
    // The office cannot read the department's copy.
    let (status, _) = get(&s, &office, &format!("{}?docId={id}", wire::GET_PATH));
    assert_eq!(status, 404);
    assert_eq!(list(&s, &dept, "edoc").len(), 1, "listed until done");
    let mut r = s
        .agent
        .post(s.url(wire::UPDATE_STATUS_PATH))
        .header("Authorization", format!("Bearer {}", dept.token))
        .header(wire::SYSTEM_ID_HEADER, DEPT)
        .header(wire::SECRET_KEY_HEADER, "secret-key-so")
        .header("Content-Type", "application/json")
        .send(serde_json::json!({"docId": id, "status": "done"}).to_string())
        .expect("update");
    assert_eq!(value(&mut r)["code"], 0);
    assert!(list(&s, &dept, "edoc").is_empty());

    let document_id = format!("{OFFICE},2026/11/20,12/QĐ-UBND");
    let refusal = status_package(DEPT, OFFICE, &document_id, "02", "Gửi nhầm đơn vị");
    let (_, v) = send(&s, &dept, "status", &refusal);
    assert_eq!(v["code"], 0, "{v}");
    let statuses = list(&s, &office, "status");
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0]["messageType"], "status");
}
