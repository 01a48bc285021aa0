//! The visible-signature options of `kyso sign`, and `kyso stamp` and `kyso text`: argument
//! parsing and output over kyso-core's `appearance` and `stamp` (docs/architecture.md principle 2).

use std::path::PathBuf;

use kyso_core::appearance::{AppearanceRequest, PageChoice, Placement, Rect, Template};
use kyso_core::settings::AppearanceSettings;
use kyso_core::stamp::{StampRequest, parse_date, stamp_file};

use kyso_core::messages::{Problem, param};

use crate::{exit, passwords, ui};

/// An option given a value it cannot take; `detail` says why, in English.
pub fn invalid_option(option: &str, detail: impl Into<String>) -> Problem {
    let detail = detail.into();
    ui::problem(
        "INVALID_OPTION",
        vec![param("option", option), param("detail", &detail)],
        format!("{option}: {detail}"),
    )
}

#[derive(clap::Args, Debug, Default)]
pub struct AppearanceArgs {
    /// A visible signature: leader, seal, attachment, copy or text (NĐ 30/2020).
    #[arg(long)]
    pub appearance: Option<String>,
    /// The page of the box: a number from 1, or last.
    #[arg(long, requires = "appearance")]
    pub page: Option<String>,
    /// The box, X,Y,W,H in points from the bottom-left corner of the page as shown.
    #[arg(long, requires = "appearance", conflicts_with = "anchor")]
    pub rect: Option<String>,
    /// Put the box above this text on the page (default for leader: the signer's name).
    #[arg(long, requires = "appearance")]
    pub anchor: Option<String>,
    /// Which match of --anchor, from 1, when the text is on the page more than once.
    #[arg(long = "anchor-index", requires = "anchor")]
    pub anchor_index: Option<usize>,
    /// The leader's signature image (PNG or JPEG); else appearance.image.
    #[arg(long, requires = "appearance")]
    pub image: Option<PathBuf>,
    /// The agency's seal image (PNG or JPEG); else appearance.seal.
    #[arg(long, requires = "appearance")]
    pub seal: Option<PathBuf>,
    /// The seal's width in millimetres (else from the image's DPI).
    #[arg(long = "seal-size", requires = "appearance")]
    pub seal_size: Option<f64>,
    /// The document's number and code (attachment, text's {doc_number}).
    #[arg(long = "doc-number", requires = "appearance")]
    pub doc_number: Option<String>,
    /// The form of a copy: "SAO Y" (default), "SAO LỤC" or "TRÍCH SAO".
    #[arg(long = "copy-form", requires = "appearance")]
    pub copy_form: Option<String>,
    /// The text appearance's template: {signer} {organization} {email} {time} {reason}
    /// {location} {doc_number}, \n for a new line.
    #[arg(long, requires = "appearance")]
    pub text: Option<String>,
    /// Reserve read-only fields for the clerk's number and date (leader: on by default).
    #[arg(long = "reserve-number", requires = "appearance")]
    pub reserve_number: bool,
}

impl AppearanceArgs {
    /// The appearance asked for, with the user's settings; None for an invisible signature.
    /// The appearance asked for; `identity` picks its own images from the settings.
    pub fn request(&self, identity: Option<&str>) -> Result<Option<AppearanceRequest>, Problem> {
        let Some(template) = &self.appearance else {
            return Ok(None);
        };
        let template: Template = template
            .parse()
            .map_err(|e: String| invalid_option("--appearance", e))?;
        let page = self
            .page
            .as_deref()
            .map(str::parse::<PageChoice>)
            .transpose()
            .map_err(|e| invalid_option("--page", e))?;
        let placement = match (&self.rect, &self.anchor) {
            (Some(rect), _) => Placement::Rect {
                page: page.unwrap_or(PageChoice::Number(1)),
                rect: parse_rect(rect)?,
            },
            (None, Some(text)) => Placement::Anchor {
                page,
                text: text.clone(),
                index: self.anchor_index,
            },
            (None, None) => match page {
                Some(_) => {
                    return Err(invalid_option(
                        "--page",
                        "--page needs --rect or --anchor: where on the page?",
                    ));
                }
                None => Placement::Auto,
            },
        };
        if let Some(mm) = self.seal_size
            && !(mm.is_finite() && mm > 0.0)
        {
            return Err(invalid_option(
                "--seal-size",
                format!("{mm}: give the width in millimetres"),
            ));
        }
        let settings =
            AppearanceSettings::load(&kyso_keys::home::kyso_home()).map_err(|e| Problem::of(&e))?;
        Ok(Some(AppearanceRequest {
            template,
            placement,
            image: self.image.clone(),
            seal: self.seal.clone(),
            seal_size_mm: self.seal_size,
            doc_number: self.doc_number.clone(),
            copy_form: self.copy_form.clone(),
            text: self.text.clone(),
            reserve_number: self.reserve_number.then_some(true),
            settings,
            identity: identity.map(str::to_string),
        }))
    }
}

/// `X,Y,W,H` in points.
fn parse_rect(text: &str) -> Result<Rect, Problem> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            invalid_option(
                "--rect",
                format!("{text}: give X,Y,W,H in points, e.g. 350,120,180,90"),
            )
        })?;
    match numbers.as_slice() {
        [x, y, w, h] if numbers.iter().all(|n| n.is_finite()) && *w > 0.0 && *h > 0.0 => {
            Ok(Rect::from_xywh(*x, *y, *w, *h))
        }
        _ => Err(invalid_option(
            "--rect",
            format!("{text}: give X,Y,W,H in points, with a positive width and height"),
        )),
    }
}

#[derive(clap::Args)]
pub struct StampArgs {
    /// The leader-signed PDF.
    file: PathBuf,
    /// The stamped copy (the input is never modified).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// The document's number and code, e.g. 123/QĐ-UBND.
    #[arg(long, required_unless_present = "date")]
    number: Option<String>,
    /// The date of issue, YYYY-MM-DD.
    #[arg(long)]
    date: Option<String>,
    #[arg(long = "pdf-password-file")]
    pdf_password_file: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn stamp(args: StampArgs) -> u8 {
    let date = match args.date.as_deref().map(parse_date).transpose() {
        Ok(d) => d,
        Err(message) => {
            ui::report(&ui::problem(
                "STAMP_DATE_INVALID",
                vec![param("detail", &message)],
                format!("--date {message}"),
            ));
            return exit::USAGE;
        }
    };
    let pdf_password = match passwords::pdf_password(args.pdf_password_file.as_deref()) {
        Ok(p) => p.map(kyso_core::Password::from),
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    let request = StampRequest {
        number: args.number.clone(),
        date,
        pdf_password,
    };
    match stamp_file(&args.file, &args.output, &request) {
        Ok(outcome) => {
            if args.json {
                let mut value = serde_json::to_value(&outcome).unwrap_or_default();
                value["ok"] = true.into();
                println!("{value}");
            } else {
                println!(
                    "{}{} -> {} ({})",
                    ui::status_word("cli.result.ok"),
                    outcome.input.display(),
                    outcome.output.display(),
                    outcome.fields.join(", ")
                );
            }
            exit::OK
        }
        Err(e) => {
            let p = Problem::of(&e);
            if args.json {
                let mut value = ui::json_error(&p);
                value["input"] = serde_json::json!(args.file);
                println!("{value}");
            } else {
                ui::report(&p);
            }
            exit::SOME_FAILED
        }
    }
}

#[derive(clap::Args)]
pub struct TextArgs {
    file: PathBuf,
    /// The page: a number from 1, or last (default 1).
    #[arg(long)]
    page: Option<String>,
    #[arg(long = "pdf-password-file")]
    pdf_password_file: Option<PathBuf>,
    /// One JSON object per line of text.
    #[arg(long)]
    json: bool,
}

pub fn text(args: TextArgs) -> u8 {
    let page = match args
        .page
        .as_deref()
        .map(str::parse::<PageChoice>)
        .transpose()
    {
        Ok(p) => p.unwrap_or(PageChoice::Number(1)),
        Err(message) => {
            ui::report(&invalid_option("--page", message));
            return exit::USAGE;
        }
    };
    let password = match passwords::pdf_password(args.pdf_password_file.as_deref()) {
        Ok(p) => p,
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    match kyso_core::appearance::page_text(&args.file, page, password.as_ref().map(|p| p.as_str()))
    {
        Ok(lines) => {
            // A reader that stops early (`kyso text F | head`) ends the listing, quietly.
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for line in &lines {
                let written = if args.json {
                    writeln!(out, "{}", serde_json::to_string(line).unwrap_or_default())
                } else {
                    let [x, y, w, h] = line.rect;
                    writeln!(out, "{x:8.2} {y:8.2} {w:8.2} {h:7.2}  {}", line.text)
                };
                if written.is_err() {
                    break;
                }
            }
            exit::OK
        }
        Err(e) => {
            ui::report_error(&e);
            exit::SOME_FAILED
        }
    }
}
