//! Content-addressed, resumable blobs (docs/exchange-api.md §2).

mod common;

use common::{Server, assert_error, bytes, sha256};

#[test]
fn upload_in_three_chunks_with_a_wrong_offset_then_digest_mismatch() {
    let s = Server::start(None);
    let token = s.token();
    let data = bytes(300_000, 1);
    let sha = sha256(&data);
    let len = data.len() as u64;

    assert_eq!(s.head(&token, &sha).0, 404);
    let r = s
        .patch(&token, &sha, 0, len, &data[..100_000])
        .expect("PATCH 1");
    assert_eq!(r.status(), 204);
    assert_eq!(common::header_u64(&r, "upload-offset"), Some(100_000));
    assert_eq!(s.head(&token, &sha), (200, Some(100_000), Some(len)));

    // A chunk at the wrong offset: 409 and where to continue.
    let mut r = s
        .patch(&token, &sha, 200_000, len, &data[200_000..])
        .expect("PATCH wrong");
    assert_eq!(common::header_u64(&r, "upload-offset"), Some(100_000));
    assert_error(&mut r, 409, "offset_mismatch");
    // Replaying the first chunk is also a mismatch (the client continues from 100 000).
    let mut r = s
        .patch(&token, &sha, 0, len, &data[..100_000])
        .expect("PATCH 1 again");
    assert_error(&mut r, 409, "offset_mismatch");

    let r = s
        .patch(&token, &sha, 100_000, len, &data[100_000..200_000])
        .expect("PATCH 2");
    assert_eq!(r.status(), 204);
    let r = s
        .patch(&token, &sha, 200_000, len, &data[200_000..])
        .expect("PATCH 3");
    assert_eq!(r.status(), 204);
    assert_eq!(common::header_u64(&r, "upload-offset"), Some(len));
    assert_eq!(s.head(&token, &sha), (200, Some(len), Some(len)));
    let blob = s.dir.path().join("exchange.db.blobs").join(&sha);
    assert_eq!(std::fs::read(&blob).expect("blob file"), data);
    assert!(
        !s.dir
            .path()
            .join("exchange.db.blobs/partial")
            .join(&sha)
            .exists()
    );

    // Uploading the same bytes again stores nothing new: the blob is complete.
    let mut r = s
        .patch(&token, &sha, 0, len, &data[..10])
        .expect("PATCH done");
    assert_eq!(common::header_u64(&r, "upload-offset"), Some(len));
    assert_error(&mut r, 409, "offset_mismatch");

    // Bytes that do not hash to the name: 422, and the server keeps nothing.
    let wrong = sha256(b"something else");
    let r = s.patch(&token, &wrong, 0, 20, &data[..10]).expect("PATCH");
    assert_eq!(r.status(), 204);
    let mut r = s
        .patch(&token, &wrong, 10, 20, &data[10..20])
        .expect("PATCH");
    assert_error(&mut r, 422, "digest_mismatch");
    assert_eq!(s.head(&token, &wrong).0, 404);
}

#[test]
fn limits_and_bad_requests() {
    let s = Server::start(Some("max_blob_bytes = 1000\n"));
    let token = s.token();
    let data = bytes(2000, 2);
    let sha = sha256(&data);
    let mut r = s.patch(&token, &sha, 0, 2000, &data[..10]).expect("PATCH");
    assert_error(&mut r, 413, "blob_too_large");
    let mut r = s.patch(&token, "ABC", 0, 10, b"0123456789").expect("PATCH");
    assert_error(&mut r, 400, "bad_request");
    // A chunk that goes past Upload-Length.
    let small = &data[..100];
    let mut r = s
        .patch(&token, &sha256(small), 0, 50, small)
        .expect("PATCH");
    assert_error(&mut r, 400, "bad_request");
    // Missing headers.
    let mut r = s
        .agent
        .patch(s.url(&format!("/api/v1/blobs/{}", sha256(small))))
        .header("Authorization", format!("Bearer {token}"))
        .send(small)
        .expect("PATCH");
    assert_error(&mut r, 400, "bad_request");

    let s = Server::start(None);
    let token = s.token();
    // A full 8 MiB chunk at the wrong offset: the 409 reaches the client (the server reads
    // the chunk before answering rather than closing the connection under it).
    let full = vec![5u8; 8 * 1024 * 1024];
    let len = 3 * full.len() as u64;
    let sha = sha256(b"any name");
    let mut r = s
        .patch(&token, &sha, full.len() as u64, len, &full)
        .expect("PATCH");
    assert_eq!(common::header_u64(&r, "upload-offset"), Some(0));
    assert_error(&mut r, 409, "offset_mismatch");
    let r = s.patch(&token, &sha, 0, len, &full).expect("PATCH");
    assert_eq!(r.status(), 204);
    assert_eq!(
        s.head(&token, &sha),
        (200, Some(full.len() as u64), Some(len))
    );
    let big = vec![7u8; 8 * 1024 * 1024 + 1];
    let mut r = s
        .patch(&token, &sha256(&big), 0, big.len() as u64, &big)
        .expect("PATCH");
    assert_error(&mut r, 413, "chunk_too_large");
}

#[test]
fn upload_resumes_after_a_server_restart() {
    let mut s = Server::start(None);
    let token = s.token();
    let data = bytes(250_000, 3);
    let sha = sha256(&data);
    let len = data.len() as u64;
    assert_eq!(
        s.patch(&token, &sha, 0, len, &data[..120_000])
            .expect("PATCH")
            .status(),
        204
    );

    s.restart(None);
    // Tokens are kept (hashed) in the database: the same one still works.
    assert_eq!(s.head(&token, &sha), (200, Some(120_000), Some(len)));
    let r = s
        .patch(&token, &sha, 120_000, len, &data[120_000..])
        .expect("PATCH");
    assert_eq!(r.status(), 204);
    assert_eq!(s.head(&token, &sha), (200, Some(len), Some(len)));
}

#[test]
fn blobs_are_downloaded_only_by_organs_that_may_read_them() {
    let s = Server::start(None);
    let token = s.token();
    let data = bytes(70_000, 4);
    let sha = s.upload(&token, &data);
    // Complete, but part of no document: nobody may read it.
    let mut r = s.get(&token, &format!("/api/v1/blobs/{sha}"));
    assert_error(&mut r, 404, "not_found");
}
