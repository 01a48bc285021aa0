//! `kyso`: sign PDFs with PAdES signatures and inspect them. Argument parsing and output
//! only; every operation is one kyso-core call (docs/architecture.md principle 2).

mod appearance;
mod exchange;
mod id;
mod passwords;
mod sign;
mod timestamp;
mod token;
mod trust;
mod ui;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kyso_core::messages::{Lang, Problem};

/// Exit codes, documented in README.md.
pub mod exit {
    /// Every file succeeded.
    pub const OK: u8 = 0;
    /// At least one file failed; the others were processed.
    pub const SOME_FAILED: u8 = 1;
    /// The command line was wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// The key source could not be opened (wrong .p12 password, no key…): nothing was signed.
    pub const KEY_SOURCE: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "kyso",
    version,
    about = "Kyso — ký số văn bản PDF (PAdES) / sign PDF documents"
)]
struct Cli {
    /// Language of messages: vi (default) or en; else KYSO_LANG, else `ui.lang`.
    #[arg(long, global = true, value_name = "vi|en", value_parser = parse_lang)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| format!("\"{text}\": vi or en"))
}

#[derive(Subcommand)]
enum Command {
    /// Ký số tệp PDF — sign one or more PDFs (a directory takes the PDFs in it).
    Sign(Box<SignArgs>),
    /// Xem thông tin tệp PDF — show a PDF's pages, version, encryption, fields and signatures.
    Info(InfoArgs),
    /// Cấp số, ngày văn bản — add the number and date to a leader-signed document.
    Stamp(appearance::StampArgs),
    /// Xem chữ trên trang — the text lines of a page with their boxes, for --anchor and --rect.
    Text(appearance::TextArgs),
    /// Quản lý chứng thư số — identities: certificates kept by the OS keychain, and token keys.
    #[command(subcommand)]
    Id(id::IdCommand),
    /// Thiết bị token USB — PKCS#11 tokens (USB tokens).
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Kiểm tra chữ ký số — verify the signatures of PDFs: integrity, changes, trust, revocation, timestamps.
    Verify(verify::VerifyArgs),
    /// Gắn dấu thời gian — add a document timestamp (a trusted time over the whole file) to PDFs.
    Timestamp(timestamp::TimestampArgs),
    /// Nâng mức chữ ký — raise signed PDFs to a PAdES level: b-t, b-lt (validation data), b-lta (archive).
    Upgrade(timestamp::UpgradeArgs),
    /// Gia hạn lưu trữ — archives of B-LTA documents: renew their timestamps before they expire.
    #[command(subcommand)]
    Archive(timestamp::ArchiveCommand),
    /// Máy chủ dấu thời gian — time-stamping authorities: log in to one that needs a password or a token.
    #[command(subcommand)]
    Tsa(timestamp::TsaCommand),
    /// Chứng thư tin cậy — the trust store: trusted roots and stored intermediate CAs.
    Trust(trust::TrustArgs),
    /// Cài đặt — settings: the language, the exchange's address and client id, signing, TSAs.
    #[command(subcommand)]
    Config(exchange::ConfigCommand),
    /// Đăng nhập trục liên thông — store the exchange's client secret in the OS keychain.
    Login(exchange::LoginArgs),
    /// Đưa văn bản vào hộp thư đi — put a signed PDF in the outbox, with its edXML metadata; sent at the next sync.
    Queue(exchange::QueueArgs),
    /// Hộp thư đi — the documents waiting to be sent, sent, or refused.
    Outbox(exchange::OutboxArgs),
    /// Đồng bộ với trục liên thông — send the outbox and fetch statuses (until done, or --once).
    Sync(exchange::SyncArgs),
    /// Trạng thái văn bản đã gửi — one sent document's receipt and status history.
    Status(exchange::StatusArgs),
    /// Hộp thư đến — documents addressed to your organ, kept for offline reading and signing.
    Inbox(exchange::InboxArgs),
    /// Trả lời văn bản đến — queue a signed PDF as the reply to an inbox document.
    Reply(exchange::ReplyArgs),
}

#[derive(clap::Args)]
pub struct SignArgs {
    /// PDF files, or directories whose *.pdf files are signed.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output file (only with a single input).
    #[arg(
        short = 'o',
        long = "output",
        conflicts_with = "out_dir",
        required_unless_present = "out_dir"
    )]
    pub output: Option<PathBuf>,
    /// Output directory: each input becomes <stem>.signed.pdf there.
    #[arg(long = "out-dir")]
    pub out_dir: Option<PathBuf>,
    /// PKCS#12 file (.p12/.pfx) holding the key and certificate.
    #[arg(long, conflicts_with = "identity")]
    pub p12: Option<PathBuf>,
    /// Identity to sign with (`kyso id list`); the default identity when neither this nor --p12.
    #[arg(long)]
    pub identity: Option<String>,
    /// File holding the identity's PIN (token PIN or vault signing PIN; else KYSO_PIN, else a prompt).
    #[arg(long = "pin-file")]
    pub pin_file: Option<PathBuf>,
    /// File holding the .p12 password (else KYSO_P12_PASSWORD, else a prompt).
    #[arg(long = "p12-password-file")]
    pub p12_password_file: Option<PathBuf>,
    /// Sign this existing empty signature field, or name the new field.
    #[arg(long)]
    pub field: Option<String>,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub location: Option<String>,
    #[arg(long = "contact-info")]
    pub contact_info: Option<String>,
    /// Certify the document (DocMDP): 1 no changes, 2 form filling and signing, 3 also annotations.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub certify: Option<u8>,
    /// File holding the PDF's user or owner password (else KYSO_PDF_PASSWORD, else a prompt when needed).
    #[arg(long = "pdf-password-file")]
    pub pdf_password_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = HashArg::Sha256)]
    pub hash: HashArg,
    /// Use RSASSA-PSS instead of PKCS#1 v1.5.
    #[arg(long)]
    pub pss: bool,
    #[arg(long, value_enum, default_value_t = SubFilterArg::Pades)]
    pub subfilter: SubFilterArg,
    /// One JSON object per file on standard output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub appearance: appearance::AppearanceArgs,
    /// A TSA to ask for the signature's time (repeat for fallbacks), instead of tsa.urls.
    #[arg(long = "tsa", value_name = "URL")]
    pub tsa: Vec<String>,
    /// The PAdES level: b-b (no time), b-t (a trusted time), b-lt (and the validation data),
    /// b-lta (and an archive timestamp). Else signing.level (per identity), else b-t.
    #[arg(long, value_enum)]
    pub level: Option<timestamp::LevelArg>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum HashArg {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SubFilterArg {
    /// ETSI.CAdES.detached (PAdES baseline)
    Pades,
    /// adbe.pkcs7.detached
    Pkcs7,
}

#[derive(clap::Args)]
struct InfoArgs {
    file: PathBuf,
    #[arg(long = "pdf-password-file")]
    pdf_password_file: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    // The local offset must be read before any thread starts (the `time` crate's rule).
    let local_offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let cli = Cli::parse();
    ui::init(cli.lang, &kyso_keys::home::kyso_home());
    let code = match cli.command {
        Command::Sign(args) => sign::run(*args, local_offset),
        Command::Info(args) => info(args),
        Command::Stamp(args) => appearance::stamp(args),
        Command::Text(args) => appearance::text(args),
        Command::Id(command) => id::run(command),
        Command::Token(command) => token::run(command),
        Command::Verify(args) => verify::run(args),
        Command::Timestamp(args) => timestamp::timestamp(args),
        Command::Upgrade(args) => timestamp::upgrade(args),
        Command::Archive(command) => timestamp::archive(command),
        Command::Tsa(command) => timestamp::tsa(command),
        Command::Trust(args) => trust::run(args),
        Command::Config(command) => exchange::config(command),
        Command::Login(args) => exchange::login(args),
        Command::Queue(args) => exchange::queue(args),
        Command::Outbox(args) => exchange::outbox(args),
        Command::Sync(args) => exchange::sync(args),
        Command::Status(args) => exchange::status(args),
        Command::Inbox(args) => exchange::inbox(args),
        Command::Reply(args) => exchange::reply(args),
    };
    ExitCode::from(code)
}

fn info(args: InfoArgs) -> u8 {
    let password = match passwords::pdf_password(args.pdf_password_file.as_deref()) {
        Ok(p) => p,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    match kyso_core::inspect_file(&args.file, password.as_ref().map(|p| p.as_str())) {
        Ok(info) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&info).unwrap_or_default()
                );
            } else {
                print_info(&info);
            }
            exit::OK
        }
        Err(e) => {
            let p = Problem::of(&e);
            if args.json {
                let mut value = ui::json_error(&p);
                value["file"] = serde_json::json!(args.file);
                println!("{value}");
            } else {
                ui::report(&p);
            }
            exit::SOME_FAILED
        }
    }
}

/// One `label: value` line of `kyso info`, the labels aligned in either language.
fn info_line(key: &str, value: impl std::fmt::Display) {
    let label = format!("{}:", ui::t(key));
    println!("{label:<16}{value}");
}

fn print_info(info: &kyso_core::DocumentInfo) {
    use ui::{t, tp};
    info_line("cli.info.file", info.path.display());
    info_line(
        "cli.info.size",
        tp("cli.info.bytes", &[("count", &info.size_bytes.to_string())]),
    );
    info_line("cli.info.version", &info.version);
    info_line("cli.info.pages", info.pages);
    info_line(
        "cli.info.revisions",
        format!(
            "{}{}",
            info.revisions,
            if info.recovered {
                format!(" ({})", t("cli.info.recovered"))
            } else {
                String::new()
            }
        ),
    );
    match &info.encryption {
        Some(e) => info_line(
            "cli.info.encryption",
            tp(
                "cli.info.encryption_detail",
                &[
                    ("method", &e.method.to_string()),
                    ("revision", &e.revision.to_string()),
                    ("password", &e.opened_with.to_string()),
                    ("permissions", &format!("{:#x}", e.permissions)),
                ],
            ),
        ),
        None => info_line("cli.info.encryption", t("cli.info.none")),
    }
    if let Some(p) = info.certification {
        info_line("cli.info.certified", format!("DocMDP P={p}"));
    }
    info_line("cli.info.fields", info.fields.len());
    for f in &info.fields {
        println!(
            "  - {} ({}){}",
            f.name,
            f.field_type.as_deref().unwrap_or("?"),
            if f.filled {
                format!(", {}", t("cli.info.filled"))
            } else {
                String::new()
            }
        );
    }
    info_line("cli.info.signatures", info.signatures.len());
    for s in &info.signatures {
        let signer = s
            .signer
            .clone()
            .unwrap_or_else(|| t("cli.info.unknown_signer"));
        println!(
            "  - {}: {} {} {}{}",
            s.field,
            s.sub_filter.as_deref().unwrap_or("?"),
            s.signing_time.as_deref().unwrap_or(""),
            tp("cli.info.by", &[("signer", &signer)]),
            if s.covers_whole_file {
                format!(", {}", t("cli.info.whole_file"))
            } else {
                String::new()
            }
        );
    }
}
