//! Passwords from a file, an environment variable or a prompt; never echoed or logged.
//! Failures are coded [`Problem`]s, said in the language of the run.

use std::io::IsTerminal;
use std::path::Path;

use kyso_core::messages::{Problem, param};
use zeroize::Zeroizing;

use crate::ui;

/// Reads a secret file (password, PIN, token): its content minus one trailing line ending.
pub fn from_file(path: &Path) -> Result<Zeroizing<String>, Problem> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
        ui::problem(
            "SECRET_FILE_UNREADABLE",
            vec![param("file", path.display()), param("detail", &e)],
            format!("cannot read the secret file {}: {e}", path.display()),
        )
    })?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        ui::problem(
            "SECRET_FILE_NOT_TEXT",
            vec![param("file", path.display())],
            format!("the secret file {} is not UTF-8 text", path.display()),
        )
    })?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(Zeroizing::new(text.to_string()))
}

fn from_env(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name).ok().map(Zeroizing::new)
}

/// Whether a prompt can be shown and answered (both ends are a terminal).
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks for a secret on the terminal (never echoed); `question` is already in the run's
/// language.
pub fn ask(question: &str) -> Result<Zeroizing<String>, Problem> {
    rpassword::prompt_password(question)
        .map(Zeroizing::new)
        .map_err(|e| {
            ui::problem(
                "TERMINAL_UNREADABLE",
                vec![param("detail", &e)],
                format!("cannot read from the terminal: {e}"),
            )
        })
}

fn prompt(question: &str) -> Result<Option<Zeroizing<String>>, Problem> {
    if !can_prompt() {
        return Ok(None);
    }
    ask(question).map(Some)
}

/// The .p12 password: file, then KYSO_P12_PASSWORD, then a prompt on a terminal.
pub fn p12_password(file: Option<&Path>, p12: &Path) -> Result<Zeroizing<String>, Problem> {
    if let Some(file) = file {
        return from_file(file);
    }
    if let Some(p) = from_env("KYSO_P12_PASSWORD") {
        return Ok(p);
    }
    let name = p12.display().to_string();
    prompt(&ui::tp("cli.prompt.p12_password", &[("file", &name)]))?.ok_or_else(|| {
        ui::problem(
            "P12_PASSWORD_MISSING",
            vec![param("file", &name)],
            format!(
                "no password for {name}: use --p12-password-file or KYSO_P12_PASSWORD (no terminal to ask on)"
            ),
        )
    })
}

/// The PDF password, when one is given (file, then KYSO_PDF_PASSWORD).
pub fn pdf_password(file: Option<&Path>) -> Result<Option<Zeroizing<String>>, Problem> {
    if let Some(file) = file {
        return Ok(Some(from_file(file)?));
    }
    Ok(from_env("KYSO_PDF_PASSWORD"))
}

/// Asks for a PDF password on a terminal, after a file turned out to need one.
pub fn prompt_pdf_password(pdf: &Path) -> Result<Option<Zeroizing<String>>, Problem> {
    prompt(&ui::tp(
        "cli.prompt.pdf_password",
        &[("file", &pdf.display().to_string())],
    ))
}
