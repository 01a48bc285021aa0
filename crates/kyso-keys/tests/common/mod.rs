//! The test PKI of kyso-cms's tests (one copy, shared by path), plus .p12 export.

#![allow(dead_code)]

#[path = "../../../kyso-cms/tests/common/mod.rs"]
mod pki;

pub use pki::*;

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
