//! `kyso sign`: one or many PDFs, in parallel, each failure reported without stopping the rest.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use kyso_core::sign::{DigestChoice, SchemeChoice, Shortfall};
use kyso_core::upgrade::UpgradeContext;
use kyso_core::{Level, SignOptions, SubFilterChoice};
use rayon::prelude::*;
use time::{OffsetDateTime, UtcOffset};

use kyso_core::messages::{Problem, param};

use crate::{HashArg, SignArgs, SubFilterArg, exit, passwords, ui};

/// One file's job: where it comes from and where it goes.
struct Job {
    input: PathBuf,
    output: Result<PathBuf, Problem>,
}

/// The result line of one file, printed as text or JSON.
#[derive(serde::Serialize)]
struct FileResult {
    input: PathBuf,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signing_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visible: Option<kyso_core::sign::VisibleBox>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reserved_fields: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_level: Option<Level>,
    /// Below the target level: why (a timestamp is due).
    #[serde(skip_serializing_if = "Option::is_none")]
    shortfall: Option<Shortfall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The error in the chosen language.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<serde_json::Value>,
    /// The whole error, for the text output.
    #[serde(skip)]
    problem: Option<Problem>,
    /// What the engine said, for the store.
    #[serde(skip)]
    outcome: Option<kyso_core::SignOutcome>,
}

pub fn run(args: SignArgs, local_offset: UtcOffset) -> u8 {
    let inputs = match expand_inputs(&args.inputs) {
        Ok(inputs) => inputs,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    if args.output.is_some() && inputs.len() != 1 {
        ui::report(&output_needs_one_input());
        return exit::USAGE;
    }
    if let Some(dir) = &args.out_dir
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        ui::report(&ui::problem(
            "OUTPUT_UNWRITABLE",
            vec![param("file", dir.display()), param("detail", &e)],
            format!("{}: cannot create the output folder: {e}", dir.display()),
        ));
        return exit::SOME_FAILED;
    }
    let jobs = plan_outputs(&inputs, args.output.as_deref(), args.out_dir.as_deref());

    let (signer, identity) = match open_signer(&args) {
        Ok(s) => s,
        Err(p) => {
            ui::report(&p);
            return exit::KEY_SOURCE;
        }
    };
    let home = kyso_keys::home::kyso_home();
    // The level: --level, else the identity's setting, else the general one (B-T).
    let target = match args.level {
        Some(level) => level.into(),
        None => match kyso_core::settings::target_level(
            &home,
            identity.as_deref(),
            !args.tsa.is_empty(),
        ) {
            Ok(level) => level,
            Err(e) => {
                ui::report_error(&e);
                return exit::USAGE;
            }
        },
    };
    let context = if target.needs_timestamp() {
        match UpgradeContext::from_settings(
            &home,
            &args.tsa,
            crate::timestamp::progress_printer(args.json),
        ) {
            Ok(c) => c,
            Err(e) => {
                ui::report_error(&e);
                return exit::USAGE;
            }
        }
    } else {
        UpgradeContext::offline()
    };
    let pdf_password = match passwords::pdf_password(args.pdf_password_file.as_deref()) {
        Ok(p) => p,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    let appearance = match args.appearance.request(identity.as_deref()) {
        Ok(a) => a,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    let options = SignOptions {
        field: args.field.clone(),
        reason: args.reason.clone(),
        location: args.location.clone(),
        contact_info: args.contact_info.clone(),
        certify: args.certify,
        digest: match args.hash {
            HashArg::Sha256 => DigestChoice::Sha256,
            HashArg::Sha384 => DigestChoice::Sha384,
            HashArg::Sha512 => DigestChoice::Sha512,
        },
        scheme: if args.pss {
            SchemeChoice::Pss
        } else {
            SchemeChoice::Pkcs1v15
        },
        sub_filter: match args.subfilter {
            SubFilterArg::Pades => SubFilterChoice::Pades,
            SubFilterArg::Pkcs7 => SubFilterChoice::Pkcs7,
        },
        pdf_password: pdf_password.clone().map(kyso_core::Password::from),
        signing_time: None,
        // The user's stored intermediates complete a chain the key source lacks.
        intermediates: kyso_core::TrustStore::default_location().intermediates_der(),
        appearance,
        timestamper: None,
    };

    let show_progress = !args.json && jobs.len() > 1 && std::io::stderr().is_terminal();
    let progress = if show_progress {
        let bar = ProgressBar::new(jobs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    // Signing is CPU (hash, RSA) and I/O (fsync): twice as many workers as cores overlap them.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build();
    // One file: its own signing time, and an output conflict reported as the file's failure.
    let sign_job = |job: &Job, options: &SignOptions| -> FileResult {
        match &job.output {
            Err(p) => failure(&job.input, p.clone()),
            Ok(output) => {
                let mut options = options.clone();
                options.signing_time = Some(OffsetDateTime::now_utc().to_offset(local_offset));
                to_result(
                    job,
                    kyso_core::upgrade::sign_at_level(
                        &job.input,
                        output,
                        signer.as_ref(),
                        &options,
                        target,
                        &context,
                    ),
                )
            }
        }
    };
    let sign_one = |job: &Job| -> FileResult {
        let result = sign_job(job, &options);
        progress.inc(1);
        result
    };
    let mut results: Vec<FileResult> = match &pool {
        Ok(pool) => pool.install(|| jobs.par_iter().map(sign_one).collect()),
        Err(_) => jobs.iter().map(sign_one).collect(),
    };
    progress.finish_and_clear();

    // Encrypted files and no password given: ask once on a terminal, then retry them.
    let locked: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].code.as_deref() == Some("PDF_PASSWORD_REQUIRED"))
        .collect();
    if !locked.is_empty()
        && pdf_password.is_none()
        && let Ok(Some(password)) = passwords::prompt_pdf_password(&jobs[locked[0]].input)
    {
        let retry_options = SignOptions {
            pdf_password: Some(kyso_core::Password::from(password)),
            ..options.clone()
        };
        for i in locked {
            results[i] = sign_job(&jobs[i], &retry_options);
        }
    }

    let outcomes: Vec<kyso_core::SignOutcome> =
        results.iter().filter_map(|r| r.outcome.clone()).collect();
    record_due(&home, &outcomes);

    let failed = results.iter().filter(|r| !r.ok).count();
    for r in &results {
        if args.json {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        } else if r.ok {
            let output = r.output.as_deref().unwrap_or(Path::new("?"));
            println!(
                "{}{} -> {} ({}, {})",
                ui::status_word("cli.result.ok"),
                r.input.display(),
                output.display(),
                r.field.as_deref().unwrap_or(""),
                r.level.map_or("?", Level::name)
            );
            for w in &r.warnings {
                println!(
                    "      {}",
                    ui::tp("cli.warning", &[("text", &warning_text(w))])
                );
            }
            if let Some(s) = &r.shortfall {
                let shortfall = s.problem();
                println!(
                    "      {}",
                    ui::tp(
                        "cli.sign.shortfall",
                        &[
                            ("target", r.target_level.map_or("?", Level::name)),
                            ("level", r.level.map_or("?", Level::name)),
                            ("code", &s.code),
                            ("reason", &shortfall.message(ui::lang())),
                        ],
                    )
                );
            }
        } else if let Some(p) = &r.problem {
            let text = ui::describe(p);
            println!("{}{}", ui::status_word("cli.result.fail"), text);
        }
    }
    if !args.json && results.len() > 1 {
        println!(
            "{}",
            ui::tp(
                "cli.sign.summary",
                &[
                    ("done", &(results.len() - failed).to_string()),
                    ("failed", &failed.to_string()),
                    ("count", &results.len().to_string()),
                ],
            )
        );
    }
    if failed == 0 {
        exit::OK
    } else {
        exit::SOME_FAILED
    }
}

/// Records in the store each signed file below its target level: a timestamp is due. A
/// store that cannot be opened is said, not fatal (the files are signed).
fn record_due(home: &Path, outcomes: &[kyso_core::SignOutcome]) {
    if let Err(e) = kyso_sync::levels::record_due(home, outcomes) {
        let p = Problem::of(&e);
        eprintln!(
            "kyso: {}\n      {}",
            ui::t("cli.sign.due_not_recorded"),
            ui::describe(&p)
        );
    }
}

fn to_result(job: &Job, result: Result<kyso_core::SignOutcome, kyso_core::Error>) -> FileResult {
    match result {
        Ok(outcome) => FileResult {
            outcome: Some(outcome.clone()),
            input: job.input.clone(),
            ok: true,
            output: Some(outcome.output),
            field: Some(outcome.field_name),
            signing_time: Some(outcome.signing_time),
            sha256: Some(outcome.output_sha256_hex),
            warnings: outcome.warnings,
            visible: outcome.visible,
            reserved_fields: outcome.reserved_fields,
            level: Some(outcome.level),
            target_level: Some(outcome.target_level),
            shortfall: outcome.shortfall,
            code: None,
            error: None,
            message: None,
            params: None,
            problem: None,
        },
        Err(e) => failure(&job.input, Problem::of(&e)),
    }
}

fn failure(input: &Path, problem: Problem) -> FileResult {
    FileResult {
        input: input.to_path_buf(),
        ok: false,
        output: None,
        field: None,
        signing_time: None,
        sha256: None,
        warnings: Vec::new(),
        visible: None,
        reserved_fields: Vec::new(),
        level: None,
        target_level: None,
        shortfall: None,
        code: Some(problem.code.clone()),
        error: Some(problem.english.clone()),
        message: Some(problem.message(ui::lang())),
        params: Some(problem.params_json()),
        problem: Some(problem),
        outcome: None,
    }
}

/// A warning of the engine in the run's language: a certificate warning is
/// `[CERT_EXPIRES_SOON] …` with the days left; others are said as they are.
fn warning_text(w: &str) -> String {
    let days = w
        .strip_prefix("[CERT_EXPIRES_SOON] the signing certificate expires in ")
        .and_then(|rest| rest.split(' ').next());
    match days {
        Some(days) => format!(
            "[CERT_EXPIRES_SOON] {}",
            ui::tp("CERT_EXPIRES_SOON", &[("days", days)])
        ),
        None => w.to_string(),
    }
}

fn output_needs_one_input() -> Problem {
    ui::problem(
        "OUTPUT_NEEDS_ONE_INPUT",
        Vec::new(),
        "-o/--output takes a single input; use --out-dir for several files",
    )
}

/// The key source, and the identity's id when it is one (None for a .p12 file).
fn open_signer(args: &SignArgs) -> Result<(Box<dyn kyso_keys::Signer>, Option<String>), Problem> {
    let Some(p12) = &args.p12 else {
        // --identity ID, else the default identity (vault or token).
        let (signer, id) =
            crate::id::open_identity_signer(args.identity.as_deref(), args.pin_file.as_deref())?;
        return Ok((signer, Some(id)));
    };
    let password = passwords::p12_password(args.p12_password_file.as_deref(), p12)?;
    kyso_keys::Pkcs12Signer::open(p12, &password)
        .map(|s| (Box::new(s) as Box<dyn kyso_keys::Signer>, None))
        .map_err(|e| Problem::of(&e))
}

/// Files as given; a directory gives its *.pdf files (not recursive), sorted.
fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Problem> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input).map_err(|e| folder_unreadable(input, &e))?;
            let mut pdfs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf"))
                })
                .collect();
            pdfs.sort();
            out.extend(pdfs);
        } else {
            out.push(input.clone());
        }
    }
    if out.is_empty() {
        return Err(no_input_files());
    }
    Ok(out)
}

/// A folder given as input that cannot be listed.
pub fn folder_unreadable(dir: &Path, e: &std::io::Error) -> Problem {
    ui::problem(
        "INPUT_UNREADABLE",
        vec![param("file", dir.display()), param("detail", e)],
        format!("{}: cannot list the folder: {e}", dir.display()),
    )
}

/// No PDF among the inputs.
pub fn no_input_files() -> Problem {
    ui::problem("NO_INPUT_FILES", Vec::new(), "no PDF files to process")
}

/// `-o FILE`, or `DIR/<stem>.signed.pdf`; two inputs that would write the same output
/// file are refused (the second one), never silently overwritten.
fn plan_outputs(inputs: &[PathBuf], output: Option<&Path>, out_dir: Option<&Path>) -> Vec<Job> {
    let mut taken = HashSet::new();
    inputs
        .iter()
        .map(|input| {
            let target = match (output, out_dir) {
                (Some(o), _) => o.to_path_buf(),
                (None, dir) => kyso_core::default_output_path(input, dir),
            };
            let output = if taken.insert(target.clone()) {
                Ok(target)
            } else {
                Err(output_conflict(input, &target))
            };
            Job {
                input: input.clone(),
                output,
            }
        })
        .collect()
}

/// Two inputs that would write the same output file.
pub fn output_conflict(input: &Path, output: &Path) -> Problem {
    ui::problem(
        "OUTPUT_CONFLICT",
        vec![
            param("file", input.display()),
            param("output", output.display()),
        ],
        format!(
            "{}: another input already writes {}; rename one of them",
            input.display(),
            output.display()
        ),
    )
}
