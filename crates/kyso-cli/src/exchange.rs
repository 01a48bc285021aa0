//! `kyso config`, `login`, `queue`, `outbox`, `sync`, `status`, `inbox`, `reply`: the offline
//! outbox and inbox and the provincial exchange (kyso-sync). Argument parsing and output only.

use std::path::{Path, PathBuf};

use kyso_core::messages::{Lang, Problem};
use kyso_core::settings::{AppearanceSettings, ConfigFile, SigningSettings, UiSettings};
use kyso_core::timestamp::TsaSettings;
use kyso_sync::engine::{self, SyncOptions};
use kyso_sync::{Config, DocumentMeta, Store, SyncError, SystemClock};

use crate::exit;
use crate::ui::{self, t, tp};

#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Set a setting: ui.lang (vi or en), exchange.url, exchange.client-id, exchange.dialect
    /// (kyso, vdxp, lgsp-v1), exchange.system-id, exchange.username,
    /// exchange.application-code, exchange.attachment-encoding (pdf, zip),
    /// exchange.max-document-mb, sync.workers,
    /// sync.backoff-base-ms,
    /// sync.backoff-max-ms, sync.poll-seconds, sync.require-timestamp, appearance.image,
    /// appearance.seal, appearance.seal-size-mm, appearance.box, appearance.anchor-gap,
    /// appearance.reserve-number, appearance.copy-agency, signing.level, tsa.urls,
    /// tsa.timeout-seconds, tsa.rate-per-minute, tsa.policy, tsa.hash. An empty value
    /// clears an appearance or signing setting.
    Set {
        key: String,
        value: String,
        /// For this identity only (`kyso id list`): signing.level, appearance.image,
        /// appearance.seal.
        #[arg(long)]
        identity: Option<String>,
    },
    /// Show the settings.
    Show,
}

#[derive(clap::Args)]
pub struct LoginArgs {
    /// File holding the exchange's secret: the client secret (kyso), the HMAC key (vdxp), the
    /// X-SecretKey (lgsp-v1). Else KYSO_EXCHANGE_SECRET, else a prompt.
    #[arg(long = "secret-file")]
    secret_file: Option<PathBuf>,
    /// lgsp-v1: file holding the login's password (else KYSO_EXCHANGE_PASSWORD, else a
    /// prompt).
    #[arg(long = "password-file")]
    password_file: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct QueueArgs {
    /// The signed PDF to send.
    file: PathBuf,
    /// The document's metadata (TOML; see docs/exchange-api.md). Missing fields take the
    /// remembered defaults.
    #[arg(long)]
    meta: PathBuf,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    action: Option<OutboxAction>,
    #[arg(long, global = true)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum OutboxAction {
    /// Send a refused or failed document again (after fixing what the exchange reported), or
    /// a queued one now.
    Retry { id: i64 },
    /// The signed files whose timestamp is due (raised at the next sync or by `kyso upgrade`).
    Due,
    /// Take a queued document out of the outbox (only before any send was attempted).
    Cancel { id: i64 },
}

#[derive(clap::Args)]
pub struct SyncArgs {
    /// One pass: try each due document once, then stop.
    #[arg(long)]
    once: bool,
    /// Stop waiting for retries after this many seconds.
    #[arg(long, conflicts_with = "watch")]
    timeout: Option<u64>,
    /// Keep running: send whatever is queued whenever the exchange can be reached, poll
    /// statuses and the inbox every `sync.poll-seconds` (one line, or one JSON object, per
    /// pass). Stop it with Ctrl-C; nothing is lost when it is killed.
    #[arg(long, conflicts_with = "once")]
    watch: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// The outbox id (`kyso outbox`).
    id: i64,
    /// Do not ask the exchange for news; show what the store knows.
    #[arg(long)]
    offline: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct InboxArgs {
    #[command(subcommand)]
    action: Option<InboxAction>,
    #[arg(long, global = true)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum InboxAction {
    /// Download the documents addressed to your organ, for offline reading and signing.
    Fetch,
    /// Give a received document a status for its sender: 03 registered, 02 refused (with the
    /// reason), 04 assigned, 05 in progress, 06 done, 13/15/16 recall. Sent at once when the
    /// exchange answers, else at the next sync.
    Status {
        /// The inbox id (`kyso inbox`).
        id: i64,
        /// The status code.
        code: String,
        /// The words of the status; for 02, the reason (required).
        #[arg(long)]
        description: Option<String>,
        /// Who gives it (StaffInfo).
        #[arg(long)]
        staff: Option<String>,
    },
    /// Send a status again that failed (after "may have been sent": once checked).
    StatusRetry {
        /// The status's id (`kyso inbox --json`, statuses).
        status_id: i64,
    },
}

#[derive(clap::Args)]
pub struct ReplyArgs {
    /// The inbox id (`kyso inbox`).
    id: i64,
    /// The signed PDF answering it.
    signed: PathBuf,
    #[arg(long)]
    meta: PathBuf,
    #[arg(long)]
    json: bool,
}

fn home() -> PathBuf {
    kyso_keys::home::kyso_home()
}

/// Prints an error with its code (JSON or text) and gives the exit code.
fn fail(e: &SyncError, json: bool) -> u8 {
    let p = Problem::of(e);
    if json {
        let mut value = ui::json_error(&p);
        if let SyncError::MetaInvalid { problems, .. } = e {
            value["problems"] = serde_json::to_value(problems).unwrap_or_default();
        }
        println!("{value}");
    } else {
        ui::report(&p);
        if let SyncError::MetaInvalid { problems, .. } = e {
            for problem in problems {
                let message = match ui::lang() {
                    Lang::Vi => &problem.message_vi,
                    Lang::En => &problem.message_en,
                };
                eprintln!("  - [{}] {}: {message}", problem.code, problem.field);
            }
        }
    }
    exit::SOME_FAILED
}

fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn config(command: ConfigCommand) -> u8 {
    let home = home();
    let result = (|| -> Result<String, SyncError> {
        if let ConfigCommand::Set {
            key,
            value,
            identity,
        } = &command
        {
            let identity = identity.as_deref().map(identity_id).transpose()?;
            // Each layer keeps its own section of the one file.
            if key.starts_with("ui.") {
                let mut ui = UiSettings::load(&home)?;
                ui.set(key, value)?;
                ui.save(&home)?;
            } else if key.starts_with("appearance.") {
                let mut appearance = AppearanceSettings::load(&home)?;
                match identity.as_deref() {
                    None => appearance.set(key, value)?,
                    Some(id) => appearance.set_for_identity(key, value, id)?,
                }
                appearance.save(&home)?;
            } else if key.starts_with("signing.") {
                let mut signing = SigningSettings::load(&home)?;
                signing.set(key, value, identity.as_deref())?;
                signing.save(&home)?;
            } else if key.starts_with("tsa.") {
                let mut tsa = TsaSettings::load(&home)?;
                tsa.set(key, value)?;
                tsa.save(&home)?;
            } else {
                let mut config = Config::load(&home)?;
                config.set(key, value)?;
                config.save(&home)?;
            }
        }
        // Read back through each layer: what is shown is what Kyso will use.
        UiSettings::load(&home)?;
        Config::load(&home)?;
        AppearanceSettings::load(&home)?;
        SigningSettings::load(&home)?;
        TsaSettings::load(&home)?;
        Ok(ConfigFile::load(&home)?.to_text())
    })();
    match result {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(e) => fail(&e, false),
    }
}

/// The id of the identity named by `query` (an id, a label, a subject: as `kyso sign
/// --identity`).
fn identity_id(query: &str) -> Result<String, SyncError> {
    let registry = kyso_keys::identity::Registry::load()?;
    Ok(registry.find(query)?.id.clone())
}

pub fn login(args: LoginArgs) -> u8 {
    let secret = match read_secret(args.secret_file.as_deref()) {
        Ok(s) => s,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    let config = match Config::load(&home()) {
        Ok(c) => c,
        Err(e) => return fail(&e, false),
    };
    let password = match config.exchange.dialect() {
        kyso_sync::Dialect::LgspV1 => match read_password(args.password_file.as_deref()) {
            Ok(p) => Some(p),
            Err(p) => {
                ui::report(&p);
                return exit::USAGE;
            }
        },
        _ => None,
    };
    let result = (|| -> Result<String, SyncError> {
        let (url, account) = config.exchange()?;
        // Check the credentials with the exchange before keeping them, when it answers.
        let transport =
            kyso_sync::config::transport_with(&config, secret.clone(), password.clone())?;
        let checked = match transport.check_login() {
            Ok(()) => "cli.login.checked",
            Err(e @ (SyncError::InvalidClient | SyncError::LoginRefused)) => return Err(e),
            Err(_) => "cli.login.not_checked",
        };
        kyso_sync::config::store_secret(url, account, &secret)?;
        let mut lines = tp(
            "cli.login.stored",
            &[("client_id", account), ("checked", &t(checked))],
        );
        if let Some(password) = &password {
            let username = config.username()?;
            kyso_sync::config::store_password(url, username, password)?;
            lines.push('\n');
            lines.push_str(&tp("cli.login.password_stored", &[("username", username)]));
        }
        Ok(lines)
    })();
    match result {
        Ok(message) => {
            println!("{message}");
            exit::OK
        }
        Err(e) => fail(&e, false),
    }
}

fn read_secret(file: Option<&Path>) -> Result<zeroize::Zeroizing<String>, Problem> {
    let text = match file {
        Some(path) => crate::passwords::from_file(path)?,
        None => match std::env::var("KYSO_EXCHANGE_SECRET") {
            Ok(s) => zeroize::Zeroizing::new(s),
            Err(_) => crate::passwords::ask(&t("cli.prompt.client_secret"))?,
        },
    };
    let trimmed = text.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        return Err(ui::problem(
            "SECRET_EMPTY",
            Vec::new(),
            "the client secret is empty",
        ));
    }
    Ok(zeroize::Zeroizing::new(trimmed.to_string()))
}

fn read_password(file: Option<&Path>) -> Result<zeroize::Zeroizing<String>, Problem> {
    let text = match file {
        Some(path) => crate::passwords::from_file(path)?,
        None => match std::env::var("KYSO_EXCHANGE_PASSWORD") {
            Ok(s) => zeroize::Zeroizing::new(s),
            Err(_) => crate::passwords::ask(&t("cli.prompt.exchange_password"))?,
        },
    };
    let trimmed = text.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        return Err(ui::problem(
            "SECRET_EMPTY",
            Vec::new(),
            "the password is empty",
        ));
    }
    Ok(zeroize::Zeroizing::new(trimmed.to_string()))
}

/// A metadata file as written (no defaults filled in, not validated).
fn read_meta(path: &Path) -> Result<DocumentMeta, SyncError> {
    let text = std::fs::read_to_string(path).map_err(|e| SyncError::ReadInput {
        path: path.to_path_buf(),
        source: e,
    })?;
    DocumentMeta::from_toml(&text).map_err(|e| SyncError::MetaSyntax {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// A metadata file with the remembered defaults filled in, every problem reported at once.
fn load_meta(path: &Path, store: &Store) -> Result<DocumentMeta, SyncError> {
    let meta = read_meta(path)?.with_defaults(&store.meta_defaults()?);
    let problems = meta.validate();
    if problems.is_empty() {
        Ok(meta)
    } else {
        Err(SyncError::MetaInvalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}

pub fn queue(args: QueueArgs) -> u8 {
    let result = (|| {
        let mut store = Store::open(&home())?;
        let meta = load_meta(&args.meta, &store)?;
        store.queue(&args.file, &meta, time::OffsetDateTime::now_utc(), None)
    })();
    match result {
        Ok(entry) => {
            if args.json {
                print_json(&entry);
            } else {
                println!(
                    "{}",
                    tp(
                        "cli.queue.queued",
                        &[
                            ("id", &entry.id.to_string()),
                            ("name", &entry.attachment_name),
                            ("document_id", &entry.document_id),
                            ("size", &entry.size.to_string()),
                            ("level", &level_text(&entry)),
                        ],
                    )
                );
            }
            exit::OK
        }
        Err(e) => fail(&e, args.json),
    }
}

pub fn outbox(args: OutboxArgs) -> u8 {
    if let Some(OutboxAction::Due) = args.action {
        return match Store::open(&home()).and_then(|s| s.timestamps_due()) {
            Ok(due) if args.json => {
                print_json(&due);
                exit::OK
            }
            Ok(due) if due.is_empty() => {
                println!("{}", t("cli.outbox.no_due"));
                exit::OK
            }
            Ok(_) => {
                print_due_files();
                exit::OK
            }
            Err(e) => fail(&e, args.json),
        };
    }
    let result = (|| {
        let mut store = Store::open(&home())?;
        match args.action {
            Some(OutboxAction::Retry { id }) => {
                store.retry(id, time::OffsetDateTime::now_utc())?;
            }
            Some(OutboxAction::Cancel { id }) => store.cancel(id)?,
            _ => {}
        }
        store.outbox()
    })();
    match result {
        Ok(entries) => {
            if args.json {
                print_json(&entries);
            } else if entries.is_empty() {
                println!("{}", t("cli.outbox.empty"));
            } else {
                for e in &entries {
                    let status = e
                        .status
                        .as_ref()
                        .map(|s| format!("{} {}", s.code, s.description))
                        .unwrap_or_default();
                    let problem = match (e.timestamp_due, &e.level_error, &e.last_error) {
                        (true, Some(why), _) => why.clone(),
                        (_, _, Some(error)) => stored_problem(e.last_error_code.as_deref(), error),
                        _ => String::new(),
                    };
                    let state = format!("{:?}", e.state).to_lowercase();
                    println!(
                        "#{:<5} {:<10} {:<40} {:<24} {} {}",
                        e.id,
                        t(&format!("cli.outbox.state.{state}")),
                        e.attachment_name,
                        level_text(e),
                        status,
                        problem
                    );
                }
            }
            if !args.json {
                print_due_files();
            }
            exit::OK
        }
        Err(e) => fail(&e, args.json),
    }
}

pub fn sync(args: SyncArgs) -> u8 {
    let home = home();
    if args.watch {
        return watch(&home, args.json);
    }
    let result = (|| {
        let config = Config::load(&home)?;
        let client = kyso_sync::config::connect(&config)?;
        let client = client.as_ref();
        let options = SyncOptions {
            workers: config.sync.workers,
            backoff: config.sync.backoff(),
            seed: None,
            deadline: args.timeout.map(std::time::Duration::from_secs),
            upgrades: Some(kyso_sync::Upgrades::from_settings(
                &home,
                config.sync.require_timestamp,
            )),
        };
        if args.once {
            engine::sync_once(&home, client, &options, &SystemClock)
        } else {
            engine::sync_until_idle(&home, client, &options, &SystemClock, |_| {})
        }
    })();
    match result {
        Ok(report) => {
            if args.json {
                print_json(&report);
            } else {
                for d in &report.deliveries {
                    if let Some(error) = &d.error {
                        let state = format!("{:?}", d.state).to_lowercase();
                        println!(
                            "#{} {}: {} {}",
                            d.id,
                            d.attachment_name,
                            t(&format!("cli.outbox.state.{state}")),
                            stored_problem(d.error_code.as_deref(), error)
                        );
                    }
                }
                for f in &report.files {
                    match &f.raise {
                        kyso_sync::levels::Raise::Raised { level } => println!(
                            "{}: {}",
                            f.path.display(),
                            tp(
                                "cli.sync.raised",
                                &[("level", level.map_or("?", kyso_core::Level::name))],
                            )
                        ),
                        kyso_sync::levels::Raise::Failed { code, message } => {
                            println!(
                                "{}: {} {}",
                                f.path.display(),
                                t("cli.sync.still_due"),
                                stored_problem(Some(code), message)
                            )
                        }
                        kyso_sync::levels::Raise::Frozen => {}
                    }
                }
                let n = |v: usize| v.to_string();
                println!(
                    "{}",
                    tp(
                        "cli.sync.summary",
                        &[
                            ("sent", &n(report.sent)),
                            ("refused", &n(report.refused)),
                            ("failed", &n(report.failed)),
                            ("queued", &n(report.queued)),
                            ("waiting", &n(report.waiting_for_timestamp)),
                            ("raised", &n(report.raised)),
                            ("retries", &n(report.retries)),
                            ("statuses", &n(report.statuses_added)),
                        ],
                    )
                );
            }
            if report.refused + report.failed + report.queued == 0 {
                exit::OK
            } else {
                exit::SOME_FAILED
            }
        }
        Err(e) => fail(&e, args.json),
    }
}

/// An error the store kept as its code and English text: `[CODE] text` in the run's
/// language, with the English text beside it in Vietnamese (the parameters were not kept).
fn stored_problem(code: Option<&str>, english: &str) -> String {
    match code.filter(|c| kyso_core::messages::has(ui::lang(), c)) {
        Some(code) => match ui::lang() {
            Lang::Vi => format!("[{code}] {} ({english})", t(code)),
            Lang::En => format!("[{code}] {english}"),
        },
        None => match code {
            Some(code) => format!("[{code}] {english}"),
            None => english.to_string(),
        },
    }
}

/// "B-T", or "B-B, timestamp due (B-T)".
fn level_text(e: &kyso_sync::OutboxEntry) -> String {
    let level = e
        .level
        .map_or_else(|| t("cli.level.none"), |l| l.name().to_string());
    match (e.timestamp_due, e.target_level) {
        (true, Some(target)) => tp(
            "cli.outbox.timestamp_due",
            &[("level", &level), ("target", target.name())],
        ),
        _ => level,
    }
}

/// The signed files on disk whose timestamp is due.
fn print_due_files() {
    let Ok(due) = Store::open(&home()).and_then(|s| s.timestamps_due()) else {
        return;
    };
    if due.is_empty() {
        return;
    }
    println!("{}", t("cli.outbox.due_files"));
    for d in &due {
        println!(
            "  {} {} → {}{}",
            d.path.display(),
            d.level.map_or("?", kyso_core::Level::name),
            d.target_level,
            d.last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
}

/// `kyso sync --watch`: the background sync in the foreground, until the process is stopped.
fn watch(home: &Path, json: bool) -> u8 {
    let _background = kyso_sync::Background::start(
        home,
        std::sync::Arc::new(SystemClock),
        move |status: &kyso_sync::SyncStatus| {
            if json {
                println!("{}", serde_json::to_string(status).unwrap_or_default());
            } else {
                let problem = match (&status.error_code, &status.error) {
                    (code, Some(error)) => format!(" {}", stored_problem(code.as_deref(), error)),
                    _ => String::new(),
                };
                let connection = serde_json::to_value(status.connection)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let n = |v: usize| v.to_string();
                println!(
                    "{} {}: {}{problem}",
                    status.last_attempt,
                    t(&format!("cli.sync.connection.{connection}")),
                    tp(
                        "cli.sync.watch",
                        &[
                            ("sent", &n(status.sent)),
                            ("queued", &n(status.queued)),
                            ("attention", &n(status.needs_attention)),
                            ("inbox", &n(status.inbox_added)),
                        ],
                    )
                );
            }
            use std::io::Write;
            let _ = std::io::stdout().flush();
        },
    );
    loop {
        std::thread::park();
    }
}

pub fn status(args: StatusArgs) -> u8 {
    let home = home();
    let result = (|| {
        let store = Store::open(&home)?;
        let entry = store.outbox_entry(args.id)?;
        let config = Config::load(&home)?;
        let mut note = None;
        if let (false, Some(_)) = (args.offline, &entry.receipt_id) {
            let polled = kyso_sync::config::connect(&config).and_then(|client| {
                engine::refresh_statuses(&home, client.as_ref(), &SystemClock, Some(entry.id))
            });
            if let Err(e) = polled {
                note = Some(tp(
                    "cli.status.not_refreshed",
                    &[("problem", &ui::describe(&Problem::of(&e)))],
                ))
            }
        }
        let entry = store.outbox_entry(args.id)?;
        let history = store.statuses(args.id)?;
        let attempts = store.attempts(args.id)?;
        let dialect = config.exchange.dialect();
        Ok::<_, SyncError>((entry, history, attempts, note, dialect))
    })();
    match result {
        Ok((entry, history, attempts, note, dialect)) => {
            if args.json {
                let attempts: Vec<_> = attempts
                    .iter()
                    .map(|(at, outcome, detail)| serde_json::json!({"at": at, "outcome": outcome, "detail": detail}))
                    .collect();
                print_json(&serde_json::json!({
                    "entry": entry, "history": history, "attempts": attempts, "note": note
                }));
            } else {
                let state = format!("{:?}", entry.state).to_lowercase();
                println!(
                    "#{} {} — {}",
                    entry.id,
                    entry.attachment_name,
                    t(&format!("cli.outbox.state.{state}"))
                );
                let line = |key: &str, value: &str| {
                    let label = format!("{}:", t(key));
                    println!("  {label:<16}{value}");
                };
                line("cli.status.document_id", &entry.document_id);
                if let Some(r) = &entry.receipt_id {
                    // Kyso's exchange gives a receipt; the provincial platforms a DocId.
                    let label = match dialect {
                        kyso_sync::Dialect::Kyso => "cli.status.receipt",
                        _ => "cli.status.doc_id",
                    };
                    line(
                        label,
                        &format!("{r} ({})", entry.received_at.as_deref().unwrap_or("")),
                    );
                }
                for s in &history {
                    println!("  {} {} — {}", s.timestamp, s.code, s.description);
                }
                if let Some(e) = &entry.last_error {
                    line("cli.status.last_error", e);
                }
                if let Some(n) = note {
                    println!("  ({n})");
                }
            }
            exit::OK
        }
        Err(e) => fail(&e, args.json),
    }
}

pub fn inbox(args: InboxArgs) -> u8 {
    let home = home();
    let result = (|| {
        match &args.action {
            Some(InboxAction::Fetch) => {
                let config = Config::load(&home)?;
                let client = kyso_sync::config::connect(&config)?;
                let added = engine::fetch_inbox(&home, client.as_ref(), &SystemClock)?;
                // The 01 "đã đến" of what arrived leaves now (or with the sync already
                // running for this store).
                match engine::deliver_statuses(
                    &home,
                    client.as_ref(),
                    &sync_options(&config),
                    &SystemClock,
                ) {
                    Ok(_) | Err(SyncError::Busy) => {}
                    Err(e) => return Err(e),
                }
                if !args.json {
                    println!(
                        "{}",
                        tp("cli.inbox.fetched", &[("count", &added.len().to_string())])
                    );
                }
            }
            Some(InboxAction::Status {
                id,
                code,
                description,
                staff,
            }) => {
                let config = Config::load(&home)?;
                let mut store = Store::open(&home)?;
                let queued = engine::queue_status(
                    &mut store,
                    *id,
                    code,
                    description.as_deref(),
                    staff.as_deref(),
                    config.exchange.system_id.as_deref(),
                    time::OffsetDateTime::now_utc(),
                )?;
                send_statuses_now(&home, &config);
                print_status_given(&store, queued.id, args.json)?;
                return Ok(None);
            }
            Some(InboxAction::StatusRetry { status_id }) => {
                let config = Config::load(&home)?;
                let mut store = Store::open(&home)?;
                store.retry_status(*status_id, time::OffsetDateTime::now_utc())?;
                send_statuses_now(&home, &config);
                print_status_given(&store, *status_id, args.json)?;
                return Ok(None);
            }
            None => {}
        }
        Store::open(&home)?.inbox().map(Some)
    })();
    let result = match result {
        Ok(None) => return exit::OK,
        Ok(Some(entries)) => Ok(entries),
        Err(e) => Err(e),
    };
    match result {
        Ok(entries) => {
            if args.json {
                print_json(&entries);
            } else if entries.is_empty() {
                println!("{}", t("cli.inbox.empty"));
            } else {
                for e in &entries {
                    println!(
                        "#{:<5} {} — {} ({})",
                        e.id, e.document_id, e.subject, e.from_name
                    );
                    for a in &e.attachments {
                        println!("        {} {}", a.name, a.path.display());
                    }
                }
            }
            exit::OK
        }
        Err(e) => fail(&e, args.json),
    }
}

/// The sync settings of a run started by a command.
fn sync_options(config: &Config) -> SyncOptions {
    SyncOptions {
        workers: config.sync.workers,
        backoff: config.sync.backoff(),
        seed: None,
        deadline: None,
        upgrades: None,
    }
}

/// Sends the queued statuses now when the exchange answers; otherwise they wait for the next
/// sync (nothing to report: the status shows where it stands).
fn send_statuses_now(home: &Path, config: &Config) {
    if let Ok(client) = kyso_sync::config::connect(config) {
        let _ =
            engine::deliver_statuses(home, client.as_ref(), &sync_options(config), &SystemClock);
    }
}

fn print_status_given(store: &Store, status_id: i64, json: bool) -> Result<(), SyncError> {
    let given = store.status_outbox_entry(status_id)?;
    if json {
        print_json(&given);
    } else {
        let mut state = t(&format!("cli.outbox.state.{}", given.state));
        if let Some(error) = &given.last_error {
            state = format!(
                "{state} {}",
                stored_problem(given.last_error_code.as_deref(), error)
            );
        }
        println!(
            "{}",
            tp(
                "cli.inbox.status_given",
                &[
                    ("id", &given.inbox_id.to_string()),
                    ("code", &given.code),
                    ("description", &given.description),
                    ("state", &state),
                ],
            )
        );
    }
    Ok(())
}

pub fn reply(args: ReplyArgs) -> u8 {
    let result = (|| {
        let mut store = Store::open(&home())?;
        let meta = read_meta(&args.meta)?;
        // A reply goes to the answered document's sender unless the file names recipients:
        // the remembered recipients are not a default here.
        let recipients = meta.to.clone();
        let mut meta = meta.with_defaults(&store.meta_defaults()?);
        meta.to = recipients;
        engine::queue_reply(
            &mut store,
            args.id,
            &args.signed,
            meta,
            time::OffsetDateTime::now_utc(),
        )
    })();
    match result {
        Ok(entry) => {
            if args.json {
                print_json(&entry);
            } else {
                println!(
                    "{}",
                    tp(
                        "cli.reply.queued",
                        &[
                            ("id", &entry.id.to_string()),
                            ("name", &entry.attachment_name),
                            ("inbox_id", &args.id.to_string()),
                        ],
                    )
                );
            }
            exit::OK
        }
        Err(e) => fail(&e, args.json),
    }
}
