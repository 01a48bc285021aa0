//! The local RFC 3161 TSA of the tests: tests/tsa/tsa_server.py answering with `openssl ts
//! -reply`, its certificate (critical EKU timeStamping) issued by the test PKI's
//! intermediate by tests/tsa/make-tsa.sh.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{KillOnDrop, fixtures, repo, run_ok};

/// The local TSA, killed when dropped.
pub struct Tsa {
    _server: KillOnDrop,
    pub url: String,
}

impl Tsa {
    pub fn start(dir: &Path) -> Self {
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
        let mut child = Command::new(&fixtures().python)
            .arg(repo().join("tests/tsa/tsa_server.py"))
            .arg(&tsa_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/tsa/tsa_server.py");
        let stdout = child.stdout.take().expect("stdout");
        let server = KillOnDrop(child);
        // The server prints the port it bound (port 0: a free one) once it listens.
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
        }
    }
}
