//! A two-level test CA for the revocation tests (verify_revocation, verify_ocsp): a root and
//! an intermediate, each an `openssl ca` with its own database, so that certificates can be
//! revoked and CRLs published while a test runs. UTF-8 subjects (Vietnamese names), keys of
//! 2048 bits, validity from an hour ago for a year, random serials.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::run_ok;

/// Who issues a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuer {
    /// The root signs itself.
    SelfSigned,
    Root,
    Inter,
}

/// The CA's folder: `ca.cnf`, `db-root/`, `db-inter/`, `NAME.key`, `NAME.pem`, `NAME.p12`,
/// `password.txt` (the .p12 password), `chain.pem` (inter then root).
pub struct TestCa {
    pub dir: PathBuf,
    /// `-startdate` of every certificate: an hour ago.
    start: String,
}

impl TestCa {
    /// Writes the configuration and both databases. The intermediate names `root_crl` as its
    /// CRL distribution point; `extensions` adds the sections (`[ v3_… ]`) the end-entity
    /// certificates use.
    pub fn new(dir: &Path, root_crl: &str, extensions: &str) -> TestCa {
        let cnf = format!(
            r#"[ ca ]
default_ca = CA_root
[ CA_root ]
dir = ./db-root
certificate = ./root.pem
private_key = ./root.key
{common}
[ CA_inter ]
dir = ./db-inter
certificate = ./inter.pem
private_key = ./inter.key
{common}
[ policy_any ]
commonName = supplied
organizationName = optional
localityName = optional
countryName = optional
[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
prompt = no
[ req_dn ]
CN = placeholder
[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_inter ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:{root_crl}
{extensions}"#,
            common = "database = $dir/index.txt\nserial = $dir/serial\n\
                      crlnumber = $dir/crlnumber\nnew_certs_dir = $dir\ndefault_md = sha256\n\
                      default_crl_days = 7\npolicy = policy_any\nunique_subject = no\n\
                      email_in_dn = no\npreserve = yes",
        );
        std::fs::write(dir.join("ca.cnf"), cnf).expect("ca.cnf");
        // Random serials: NSS-style validators refuse two certificates with one issuer+serial.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ u128::from(std::process::id());
        for (db, prefix) in [("db-root", '1'), ("db-inter", '2')] {
            let db = dir.join(db);
            std::fs::create_dir_all(&db).expect("db");
            std::fs::write(db.join("index.txt"), "").expect("index");
            std::fs::write(db.join("crlnumber"), "01\n").expect("crlnumber");
            std::fs::write(db.join("serial"), format!("{prefix}{nanos:031X}\n")).expect("serial");
        }
        std::fs::write(dir.join("password.txt"), "mật khẩu").expect("password");
        TestCa {
            dir: dir.to_path_buf(),
            start: openssl_time(time::OffsetDateTime::now_utc() - time::Duration::hours(1)),
        }
    }

    /// `openssl ARGS` in the CA's folder; panics with its output when it fails.
    pub fn openssl(&self, args: &[&str]) {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        run_ok("openssl", &args, &self.dir);
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A new key `NAME.key` and certificate `NAME.pem` for `subject` (`/C=VN/CN=…`), with the
    /// extension section `ext` of the configuration.
    pub fn issue(&self, name: &str, subject: &str, issuer: Issuer, ext: &str) {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &key,
        ]);
        self.openssl(&[
            "req", "-new", "-config", "ca.cnf", "-utf8", "-key", &key, "-subj", subject, "-out",
            &csr,
        ]);
        let mut args = vec![
            "ca",
            "-config",
            "ca.cnf",
            "-batch",
            "-notext",
            "-utf8",
            "-preserveDN",
            "-extensions",
            ext,
            "-startdate",
            &self.start,
            "-days",
            "365",
        ];
        match issuer {
            Issuer::SelfSigned => args.extend(["-name", "CA_root", "-selfsign"]),
            Issuer::Root => args.extend(["-name", "CA_root"]),
            Issuer::Inter => args.extend(["-name", "CA_inter"]),
        }
        args.extend(["-in", &csr, "-out", &pem]);
        self.openssl(&args);
    }

    /// `NAME.p12`: the key, the certificate and the chain (inter, root), under the
    /// password of `password.txt`, with the friendly name `friendly`.
    pub fn export_p12(&self, name: &str, friendly: &str) {
        std::fs::write(
            self.path("chain.pem"),
            [
                std::fs::read(self.path("inter.pem")).expect("inter"),
                std::fs::read(self.path("root.pem")).expect("root"),
            ]
            .concat(),
        )
        .expect("chain");
        self.openssl(&[
            "pkcs12",
            "-export",
            "-inkey",
            &format!("{name}.key"),
            "-in",
            &format!("{name}.pem"),
            "-certfile",
            "chain.pem",
            "-name",
            friendly,
            "-passout",
            "file:password.txt",
            "-out",
            &format!("{name}.p12"),
        ]);
    }

    /// Revokes `NAME.pem` (issued by the intermediate) for keyCompromise.
    pub fn revoke(&self, name: &str) {
        self.openssl(&[
            "ca",
            "-config",
            "ca.cnf",
            "-name",
            "CA_inter",
            "-revoke",
            &format!("{name}.pem"),
            "-crl_reason",
            "keyCompromise",
        ]);
    }

    /// Publishes a CRL of `ca` ("root" or "inter") as DER at `www/CA.crl`; `window`, when
    /// given, sets its thisUpdate and nextUpdate (`openssl_time` form).
    pub fn publish_crl(&self, www: &Path, ca: &str, window: Option<(String, String)>) {
        let pem = format!("{ca}.crl.pem");
        let section = format!("CA_{ca}");
        let mut args = vec![
            "ca", "-config", "ca.cnf", "-name", &section, "-gencrl", "-out", &pem,
        ];
        if let Some((last, next)) = &window {
            args.extend(["-crl_lastupdate", last, "-crl_nextupdate", next]);
        }
        self.openssl(&args);
        let der = www.join(format!("{ca}.crl"));
        self.openssl(&[
            "crl",
            "-in",
            &pem,
            "-outform",
            "DER",
            "-out",
            der.to_str().expect("utf-8 path"),
        ]);
    }
}

/// A time as `openssl ca` takes it (`-startdate`, `-crl_lastupdate`): `YYYYMMDDHHMMSSZ`, UTC.
pub fn openssl_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
