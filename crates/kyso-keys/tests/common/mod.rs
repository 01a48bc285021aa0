//! A throwaway test PKI made with the openssl CLI (mirrors tests/pki/make-pki.sh):
//! root -> intermediate -> signer with Vietnamese UTF-8 names. Tests fail if openssl is missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SIGNER_SUBJECT: &str = "/C=VN/L=Quảng Ngãi/O=Văn phòng Tỉnh ủy/CN=Nguyễn Văn An";
pub const SIGNER_DISPLAY: &str = "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, L=Quảng Ngãi, C=VN";
pub const INTER_DISPLAY: &str =
    "CN=CA phục vụ các cơ quan Nhà nước Thử nghiệm, O=Ban Cơ yếu Thử nghiệm, C=VN";

const CONFIG: &str = r#"
[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no
[ req_dn ]
CN = placeholder
[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
[ v3_inter ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
"#;

/// Runs a command, panicking with its stderr when it fails or cannot start.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} (is the openssl CLI installed?): {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn openssl(dir: &Path) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir);
    cmd
}

pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// root, inter, signer (RSA `signer_bits`) in `dir`.
    pub fn new(dir: &Path, signer_bits: u32) -> Pki {
        std::fs::write(dir.join("ca.cnf"), CONFIG).unwrap();
        let pki = Pki {
            dir: dir.to_path_buf(),
        };
        pki.genkey("root", 2048);
        pki.genkey("inter", 2048);
        pki.genkey("signer", signer_bits);
        run(openssl(dir).args([
            "req",
            "-x509",
            "-new",
            "-config",
            "ca.cnf",
            "-utf8",
            "-key",
            "root.key",
            "-subj",
            "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=Kyso Test Root CA",
            "-days",
            "3650",
            "-extensions",
            "v3_root",
            "-sha256",
            "-out",
            "root.pem",
        ]));
        pki.issue(
            "inter",
            "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=CA phục vụ các cơ quan Nhà nước Thử nghiệm",
            "root",
            "v3_inter",
        );
        pki.issue("signer", SIGNER_SUBJECT, "inter", "v3_signer");
        let chain = [pki.read("inter.pem"), pki.read("root.pem")].concat();
        std::fs::write(dir.join("chain.pem"), chain).unwrap();
        pki
    }

    pub fn genkey(&self, name: &str, bits: u32) {
        run(openssl(&self.dir).args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            &format!("{name}.key"),
        ]));
    }

    pub fn issue(&self, name: &str, subject: &str, ca: &str, ext: &str) {
        run(openssl(&self.dir).args([
            "req",
            "-new",
            "-config",
            "ca.cnf",
            "-utf8",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ]));
        run(openssl(&self.dir).args([
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "730",
            "-sha256",
            "-extfile",
            "ca.cnf",
            "-extensions",
            ext,
            "-out",
            &format!("{name}.pem"),
        ]));
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// DER of a PEM certificate in the PKI dir.
    pub fn cert_der(&self, name: &str) -> Vec<u8> {
        run(openssl(&self.dir).args(["x509", "-in", &format!("{name}.pem"), "-outform", "DER"]))
            .stdout
    }

    /// PKCS#8 DER of a key in the PKI dir.
    pub fn key_pkcs8_der(&self, name: &str) -> Vec<u8> {
        run(openssl(&self.dir).args([
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            &format!("{name}.key"),
            "-outform",
            "DER",
        ]))
        .stdout
    }

    /// `openssl cms -verify` of a detached DER CMS over `data_file`, trusting root.pem.
    /// Returns (success, stderr).
    pub fn openssl_verify(&self, cms_file: &str, data_file: &str) -> (bool, String) {
        let out = openssl(&self.dir)
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                cms_file,
                "-content",
                data_file,
                "-CAfile",
                "root.pem",
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ])
            .output()
            .expect("cannot run openssl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

pub const P12_PASSWORD: &str = "Mật khẩu 123";

impl Pki {
    /// `openssl pkcs12 -export` of `name.key`/`name.pem` with extra options into `out`.
    /// The password is read from a file, as tests/pki/make-pki.sh does.
    pub fn p12(&self, out: &str, name: &str, password: &str, extra: &[&str]) -> Vec<u8> {
        let pass_file = format!("{out}.pass");
        std::fs::write(self.path(&pass_file), password).unwrap();
        let mut cmd = openssl(&self.dir);
        cmd.args([
            "pkcs12",
            "-export",
            "-inkey",
            &format!("{name}.key"),
            "-in",
            &format!("{name}.pem"),
            "-name",
            "Nguyễn Văn An",
            "-passout",
            &format!("file:{pass_file}"),
            "-out",
            out,
        ])
        .args(extra);
        if password.is_empty() {
            // `file:` of an empty file is refused by some versions; `pass:` is what
            // make-pki.sh uses for the empty password.
            let args: Vec<String> = cmd
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let mut c = openssl(&self.dir);
            for a in args {
                if a == format!("file:{pass_file}") {
                    c.arg("pass:");
                } else {
                    c.arg(a);
                }
            }
            run(&mut c);
        } else {
            run(&mut cmd);
        }
        self.read(out)
    }
}
