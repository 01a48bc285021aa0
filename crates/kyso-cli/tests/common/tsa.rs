//! The local RFC 3161 TSA of the tests: tests/tsa/tsa_server.py answering with `openssl ts
//! -reply`, its certificate (critical EKU timeStamping) issued by the test PKI's
//! intermediate by tests/tsa/make-tsa.sh. The server also plays the misbehaving TSAs
//! (`--mode reject`, `wrong-imprint`, `wrong-nonce`, `no-eku`, `slow`, `auth`,
//! `rate-limit`, `http-error`: see its --help).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{KillOnDrop, fixtures, repo, run_ok};

/// A local TSA, killed when dropped.
pub struct Tsa {
    _server: KillOnDrop,
    pub url: String,
    pub port: u16,
}

impl Tsa {
    /// The good TSA, its certificate made in `dir/tsa`.
    pub fn start(dir: &Path) -> Self {
        Tsa::serve(&Tsa::make(dir), &[])
    }

    /// Makes the TSA certificates (the good one and the misbehaving ones) in `dir/tsa`.
    pub fn make(dir: &Path) -> PathBuf {
        let tsa_dir = dir.join("tsa");
        run_ok(
            "bash",
            &[
                repo().join("tests/tsa/make-tsa.sh").as_os_str(),
                tsa_dir.as_os_str(),
                fixtures().pki.as_os_str(),
            ],
            dir,
        );
        tsa_dir
    }

    /// Serves the TSA of `tsa_dir` (made by [`Tsa::make`], or a folder with the same
    /// files) on a free port, with tsa_server.py's `args` (`--mode reject`, …).
    pub fn serve(tsa_dir: &Path, args: &[&str]) -> Self {
        Tsa::serve_on(tsa_dir, 0, args)
    }

    /// The same on `port` (0: a free one), to start a TSA again where it was.
    pub fn serve_on(tsa_dir: &Path, port: u16, args: &[&str]) -> Self {
        let mut child = Command::new(&fixtures().python)
            .arg(repo().join("tests/tsa/tsa_server.py"))
            .arg(tsa_dir)
            .args(["--port", &port.to_string(), "--quiet"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/tsa/tsa_server.py");
        let stdout = child.stdout.take().expect("stdout");
        let server = KillOnDrop(child);
        // The server prints the port it bound once it listens.
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the TSA's port");
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the TSA did not start: {line:?}"));
        Tsa {
            _server: server,
            url: format!("http://127.0.0.1:{port}/"),
            port,
        }
    }
}
