//! Visible signatures as NĐ 30/2020/NĐ-CP (Appendix I) prescribes, built on kyso-pdf's
//! appearance engine: one function for the CLI and the desktop app ([`plan_appearance`]).
//!
//! - `leader`: the leader's signature image (blue, transparent), then the signer's name
//!   from the certificate and the signing time (ISO 8601 with its offset), in a box above
//!   the signer's name as the document prints it (an anchor), or where asked; in the same
//!   revision, read-only fields reserved for the clerk's number and date ([`reserve`]);
//! - `seal`: the agency's seal (red, transparent) at its real size, over the left third
//!   of the leader's signature image; it locks the reserved fields (FieldMDP);
//! - `attachment` and `copy`: top right of page 1, no image, Times-metric 10 pt black: the
//!   document's number and code (or the form of the copy and the copying agency), then the
//!   signing time;
//! - `text`: a template of `{signer}`, `{organization}`, `{email}`, `{time}`, `{reason}`,
//!   `{location}`, `{doc_number}`.
//!
//! Boxes are given and reported in the page as displayed (points from the bottom-left
//! corner of the page a reader shows: CropBox, `/Rotate` applied); kyso-pdf's geometry turns
//! them into the page's user space.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use kyso_pdf::appearance::{AppearanceError, Font, Image, load_image};
use kyso_pdf::geometry::PageGeometry;
pub use kyso_pdf::geometry::Rect;
use kyso_pdf::signature::field_box;

mod leader;
mod place;

use kyso_pdf::text;
use kyso_pdf::visible::frame_size;
use kyso_pdf::visible::{
    Align, Canvas, FontSize, ImageBlock, ReservedField, Rgb, TextBlock, VisibleSignature,
};
use kyso_pdf::{Document, PdfError, Source, form, pages};
pub use place::{Placed, printed_after, reserve_fields};

use crate::messages::Params;
use crate::settings::AppearanceSettings;

/// Millimetres per point (1 pt = 1/72 in).
const MM_PER_PT: f64 = 25.4 / 72.0;
/// A seal without DPI and without `--seal-size` is taken as 40 mm wide (the common
/// diameter of an agency's round seal).
const DEFAULT_SEAL_MM: f64 = 40.0;
/// The leader's box when found by anchor (real VGCA-signed files carry a ~170 × 30 pt text
/// block; with the image above it).
const LEADER_BOX: [f64; 2] = [180.0, 90.0];
/// Margins of the top-right marks (attachments, copies) from the page's right and top edges:
/// in the top margin, above the text of the page (NĐ 30 Appendix I: a top margin of 20–25 mm).
const MARK_MARGIN_RIGHT: f64 = 20.0;
const MARK_MARGIN_TOP: f64 = 10.0;
/// NĐ 30's marks: Times New Roman 10 pt (Liberation Serif has its metrics).
const MARK_SIZE: f64 = 10.0;
/// The names of the fields the leader's revision reserves for the clerk.
pub const NUMBER_FIELD: &str = "so_van_ban";
pub const DAY_FIELD: &str = "ngay";
pub const MONTH_FIELD: &str = "thang";
pub const YEAR_FIELD: &str = "nam";

/// Which appearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Leader,
    Seal,
    Attachment,
    Copy,
    Text,
}

impl std::str::FromStr for Template {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Template, String> {
        match s {
            "leader" => Ok(Template::Leader),
            "seal" => Ok(Template::Seal),
            "attachment" => Ok(Template::Attachment),
            "copy" => Ok(Template::Copy),
            "text" => Ok(Template::Text),
            other => Err(format!(
                "unknown appearance \"{other}\": leader, seal, attachment, copy or text"
            )),
        }
    }
}

/// A page: a number from 1, or the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageChoice {
    Number(u64),
    Last,
}

impl std::str::FromStr for PageChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<PageChoice, String> {
        if s == "last" {
            return Ok(PageChoice::Last);
        }
        match s.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(PageChoice::Number(n)),
            _ => Err(format!(
                "\"{s}\" is not a page: give a number from 1, or last"
            )),
        }
    }
}

/// Where the box goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// The template's own place: the leader above the signer's name on the last page, the
    /// seal over the leader's image, the marks at the top right of page 1.
    Auto,
    /// This box (displayed coordinates) on this page.
    Rect { page: PageChoice, rect: Rect },
    /// Above `text` as found on `page` (default: the last page); with several matches,
    /// `index` (from 1) says which.
    Anchor {
        page: Option<PageChoice>,
        text: String,
        index: Option<usize>,
    },
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct AppearanceRequest {
    pub template: Template,
    pub placement: Placement,
    pub image: Option<PathBuf>,
    pub seal: Option<PathBuf>,
    pub seal_size_mm: Option<f64>,
    pub doc_number: Option<String>,
    pub copy_form: Option<String>,
    pub text: Option<String>,
    /// Reserve the clerk's number and date fields; None: the template's default (on for
    /// the leader, when the document shows "Số:" and a date line).
    pub reserve_number: Option<bool>,
    pub settings: AppearanceSettings,
    /// The identity signing, for its own images in the settings.
    pub identity: Option<String>,
}

impl AppearanceRequest {
    pub fn new(template: Template) -> AppearanceRequest {
        AppearanceRequest {
            template,
            placement: Placement::Auto,
            image: None,
            seal: None,
            seal_size_mm: None,
            doc_number: None,
            copy_form: None,
            text: None,
            reserve_number: None,
            settings: AppearanceSettings::default(),
            identity: None,
        }
    }
}

/// The words a template fills in.
#[derive(Debug, Clone, Default)]
pub struct Particulars {
    /// The certificate's common name.
    pub signer: String,
    /// The certificate's organisation.
    pub organization: String,
    pub email: String,
    /// The signing time, ISO 8601 with its offset (`2026-12-04T10:05:09+07:00`).
    pub time: String,
    pub reason: String,
    pub location: String,
}

impl Particulars {
    /// [`Particulars::of_certificate`] from the certificate's DER.
    pub fn of_certificate_der(
        der: &[u8],
        time: String,
    ) -> std::result::Result<Particulars, String> {
        let cert = kyso_cms::CertificateInfo::from_der(der).map_err(|e| e.to_string())?;
        Ok(Particulars::of_certificate(&cert, time))
    }

    /// What a certificate says of its holder, signed at `time` (ISO 8601 with offset).
    pub fn of_certificate(cert: &kyso_cms::CertificateInfo, time: String) -> Particulars {
        Particulars {
            signer: cert
                .subject_common_name
                .clone()
                .unwrap_or_else(|| cert.subject.clone()),
            organization: cert.subject_organization.clone().unwrap_or_default(),
            email: cert.subject_email.clone().unwrap_or_default(),
            time,
            reason: String::new(),
            location: String::new(),
        }
    }
}

/// What a signature's revision gets beside its signature.
#[derive(Default)]
pub struct PlannedAppearance {
    pub visible: Option<VisibleSignature>,
    pub reserved: Vec<ReservedField>,
    pub lock_fields: Vec<String>,
    /// Things the user should know (a default reservation that found no "Số:").
    pub warnings: Vec<String>,
}

/// Why an appearance cannot be made. Each has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum AppearanceFailure {
    #[error(transparent)]
    Engine(#[from] AppearanceError),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("{}: the image cannot be read: {source}", path.display())]
    ImageFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Image {
        path: PathBuf,
        source: AppearanceError,
    },
    #[error("no seal image: give --seal FILE, or set appearance.seal")]
    SealMissing,
    #[error(
        "no signature with an image was found to put the seal on: sign as the leader first, or give --rect"
    )]
    LeaderMissing,
    #[error("the document has no page {page}: it has {count}")]
    PageOutOfRange { page: u64, count: u64 },
    #[error("the box is not on page {page}: {reason}")]
    BoxOutsidePage { page: u64, reason: String },
    #[error("\"{text}\" was not found on page {page}; `kyso text` shows what the page holds")]
    AnchorNotFound { text: String, page: u64 },
    #[error("\"{text}\" is on page {page} {count} times: say which with --anchor-index 1..{count}")]
    AnchorAmbiguous {
        text: String,
        page: u64,
        count: usize,
    },
    #[error("the {template} appearance needs {what}")]
    Missing {
        template: &'static str,
        what: &'static str,
    },
}

impl AppearanceFailure {
    pub fn code(&self) -> &'static str {
        match self {
            AppearanceFailure::Engine(e) | AppearanceFailure::Image { source: e, .. } => e.code(),
            AppearanceFailure::Pdf(e) => e.code(),
            AppearanceFailure::ImageFile { .. } => "IMAGE_UNREADABLE",
            AppearanceFailure::SealMissing => "SEAL_IMAGE_MISSING",
            AppearanceFailure::LeaderMissing => "LEADER_SIGNATURE_NOT_FOUND",
            AppearanceFailure::PageOutOfRange { .. } => "PAGE_OUT_OF_RANGE",
            AppearanceFailure::BoxOutsidePage { .. } => "BOX_OUTSIDE_PAGE",
            AppearanceFailure::AnchorNotFound { .. } => "ANCHOR_NOT_FOUND",
            AppearanceFailure::AnchorAmbiguous { .. } => "ANCHOR_AMBIGUOUS",
            AppearanceFailure::Missing { .. } => "APPEARANCE_INCOMPLETE",
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> Params {
        use crate::messages::param;
        match self {
            AppearanceFailure::Engine(e) => e.params(),
            AppearanceFailure::Pdf(e) => e.params(),
            AppearanceFailure::ImageFile { path, source } => {
                vec![param("file", path.display()), param("detail", source)]
            }
            AppearanceFailure::Image { path, source } => {
                crate::messages::with_file(source.params(), path)
            }
            AppearanceFailure::SealMissing | AppearanceFailure::LeaderMissing => Vec::new(),
            AppearanceFailure::PageOutOfRange { page, count } => {
                vec![param("page", page), param("count", count)]
            }
            AppearanceFailure::BoxOutsidePage { page, reason } => {
                vec![param("page", page), param("detail", reason)]
            }
            AppearanceFailure::AnchorNotFound { text, page } => {
                vec![param("text", text), param("page", page)]
            }
            AppearanceFailure::AnchorAmbiguous { text, page, count } => vec![
                param("text", text),
                param("page", page),
                param("count", count),
            ],
            AppearanceFailure::Missing { template, what } => {
                vec![param("template", template), param("detail", what)]
            }
        }
    }
}

impl crate::messages::Coded for AppearanceFailure {
    fn code(&self) -> &'static str {
        AppearanceFailure::code(self)
    }
    fn params(&self) -> Params {
        AppearanceFailure::params(self)
    }
}

type Result<T> = std::result::Result<T, AppearanceFailure>;

/// Reads an image file the user named (PNG or JPEG).
pub fn read_image(path: &Path) -> Result<Image> {
    let bytes = std::fs::read(path).map_err(|source| AppearanceFailure::ImageFile {
        path: path.to_path_buf(),
        source,
    })?;
    load_image(&bytes).map_err(|source| AppearanceFailure::Image {
        path: path.to_path_buf(),
        source,
    })
}

/// The page index (from 0) a choice names in `doc`.
pub fn page_index<S: Source>(doc: &Document<S>, choice: PageChoice) -> Result<u64> {
    let count = pages::page_count(doc)?;
    let index = match choice {
        PageChoice::Last => count.saturating_sub(1),
        PageChoice::Number(n) => n - 1,
    };
    if index >= count {
        return Err(AppearanceFailure::PageOutOfRange {
            page: index + 1,
            count,
        });
    }
    Ok(index)
}

/// A line of a page with its box as displayed: what `kyso text` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DisplayedLine {
    pub text: String,
    /// x, y, width, height in points from the displayed page's bottom-left corner.
    pub rect: [f64; 4],
    pub font_size: f64,
}

/// Opens the PDF at `path` (errors name it).
fn open_file(
    path: &Path,
    password: Option<&str>,
) -> std::result::Result<Document<kyso_pdf::FileSource>, crate::Error> {
    let read_err = |source| crate::Error::ReadInput {
        path: path.to_path_buf(),
        source,
    };
    let source = kyso_pdf::FileSource::new(std::fs::File::open(path).map_err(read_err)?)
        .map_err(read_err)?;
    Document::open(source, password).map_err(|source| crate::Error::Pdf {
        path: path.to_path_buf(),
        source,
    })
}

/// Where the signature of `request` would go on the PDF at `path` ([`preview_box`]), and
/// whether its template found its place. When it did not (the signer's name is not on the
/// last page, no leader's signature for a seal), a box of the template's size on the last
/// page, in the right column below the middle, for the user to move: `found` is false.
pub fn preview_file(
    path: &Path,
    request: &AppearanceRequest,
    who: &Particulars,
    password: Option<&str>,
) -> std::result::Result<(DisplayedBox, bool), crate::Error> {
    let doc = open_file(path, password)?;
    let failed = |source| crate::Error::Appearance {
        path: path.to_path_buf(),
        source,
    };
    match preview_box(&doc, request, who) {
        Ok(shown) => Ok((shown, true)),
        Err(
            AppearanceFailure::AnchorNotFound { .. }
            | AppearanceFailure::AnchorAmbiguous { .. }
            | AppearanceFailure::LeaderMissing,
        ) => {
            let font = Font::liberation_serif();
            let (width, height) =
                template_size(request.template, &request.settings, request, &font)
                    .map_err(failed)?;
            let page = page_index(&doc, PageChoice::Last).map_err(failed)?;
            let (page_width, page_height) =
                geometry_of(&doc, page).map_err(failed)?.displayed_size();
            let shown = DisplayedBox {
                page: page + 1,
                x: (page_width - width - 56.0).max(0.0),
                y: (page_height * 0.55).min((page_height - height).max(0.0)),
                width,
                height,
                page_width,
                page_height,
            };
            Ok((shown, false))
        }
        Err(source) => Err(failed(source)),
    }
}

/// [`placement_from_top_left`] for the PDF at `path`.
pub fn placement_of_file(
    path: &Path,
    shown: &DisplayedBox,
    password: Option<&str>,
) -> std::result::Result<Placement, crate::Error> {
    let doc = open_file(path, password)?;
    placement_from_top_left(&doc, shown).map_err(|source| crate::Error::Appearance {
        path: path.to_path_buf(),
        source,
    })
}

/// The text of a page of the PDF at `path`, line by line, with the boxes a `--rect` would
/// give (`kyso text`).
pub fn page_text(
    path: &Path,
    page: PageChoice,
    password: Option<&str>,
) -> std::result::Result<Vec<DisplayedLine>, crate::Error> {
    let read_err = |source| crate::Error::ReadInput {
        path: path.to_path_buf(),
        source,
    };
    let source = kyso_pdf::FileSource::new(std::fs::File::open(path).map_err(read_err)?)
        .map_err(read_err)?;
    let doc = Document::open(source, password).map_err(|source| crate::Error::Pdf {
        path: path.to_path_buf(),
        source,
    })?;
    let failed = |source| crate::Error::Appearance {
        path: path.to_path_buf(),
        source,
    };
    let index = page_index(&doc, page).map_err(failed)?;
    page_lines(&doc, index).map_err(failed)
}

/// The text of a page, line by line, with the boxes a `--rect` would give.
pub fn page_lines<S: Source>(doc: &Document<S>, page: u64) -> Result<Vec<DisplayedLine>> {
    let id = pages::page_id(doc, page)?;
    let geometry = PageGeometry::of_page(doc, id)?;
    let lines = text::extract_page(doc, id)?;
    Ok(lines
        .iter()
        .map(|l| {
            let r = geometry.rect_to_displayed(&user_rect(&l.bbox));
            DisplayedLine {
                text: l.text.clone(),
                rect: [
                    round2(r.x0),
                    round2(r.y0),
                    round2(r.width()),
                    round2(r.height()),
                ],
                font_size: round2(l.font_size),
            }
        })
        .collect())
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn user_rect(b: &text::TextBox) -> Rect {
    Rect::new(b.x0, b.y0, b.x1, b.y1)
}

/// Plans the appearance of one signature on `doc`: its box, what it shows, the fields it
/// reserves and locks. `field` is the existing empty signature field being signed, if any:
/// its own box is used.
pub fn plan_appearance<S: Source>(
    doc: &Document<S>,
    request: &AppearanceRequest,
    who: &Particulars,
    field: Option<&str>,
) -> Result<PlannedAppearance> {
    let mut planned = PlannedAppearance::default();
    let existing = match field {
        Some(name) => form::fields(doc)?
            .into_iter()
            .find(|f| f.name == name && f.is_empty_signature()),
        None => None,
    };
    let serif = Rc::new(Font::liberation_serif());
    let bold = Rc::new(Font::liberation_serif_bold());
    let placed = match &existing {
        Some(f) => {
            let (page, rect, rotation) = field_box(doc, f)?;
            Placed {
                page,
                rect,
                rotation,
            }
        }
        None => place(doc, request, who, &serif)?,
    };
    let geometry = geometry_of(doc, placed.page)?;
    let (w, h) = frame_size(&geometry, &placed.rect, placed.rotation);
    let mut canvas = Canvas::new(w, h);
    let text = |s: String, font: &Rc<Font>, size: FontSize, align: Align, r: Rect| TextBlock {
        text: s,
        font: font.clone(),
        size,
        color: Rgb::BLACK,
        align,
        rect: r,
    };
    match request.template {
        Template::Leader => {
            let image = request
                .image
                .as_deref()
                .or(request.settings.image_for(request.identity.as_deref()));
            let split = if image.is_some() { 0.36 } else { 0.5 };
            if let Some(path) = image {
                canvas.images.push(ImageBlock {
                    image: Rc::new(read_image(path)?),
                    rect: Rect::new(0.0, h * split, w, h),
                });
            }
            let name_size = if image.is_some() { 11.0 } else { 12.0 };
            canvas.texts.push(text(
                who.signer.clone(),
                &bold,
                FontSize::Fit(name_size),
                Align::Center,
                Rect::new(0.0, h * split / 2.0, w, h * split),
            ));
            canvas.texts.push(text(
                who.time.clone(),
                &serif,
                FontSize::Fit(name_size - 2.0),
                Align::Center,
                Rect::new(0.0, 0.0, w, h * split / 2.0),
            ));
            let reserving = request
                .reserve_number
                .or(request.settings.reserve_number)
                .unwrap_or(true);
            if reserving && existing.is_none() {
                let explicit = request.reserve_number == Some(true);
                planned.reserved = place::reserve_fields(doc, explicit, &mut planned.warnings)?;
            }
        }
        Template::Seal => {
            let path = request
                .seal
                .as_deref()
                .or(request.settings.seal_for(request.identity.as_deref()))
                .ok_or(AppearanceFailure::SealMissing)?;
            canvas.images.push(ImageBlock {
                image: Rc::new(read_image(path)?),
                rect: Rect::new(0.0, 0.0, w, h),
            });
            // The seal follows the number and date: it locks them (FieldMDP).
            planned.lock_fields = form::fields(doc)?
                .into_iter()
                .map(|f| f.name)
                .filter(|n| {
                    [NUMBER_FIELD, DAY_FIELD, MONTH_FIELD, YEAR_FIELD].contains(&n.as_str())
                })
                .collect();
        }
        Template::Attachment => {
            let number = request
                .doc_number
                .clone()
                .ok_or(AppearanceFailure::Missing {
                    template: "attachment",
                    what: "the document's number and code (--doc-number)",
                })?;
            canvas.texts.push(text(
                format!("{number}\n{}", who.time),
                &serif,
                FontSize::Fixed(MARK_SIZE),
                Align::Right,
                Rect::new(0.0, 0.0, w, h),
            ));
        }
        Template::Copy => {
            let form_of_copy = request.copy_form.clone().unwrap_or_else(|| "SAO Y".into());
            let agency = request
                .settings
                .copy_agency
                .clone()
                .unwrap_or_else(|| who.organization.clone());
            canvas.texts.push(text(
                format!("{form_of_copy}\n{agency}\n{}", who.time),
                &serif,
                FontSize::Fixed(MARK_SIZE),
                Align::Right,
                Rect::new(0.0, 0.0, w, h),
            ));
        }
        Template::Text => {
            let template = request.text.clone().ok_or(AppearanceFailure::Missing {
                template: "text",
                what: "a template (--text)",
            })?;
            canvas.texts.push(text(
                fill_template(&template, who, request.doc_number.as_deref()),
                &serif,
                FontSize::Fit(MARK_SIZE),
                Align::Left,
                Rect::new(0.0, 0.0, w, h),
            ));
        }
    }
    planned.visible = Some(VisibleSignature {
        page: placed.page,
        rect: placed.rect,
        rotation: placed.rotation,
        canvas,
    });
    Ok(planned)
}

/// Where a new signature goes, and which way it turns ([`place`]).
fn place<S: Source>(
    doc: &Document<S>,
    request: &AppearanceRequest,
    who: &Particulars,
    font: &Font,
) -> Result<Placed> {
    let settings = &request.settings;
    let gap = settings.anchor_gap.unwrap_or(place::ANCHOR_GAP);
    let anchored = |page: u64, text: &str, index: Option<usize>| -> Result<Placed> {
        let (anchor, rotation) = place::find_anchor(doc, page, text, index)?;
        let size = template_size(request.template, settings, request, font)?;
        place::above_anchor(&geometry_of(doc, page)?, page, &anchor, rotation, size, gap)
    };
    match (&request.placement, request.template) {
        (Placement::Rect { page, rect }, _) => {
            let page = page_index(doc, *page)?;
            place::given(&geometry_of(doc, page)?, page, *rect)
        }
        (Placement::Anchor { page, text, index }, _) => anchored(
            page_index(doc, page.unwrap_or(PageChoice::Last))?,
            text,
            *index,
        ),
        (Placement::Auto, Template::Leader) => {
            anchored(page_index(doc, PageChoice::Last)?, &who.signer, None)
        }
        (Placement::Auto, Template::Seal) => {
            let (page, image, rotation) = leader::leader_image(doc)?;
            let size = template_size(Template::Seal, settings, request, font)?;
            place::over_left_third(&geometry_of(doc, page)?, page, &image, rotation, size)
        }
        (Placement::Auto, template) => {
            // The marks go at the top right of page 1 as displayed.
            let geometry = geometry_of(doc, 0)?;
            let (pw, ph) = geometry.displayed_size();
            let (w, h) = template_size(template, settings, request, font)?;
            let rect = Rect::from_xywh(pw - w - MARK_MARGIN_RIGHT, ph - h - MARK_MARGIN_TOP, w, h);
            place::given(&geometry, 0, rect)
        }
    }
}

/// A custom template with its placeholders filled; `\n` in the template breaks the line.
pub fn fill_template(template: &str, who: &Particulars, doc_number: Option<&str>) -> String {
    template
        .replace("\\n", "\n")
        .replace("{signer}", &who.signer)
        .replace("{organization}", &who.organization)
        .replace("{email}", &who.email)
        .replace("{time}", &who.time)
        .replace("{reason}", &who.reason)
        .replace("{location}", &who.location)
        .replace("{doc_number}", doc_number.unwrap_or(""))
}

/// A box on a page as displayed (rotation and CropBox applied), with the origin at the top
/// left and y growing downwards, in points: how a viewer draws the page, and how the
/// desktop app lets the user move a signature.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DisplayedBox {
    /// The page number, from 1 (as `--page`).
    pub page: u64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// The page as displayed.
    pub page_width: f64,
    pub page_height: f64,
}

/// Where the signature of `request` would go on `doc` — the template's own place, an
/// anchor, or the box asked for — without signing: what the desktop app shows before the
/// user moves it.
pub fn preview_box<S: Source>(
    doc: &Document<S>,
    request: &AppearanceRequest,
    who: &Particulars,
) -> Result<DisplayedBox> {
    let serif = Font::liberation_serif();
    let placed = place(doc, request, who, &serif)?;
    let (page_width, page_height) = geometry_of(doc, placed.page)?.displayed_size();
    Ok(DisplayedBox {
        page: placed.page + 1,
        x: placed.rect.x0,
        y: page_height - placed.rect.y1,
        width: placed.rect.width(),
        height: placed.rect.height(),
        page_width,
        page_height,
    })
}

/// The placement of a box given from the top left of the displayed page (a
/// [`DisplayedBox`] the user moved; its page from 1): the same as `--rect` on the command
/// line, whose origin is the bottom left.
pub fn placement_from_top_left<S: Source>(
    doc: &Document<S>,
    shown: &DisplayedBox,
) -> Result<Placement> {
    let index = page_index(doc, PageChoice::Number(shown.page.max(1)))?;
    let (_, page_height) = geometry_of(doc, index)?.displayed_size();
    Ok(Placement::Rect {
        page: PageChoice::Number(index + 1),
        rect: Rect::from_xywh(
            shown.x,
            page_height - shown.y - shown.height,
            shown.width,
            shown.height,
        ),
    })
}

/// The box of an existing field's widget as displayed, from the top left; None for an
/// invisible signature (a zero-size `/Rect`).
pub fn field_box_shown<S: Source>(doc: &Document<S>, field: &form::Field) -> Option<DisplayedBox> {
    let (page, rect, _) = kyso_pdf::signature::field_box(doc, field).ok()?;
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let (page_width, page_height) = geometry_of(doc, page).ok()?.displayed_size();
    Some(DisplayedBox {
        page: page + 1,
        x: rect.x0,
        y: page_height - rect.y1,
        width: rect.width(),
        height: rect.height(),
        page_width,
        page_height,
    })
}

pub(crate) fn geometry_of<S: Source>(doc: &Document<S>, page: u64) -> Result<PageGeometry> {
    Ok(PageGeometry::of_page(doc, pages::page_id(doc, page)?)?)
}

/// The size of a template's box, in points.
fn template_size(
    template: Template,
    settings: &AppearanceSettings,
    request: &AppearanceRequest,
    font: &Font,
) -> Result<(f64, f64)> {
    Ok(match template {
        Template::Leader => {
            let [w, h] = settings.box_size.unwrap_or(LEADER_BOX);
            (w, h)
        }
        Template::Seal => {
            let path = request
                .seal
                .as_deref()
                .or(settings.seal_for(request.identity.as_deref()))
                .ok_or(AppearanceFailure::SealMissing)?;
            let image = read_image(path)?;
            let aspect = f64::from(image.height.max(1)) / f64::from(image.width.max(1));
            let mm = request.seal_size_mm.or(settings.seal_size_mm);
            let width = match (mm, image.natural_size_pt()) {
                (Some(mm), _) => mm / MM_PER_PT,
                (None, Some((w, _))) => w,
                (None, None) => DEFAULT_SEAL_MM / MM_PER_PT,
            };
            (width, width * aspect)
        }
        // Two lines of 10 pt (three for a copy), as wide as the longest line will need.
        Template::Attachment | Template::Text => (mark_width(font)?, 2.0 * MARK_SIZE * 1.15 + 2.0),
        Template::Copy => (mark_width(font)?, 3.0 * MARK_SIZE * 1.15 + 2.0),
    })
}

/// The marks' width: room for a long agency name or time at 10 pt.
fn mark_width(font: &Font) -> Result<f64> {
    let widest = font.width("2026-12-04T10:05:09+07:00", MARK_SIZE)?;
    Ok((widest * 1.6).max(200.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF whose page dictionary carries `page` (MediaBox, CropBox, Rotate).
    fn one_page(page: &str) -> Document<Vec<u8>> {
        let page = format!("<</Type/Page/Parent 2 0 R{page}>>");
        let pdf = crate::test_pdf::classic(&[
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Kids[3 0 R]/Count 1>>",
            &page,
        ]);
        Document::open(pdf, None).expect("the test PDF opens")
    }

    /// The box the window shows, moved back into a placement, is where the template put it:
    /// on a plain page, a rotated one, and one whose CropBox is shifted.
    #[test]
    fn a_shown_box_turned_back_into_a_placement_lands_where_it_was_shown() {
        let who = Particulars::default();
        for page in [
            "/MediaBox[0 0 595 842]",
            "/MediaBox[0 0 595 842]/Rotate 90",
            "/MediaBox[0 0 612 792]/CropBox[30 40 580 760]/Rotate 270",
        ] {
            let doc = one_page(page);
            let request = AppearanceRequest::new(Template::Copy);
            let shown = preview_box(&doc, &request, &who).expect("the copy mark has a place");
            assert_eq!(shown.page, 1, "{page}");
            assert!(
                shown.x >= 0.0
                    && shown.y >= 0.0
                    && shown.x + shown.width <= shown.page_width + 1e-6
                    && shown.y + shown.height <= shown.page_height + 1e-6,
                "{page}: {shown:?} outside the displayed page"
            );
            let font = Font::liberation_serif();
            let auto = place(&doc, &request, &who, &font).expect("placed");
            let mut moved = request.clone();
            moved.placement = placement_from_top_left(&doc, &shown).expect("placement");
            let again = place(&doc, &moved, &who, &font).expect("placed again");
            assert_eq!(again.page, auto.page, "{page}");
            for (a, b) in [
                (again.rect.x0, auto.rect.x0),
                (again.rect.y0, auto.rect.y0),
                (again.rect.x1, auto.rect.x1),
                (again.rect.y1, auto.rect.y1),
            ] {
                assert!(
                    (a - b).abs() < 1e-6,
                    "{page}: {:?} != {:?}",
                    again.rect,
                    auto.rect
                );
            }
        }
    }
}
