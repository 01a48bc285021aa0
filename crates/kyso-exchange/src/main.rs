//! kyso-exchange: the reference provincial document-exchange endpoint (docs/exchange-api.md).
//!
//! ```text
//! kyso-exchange serve --addr 127.0.0.1:8080 --db exchange.db [--config exchange.toml]
//!                     [--dialect kyso|vdxp|lgsp-v1]
//! kyso-exchange documents --db exchange.db [--json]
//! kyso-exchange packages --db exchange.db          (the dialects' packages, JSON)
//! kyso-exchange set-status --db exchange.db RECEIPT_ID CODE DESCRIPTION [--staff NAME]
//! kyso-exchange send-to --db exchange.db ORGAN FILE.pdf [--subject S] [--from ORGAN_ID]
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kyso_exchange::commands::{self, SendTo};
use kyso_exchange::config::Config;
use kyso_exchange::server::{self, AppState};
use kyso_sync::Dialect;

#[derive(Parser)]
#[command(
    name = "kyso-exchange",
    version,
    about = "The reference provincial document-exchange endpoint (docs/exchange-api.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the exchange API; prints "listening on http://ADDR" once ready.
    Serve {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The SQLite database (created when missing); blobs go to DB.blobs/.
        #[arg(long)]
        db: PathBuf,
        /// TOML configuration: clients, token lifetime, limits, trust anchors, faults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The protocol served: Kyso's own (docs/exchange-api.md), or a double of a provincial
        /// platform's (docs/exchange-dialects.md).
        #[arg(long, default_value = "kyso", value_parser = parse_dialect)]
        dialect: Dialect,
    },
    /// List the provincial dialects' packages (vdxp, lgsp-v1) with their deliveries, as JSON.
    Packages {
        #[arg(long)]
        db: PathBuf,
    },
    /// List the documents received: receipt, idempotency key, attachments, statuses.
    Documents {
        #[arg(long)]
        db: PathBuf,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Append a status (03 registered, 04 assigned, 05 in progress, 06 done, 13/15/16 recall…).
    SetStatus {
        #[arg(long)]
        db: PathBuf,
        receipt_id: String,
        code: String,
        description: String,
        /// StaffInfo: who set the status.
        #[arg(long)]
        staff: Option<String>,
    },
    /// Put a document (the file and an edXML message naming it) into an organ's inbox;
    /// prints the inbox id.
    SendTo {
        #[arg(long)]
        db: PathBuf,
        /// The receiving organ's agency code, e.g. 000.00.00.H35.
        organ: String,
        file: PathBuf,
        #[arg(long)]
        subject: Option<String>,
        /// The sending organ's agency code.
        #[arg(long = "from", default_value = "000.00.00.G22")]
        from: String,
        #[arg(long, default_value = "Văn phòng Chính phủ")]
        from_name: String,
        /// The receiving organ's name (default: its code).
        #[arg(long)]
        organ_name: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            addr,
            db,
            config,
            dialect,
        } => serve(addr, db, config, dialect),
        Command::Packages { db } => {
            let store = kyso_exchange::store::Store::open(&db)?;
            println!("{}", serde_json::to_string_pretty(&store.packages()?)?);
            Ok(())
        }
        Command::Documents { db, json } => {
            let docs = commands::documents(&db)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&docs)?);
            } else {
                print!("{}", commands::documents_text(&docs));
            }
            Ok(())
        }
        Command::SetStatus {
            db,
            receipt_id,
            code,
            description,
            staff,
        } => {
            let s = commands::set_status(&db, &receipt_id, &code, &description, staff.as_deref())?;
            println!("{receipt_id} {} {} {}", s.code, s.timestamp, s.description);
            Ok(())
        }
        Command::SendTo {
            db,
            organ,
            file,
            subject,
            from,
            from_name,
            organ_name,
        } => {
            let id = commands::send_to(
                &db,
                &SendTo {
                    organ_id: &organ,
                    organ_name: organ_name.as_deref(),
                    file: &file,
                    subject: subject.as_deref(),
                    from_organ_id: &from,
                    from_name: &from_name,
                },
            )?;
            println!("{id}");
            Ok(())
        }
    }
}

fn parse_dialect(text: &str) -> Result<Dialect, String> {
    Dialect::parse(text).ok_or_else(|| format!("{text}: kyso, vdxp or lgsp-v1"))
}

fn serve(
    addr: SocketAddr,
    db: PathBuf,
    config: Option<PathBuf>,
    dialect: Dialect,
) -> anyhow::Result<()> {
    let config = match &config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let state = Arc::new(AppState::open_dialect(config, &db, dialect)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{local}")?;
        stdout.flush()?;
        drop(stdout);
        server::run(state, listener, shutdown_signal())
            .await
            .context("server failed")
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
