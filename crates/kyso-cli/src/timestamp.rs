//! `kyso timestamp`, `kyso upgrade`, `kyso archive renew` and `kyso tsa login`: trusted
//! time and long-term validation for signed documents (PAdES B-T, B-LT, B-LTA). Batches run
//! in parallel with a progress bar; one failing file does not stop the others; exit codes
//! and `--json` lines as for `kyso sign`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use kyso_core::Level;
use kyso_core::timestamp::{TsaAuth, TsaProgress, TsaSettings};
use kyso_core::upgrade::{Renewal, UpgradeContext, UpgradeOutcome};
use rayon::prelude::*;

use kyso_core::messages::{Problem, param};

use crate::exit;
use crate::sign::{folder_unreadable, no_input_files, output_conflict};
use crate::ui::{self, t, tp};

/// A PAdES level on the command line.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    #[value(name = "b-b")]
    Bb,
    #[value(name = "b-t")]
    Bt,
    #[value(name = "b-lt")]
    Blt,
    #[value(name = "b-lta")]
    Blta,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Level {
        match l {
            LevelArg::Bb => Level::Bb,
            LevelArg::Bt => Level::Bt,
            LevelArg::Blt => Level::Blt,
            LevelArg::Blta => Level::Blta,
        }
    }
}

/// Where each input's result goes.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Destination {
    /// Output file (only with a single input).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Output folder: each input keeps its name there.
    #[arg(long = "out-dir")]
    out_dir: Option<PathBuf>,
    /// Replace each input by its new version (written beside it, then renamed).
    #[arg(long = "in-place")]
    in_place: bool,
}

#[derive(clap::Args)]
pub struct TimestampArgs {
    /// Signed (or unsigned) PDFs; a folder takes the PDFs in it.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    destination: Destination,
    /// A TSA to ask (repeat for fallbacks), instead of tsa.urls.
    #[arg(long = "tsa", value_name = "URL")]
    tsa: Vec<String>,
    /// File holding the PDF's user or owner password (else KYSO_PDF_PASSWORD).
    #[arg(long = "pdf-password-file")]
    pdf_password_file: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct UpgradeArgs {
    /// Signed PDFs; a folder takes the PDFs in it.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    destination: Destination,
    /// b-t: a document timestamp when the signature has no time; b-lt: and the validation
    /// data (fetched now); b-lta: and an archive timestamp (on a B-LTA file: the next round).
    #[arg(long, value_enum)]
    level: LevelArg,
    /// A TSA to ask (repeat for fallbacks), instead of tsa.urls.
    #[arg(long = "tsa", value_name = "URL")]
    tsa: Vec<String>,
    /// File holding the PDF's user or owner password (else KYSO_PDF_PASSWORD).
    #[arg(long = "pdf-password-file")]
    pdf_password_file: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
pub enum ArchiveCommand {
    /// Add the next archive round (DSS and document timestamp) to every B-LTA PDF under DIR
    /// whose last timestamp's certificate expires within --before.
    Renew(RenewArgs),
}

#[derive(clap::Args)]
pub struct RenewArgs {
    /// The archive folder (searched recursively).
    dir: PathBuf,
    /// Renew what expires within this long: 90d, 12w, 6m, 1y (days by default).
    #[arg(long, default_value = "90d", value_parser = parse_horizon)]
    before: i64,
    /// Say what would be renewed; change nothing.
    #[arg(long = "dry-run")]
    dry_run: bool,
    /// A TSA to ask (repeat for fallbacks), instead of tsa.urls.
    #[arg(long = "tsa", value_name = "URL")]
    tsa: Vec<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
pub enum TsaCommand {
    /// Store the password (or token) of a TSA in the OS keychain and remember how to log in.
    Login(TsaLoginArgs),
}

#[derive(clap::Args)]
pub struct TsaLoginArgs {
    /// The TSA's address, as in tsa.urls.
    url: String,
    /// The user name (HTTP basic authentication).
    #[arg(long, conflicts_with = "bearer")]
    user: Option<String>,
    /// The secret is a bearer token.
    #[arg(long)]
    bearer: bool,
    /// File holding the password or token (else KYSO_TSA_SECRET, else a prompt).
    #[arg(long = "password-file")]
    password_file: Option<PathBuf>,
}

/// "90d" → seconds. Days when no unit is given.
fn parse_horizon(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "d"),
    };
    // clap reports this, in English like the rest of its messages.
    let n: i64 = number
        .parse()
        .map_err(|_| format!("\"{text}\": give a duration such as 90d, 12w, 6m or 1y"))?;
    let days = match unit {
        "d" => 1,
        "w" => 7,
        "m" => 30,
        "y" => 365,
        _ => return Err(format!("\"{text}\": the unit is d, w, m or y")),
    };
    Ok(n.saturating_mul(days).saturating_mul(86_400))
}

/// Shows the TSA's progress on standard error: whom Kyso asks (on a terminal), waits and
/// fallbacks (always, unless `json`).
pub fn progress_printer(json: bool) -> impl Fn(&TsaProgress) + Send + Sync + 'static {
    let terminal = std::io::stderr().is_terminal();
    move |p: &TsaProgress| match p {
        TsaProgress::Asking { url, index, count } if terminal && !json => {
            eprintln!(
                "kyso: {}",
                tp(
                    "cli.tsa.asking",
                    &[
                        ("url", url),
                        ("index", &index.to_string()),
                        ("count", &count.to_string()),
                    ],
                )
            );
        }
        TsaProgress::Waiting { url, seconds } if !json => {
            eprintln!(
                "kyso: {}",
                tp(
                    "cli.tsa.waiting",
                    &[("url", url), ("seconds", &seconds.to_string())],
                )
            );
        }
        TsaProgress::Failed { failure, .. } if !json => ui::report_error(failure),
        _ => {}
    }
}

/// An input and where its result goes (or why it cannot go there).
type FileJob = (PathBuf, Result<PathBuf, Problem>);

/// One file's result line.
#[derive(serde::Serialize)]
struct FileResult {
    input: PathBuf,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<Level>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    renewal: Option<Renewal>,
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
}

impl FileResult {
    fn done(outcome: UpgradeOutcome) -> FileResult {
        FileResult {
            input: outcome.input,
            ok: true,
            output: Some(outcome.output),
            before: outcome.before,
            after: outcome.after,
            steps: outcome.steps,
            sha256: Some(outcome.output_sha256_hex),
            renewal: None,
            code: None,
            error: None,
            message: None,
            params: None,
            problem: None,
        }
    }

    /// The file's result when nothing was written (a renewal that is not due, or only said).
    fn unchanged(input: &Path) -> FileResult {
        FileResult {
            input: input.to_path_buf(),
            ok: true,
            output: None,
            before: None,
            after: None,
            steps: Vec::new(),
            sha256: None,
            renewal: None,
            code: None,
            error: None,
            message: None,
            params: None,
            problem: None,
        }
    }

    fn failed(input: &Path, problem: Problem) -> FileResult {
        FileResult {
            input: input.to_path_buf(),
            ok: false,
            output: None,
            before: None,
            after: None,
            steps: Vec::new(),
            sha256: None,
            renewal: None,
            code: Some(problem.code.clone()),
            error: Some(problem.english.clone()),
            message: Some(problem.message(ui::lang())),
            params: Some(problem.params_json()),
            problem: Some(problem),
        }
    }

    fn error(input: &Path, e: &kyso_core::Error) -> FileResult {
        FileResult::failed(input, Problem::of(e))
    }
}

pub fn timestamp(args: TimestampArgs) -> u8 {
    let Some((jobs, context)) = prepare(
        &args.files,
        &args.destination,
        &args.tsa,
        args.pdf_password_file.as_deref(),
        args.json,
    ) else {
        return exit::USAGE;
    };
    let Some(timestamper) = context.timestamper.clone() else {
        ui::report_error(&kyso_core::timestamp::TsaFailure::NotConfigured);
        return exit::USAGE;
    };
    let results = run_batch(&jobs, args.json, |input, output| {
        kyso_core::upgrade::timestamp_file(
            input,
            output,
            &timestamper,
            context.verify.password.clone(),
        )
        .map(FileResult::done)
        .unwrap_or_else(|e| FileResult::error(input, &e))
    });
    finish(&results, args.json, None)
}

pub fn upgrade(args: UpgradeArgs) -> u8 {
    let Some((jobs, context)) = prepare(
        &args.files,
        &args.destination,
        &args.tsa,
        args.pdf_password_file.as_deref(),
        args.json,
    ) else {
        return exit::USAGE;
    };
    let level: Level = args.level.into();
    let results = run_batch(&jobs, args.json, |input, output| {
        kyso_core::upgrade::upgrade_file(input, output, level, &context)
            .map(FileResult::done)
            .unwrap_or_else(|e| FileResult::error(input, &e))
    });
    finish(&results, args.json, Some(level))
}

pub fn archive(command: ArchiveCommand) -> u8 {
    let ArchiveCommand::Renew(args) = command;
    let home = kyso_keys::home::kyso_home();
    let context = match UpgradeContext::from_settings(&home, &args.tsa, progress_printer(args.json))
    {
        Ok(c) => c,
        Err(e) => {
            ui::report_error(&e);
            return exit::USAGE;
        }
    };
    let mut files = Vec::new();
    if let Err(e) = pdfs_under(&args.dir, &mut files) {
        ui::report(&folder_unreadable(&args.dir, &e));
        return exit::SOME_FAILED;
    }
    files.sort();
    let horizon = context.verify.now.saturating_add(args.before);
    let jobs: Vec<FileJob> = files.into_iter().map(|f| (f.clone(), Ok(f))).collect();
    let results = run_batch(&jobs, args.json, |input, _| {
        let renewal = match kyso_core::upgrade::renewal(input, horizon, &context.verify) {
            Ok(r) => r,
            Err(e) => return FileResult::error(input, &e),
        };
        let mut result = match (&renewal, args.dry_run) {
            (Renewal::Due { .. }, false) => {
                match kyso_core::upgrade::upgrade_file(input, input, Level::Blta, &context) {
                    Ok(outcome) => FileResult::done(outcome),
                    Err(e) => FileResult::error(input, &e),
                }
            }
            // Nothing to do, or only to say.
            _ => FileResult::unchanged(input),
        };
        result.renewal = Some(renewal);
        result
    });
    if !args.json {
        let due = results
            .iter()
            .filter(|r| matches!(r.renewal, Some(Renewal::Due { .. })))
            .count();
        let key = if args.dry_run {
            "cli.archive.summary_dry_run"
        } else {
            "cli.archive.summary"
        };
        println!(
            "{}",
            tp(
                key,
                &[
                    ("due", &due.to_string()),
                    ("count", &results.len().to_string()),
                    ("dir", &args.dir.display().to_string()),
                ],
            )
        );
    }
    finish(&results, args.json, None)
}

pub fn tsa(command: TsaCommand) -> u8 {
    let TsaCommand::Login(args) = command;
    let home = kyso_keys::home::kyso_home();
    let url = args.url.trim().to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        ui::report(&ui::problem(
            "TSA_URL_INVALID",
            vec![param("url", &url)],
            format!("{url}: a TSA address starts with http:// or https://"),
        ));
        return exit::USAGE;
    }
    if !args.bearer && args.user.is_none() {
        ui::report(&ui::problem(
            "TSA_LOGIN_KIND_MISSING",
            Vec::new(),
            "give --user NAME (a password) or --bearer (a token)",
        ));
        return exit::USAGE;
    }
    let secret = match read_secret(args.password_file.as_deref()) {
        Ok(s) => s,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    let result = (|| -> Result<TsaSettings, Problem> {
        let mut settings = TsaSettings::load(&home).map_err(|e| Problem::of(&e))?;
        kyso_keys::keychain::store_secret(&kyso_core::timestamp::secret_account(&url), &secret)
            .map_err(|e| Problem::of(&e))?;
        settings.auth.insert(
            url.clone(),
            TsaAuth {
                kind: if args.bearer { "bearer" } else { "basic" }.into(),
                user: args.user.clone(),
            },
        );
        settings.save(&home).map_err(|e| Problem::of(&e))?;
        Ok(settings)
    })();
    match result {
        Ok(settings) => {
            println!("{}", tp("cli.tsa.stored", &[("url", &url)]));
            if !settings.urls.contains(&url) {
                println!("{}", tp("cli.tsa.not_in_urls", &[("url", &url)]));
            }
            exit::OK
        }
        Err(p) => {
            ui::report(&p);
            exit::SOME_FAILED
        }
    }
}

fn read_secret(file: Option<&Path>) -> Result<zeroize::Zeroizing<String>, Problem> {
    let text = match file {
        Some(path) => crate::passwords::from_file(path)?,
        None => match std::env::var("KYSO_TSA_SECRET") {
            Ok(s) => zeroize::Zeroizing::new(s),
            Err(_) => crate::passwords::ask(&t("cli.prompt.tsa_secret"))?,
        },
    };
    let trimmed = text.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        return Err(ui::problem(
            "SECRET_EMPTY",
            Vec::new(),
            "the secret is empty",
        ));
    }
    Ok(zeroize::Zeroizing::new(trimmed.to_string()))
}

/// The inputs with their outputs, and the upgrade context from the settings. None (after
/// saying why) on a usage error.
fn prepare(
    files: &[PathBuf],
    destination: &Destination,
    tsa: &[String],
    pdf_password_file: Option<&Path>,
    json: bool,
) -> Option<(Vec<FileJob>, UpgradeContext)> {
    let password = match crate::passwords::pdf_password(pdf_password_file) {
        Ok(p) => p.map(kyso_core::Password::from),
        Err(p) => {
            ui::report(&p);
            return None;
        }
    };
    let mut inputs = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = pdfs_in(f, &mut found) {
                ui::report(&folder_unreadable(f, &e));
                return None;
            }
            found.sort();
            inputs.extend(found);
        } else {
            inputs.push(f.clone());
        }
    }
    if inputs.is_empty() {
        ui::report(&no_input_files());
        return None;
    }
    if destination.output.is_some() && inputs.len() != 1 {
        ui::report(&ui::problem(
            "OUTPUT_NEEDS_ONE_INPUT",
            Vec::new(),
            "-o/--output takes a single input; use --out-dir or --in-place",
        ));
        return None;
    }
    if let Some(dir) = &destination.out_dir
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        ui::report(&ui::problem(
            "OUTPUT_UNWRITABLE",
            vec![param("file", dir.display()), param("detail", &e)],
            format!("{}: cannot create the output folder: {e}", dir.display()),
        ));
        return None;
    }
    let mut taken = HashSet::new();
    let jobs = inputs
        .into_iter()
        .map(|input| {
            let target = match (&destination.output, &destination.out_dir) {
                (Some(o), _) => o.clone(),
                (None, Some(dir)) => dir.join(input.file_name().unwrap_or_default()),
                (None, None) => input.clone(),
            };
            let output = if taken.insert(target.clone()) {
                Ok(target)
            } else {
                Err(output_conflict(&input, &target))
            };
            (input, output)
        })
        .collect();
    let home = kyso_keys::home::kyso_home();
    match UpgradeContext::from_settings(&home, tsa, progress_printer(json)) {
        Ok(mut context) => {
            context.verify.password = password;
            Some((jobs, context))
        }
        Err(e) => {
            ui::report_error(&e);
            None
        }
    }
}

/// The *.pdf files of a folder (not recursive).
fn pdfs_in(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && is_pdf(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The *.pdf files under a folder, recursively (an archive's tree).
fn pdfs_under(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            pdfs_under(&path, out)?;
        } else if kind.is_file() && is_pdf(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_pdf(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("pdf"))
}

/// Runs `one` on every job in parallel (network waits overlap), with a progress bar on a
/// terminal; results in the jobs' order.
fn run_batch(
    jobs: &[FileJob],
    json: bool,
    one: impl Fn(&Path, &Path) -> FileResult + Sync,
) -> Vec<FileResult> {
    let bar = if !json && jobs.len() > 1 && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(jobs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let run = |(input, output): &FileJob| {
        let result = match output {
            Ok(output) => one(input, output),
            Err(p) => FileResult::failed(input, p.clone()),
        };
        bar.inc(1);
        result
    };
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get() * 4);
    let results = match rayon::ThreadPoolBuilder::new().num_threads(workers).build() {
        Ok(pool) => pool.install(|| jobs.par_iter().map(run).collect()),
        Err(_) => jobs.iter().map(run).collect(),
    };
    bar.finish_and_clear();
    results
}

/// Prints the results, keeps the store's "timestamp due" records true, and gives the exit
/// code. `level` is the level asked for (upgrades).
fn finish(results: &[FileResult], json: bool, level: Option<Level>) -> u8 {
    update_due(results);
    let failed = results.iter().filter(|r| !r.ok).count();
    for r in results {
        if json {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        } else if r.ok {
            let name = |l: Option<Level>| l.map_or("—", Level::name);
            match (&r.output, &r.renewal) {
                (None, Some(renewal)) => {
                    println!("      {} {}", r.input.display(), describe(renewal))
                }
                (output, _) => println!(
                    "{}{} -> {} ({} → {}{})",
                    ui::status_word("cli.result.ok"),
                    r.input.display(),
                    output.as_deref().unwrap_or(Path::new("?")).display(),
                    name(r.before),
                    name(r.after),
                    if r.steps.is_empty() {
                        format!(", {}", t("cli.upgrade.unchanged"))
                    } else {
                        let steps: Vec<String> = r
                            .steps
                            .iter()
                            .map(|s| t(&format!("cli.upgrade.step.{s}")))
                            .collect();
                        format!(": {}", steps.join(", "))
                    }
                ),
            }
            if let (Some(asked), Some(after)) = (level, r.after)
                && after < asked
            {
                let warning = tp(
                    "cli.upgrade.below",
                    &[("level", after.name()), ("target", asked.name())],
                );
                println!("      {}", tp("cli.warning", &[("text", &warning)]));
            }
        } else if let Some(p) = &r.problem {
            println!("{}{}", ui::status_word("cli.result.fail"), ui::describe(p));
        }
    }
    if !json && results.len() > 1 {
        println!(
            "{}",
            tp(
                "cli.upgrade.summary",
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

fn describe(renewal: &Renewal) -> String {
    match renewal {
        Renewal::Due { expires } => tp("cli.archive.due", &[("date", expires)]),
        Renewal::NotYet { expires } => tp("cli.archive.not_yet", &[("date", expires)]),
        Renewal::NotAnArchive { level } => {
            let level = level.map_or_else(|| t("cli.level.none"), |l| l.name().to_string());
            tp("cli.archive.not_an_archive", &[("level", &level)])
        }
    }
}

/// A file raised in place is no longer due once it reached its target (or is due at its
/// new level); files written elsewhere leave their input's record as it is.
fn update_due(results: &[FileResult]) {
    let Ok(mut store) = kyso_sync::Store::open(&kyso_keys::home::kyso_home()) else {
        return;
    };
    let Ok(due) = store.timestamps_due() else {
        return;
    };
    let now = time::OffsetDateTime::now_utc();
    for r in results.iter().filter(|r| r.ok) {
        let (Some(output), Some(sha)) = (&r.output, &r.sha256) else {
            continue;
        };
        let Some(record) = due.iter().find(|d| {
            kyso_core::output::same_file(&d.path, &r.input)
                && kyso_core::output::same_file(&r.input, output)
        }) else {
            continue;
        };
        let _ = match r.after {
            Some(after) if after < record.target_level => {
                store.record_timestamp_due(&record.path, sha, after, record.target_level, None, now)
            }
            _ => store.clear_timestamp_due(&record.path),
        };
    }
}
