//! The provincial dialects' JSON answers (kyso-sync's `vdxp::wire` and `lgsp_v1::wire`,
//! docs/exchange-dialects.md) on arbitrary bytes: reading them, and what the client does with
//! what it read (the sent list's lookup, the envelope's codes, a JWT's lifetime), must never
//! panic, whatever a platform or a man in the middle sends.
#![no_main]

use kyso_sync::lgsp_v1::wire as lgsp;
use kyso_sync::vdxp::{self, wire as vdxp_wire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vdxp_wire::parse_answer::<vdxp_wire::SendAnswer>(data);
    let _ = vdxp_wire::parse_answer::<vdxp_wire::BasicAnswer>(data);
    let _ = vdxp_wire::parse_answer::<vdxp_wire::EdocAnswer>(data);
    if let Ok(list) = vdxp_wire::parse_answer::<vdxp_wire::ReceivedListAnswer>(data) {
        for item in list.data.unwrap_or_default() {
            let _ = vdxp_wire::is_sender_mismatch(&item.status_desc);
        }
    }
    if let Ok(sent) = vdxp_wire::parse_answer::<vdxp_wire::SentListAnswer>(data) {
        let items = sent.data.unwrap_or_default();
        let _ = vdxp::match_sent(
            &items,
            "000.00.00.H35",
            "edoc",
            "000.00.00.H35,2026/11/20,1/QĐ-UBND",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        );
        for item in &items {
            if let Some(hash) = &item.hash_file {
                let _ = vdxp_wire::hash_file_matches(hash, "00");
            }
        }
    }
    if let Ok(envelope) = lgsp::parse_envelope(data) {
        let _ = lgsp::token_of(&envelope);
        let _ = lgsp::doc_id_of(&envelope);
        let _ = lgsp::list_of(&envelope);
        let _ = lgsp::edoc_base64_of(&envelope);
        let _ = lgsp::kyso_code(envelope.code);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lgsp::jwt_lifetime(text);
        let _ = vdxp_wire::is_timestamp(text);
        let _ = vdxp_wire::verify_request(
            |name| (name == vdxp_wire::SIGN_HEADER || name == vdxp_wire::HASH_HEADER)
                .then(|| text.to_string()),
            |_| Some(b"key".to_vec()),
        );
    }
});
