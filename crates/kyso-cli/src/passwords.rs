//! Passwords from a file, an environment variable or a prompt; never echoed or logged.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result};
use zeroize::Zeroizing;

/// Reads a password file: its content minus one trailing line ending.
fn from_file(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?,
    );
    let text = std::str::from_utf8(&bytes)
        .with_context(|| format!("the password file {} is not UTF-8 text", path.display()))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(Zeroizing::new(text.to_string()))
}

fn from_env(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name).ok().map(Zeroizing::new)
}

fn prompt(question: &str) -> Result<Option<Zeroizing<String>>> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(None);
    }
    let answer = rpassword::prompt_password(question)
        .context("cannot read the password from the terminal")?;
    Ok(Some(Zeroizing::new(answer)))
}

/// The .p12 password: file, then KYSO_P12_PASSWORD, then a prompt on a terminal.
pub fn p12_password(file: Option<&Path>, p12: &Path) -> Result<Zeroizing<String>> {
    if let Some(file) = file {
        return from_file(file);
    }
    if let Some(p) = from_env("KYSO_P12_PASSWORD") {
        return Ok(p);
    }
    prompt(&format!("Mật khẩu tệp chứng thư / password of {}: ", p12.display()))?.ok_or_else(|| {
        anyhow::anyhow!(
            "no password for {}: use --p12-password-file or KYSO_P12_PASSWORD (no terminal to ask on)",
            p12.display()
        )
    })
}

/// The PDF password, when one is given (file, then KYSO_PDF_PASSWORD).
pub fn pdf_password(file: Option<&Path>) -> Result<Option<Zeroizing<String>>> {
    if let Some(file) = file {
        return Ok(Some(from_file(file)?));
    }
    Ok(from_env("KYSO_PDF_PASSWORD"))
}

/// Asks for a PDF password on a terminal, after a file turned out to need one.
pub fn prompt_pdf_password(pdf: &Path) -> Result<Option<Zeroizing<String>>> {
    prompt(&format!(
        "Mật khẩu tệp PDF / password of {}: ",
        pdf.display()
    ))
}
