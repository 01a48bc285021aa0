//! The user's settings file, `KYSO_HOME/config.toml`, and the signing settings in it.
//!
//! One file holds every section — `[exchange]` and `[sync]` (kyso-sync), `[appearance]`
//! (here) — and each layer reads and writes only its own: [`ConfigFile`] keeps the other
//! sections as they are when one is saved.
//!
//! ```toml
//! [appearance]
//! image = "/home/an/chu-ky.png"     # the leader's signature image (PNG or JPEG)
//! seal = "/home/vt/con-dau.png"     # the agency's seal image
//! seal_size_mm = 40                 # else the seal image's own DPI gives its size
//! box = [180, 90]                   # width and height of a signature box found by anchor
//! anchor_gap = 4                    # points between the anchor's top and the box
//! reserve_number = true             # leader: reserve the number and date fields
//! copy_agency = "Văn phòng UBND tỉnh"   # copies: else the certificate's organisation
//!
//! [appearance.identities."3f2a…"]   # per identity (kyso id list), before the above
//! image = "/home/an/chu-ky-an.png"
//!
//! [signing]
//! level = "b-t"                     # b-b, b-t, b-lt, b-lta; default: b-t with a TSA, else b-b
//!
//! [signing.identities."3f2a…"]      # per identity, before the above
//! level = "b-lta"
//! ```
//!
//! The TSAs are `[tsa]` ([`crate::timestamp::TsaSettings`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::level::Level;

/// A problem with the settings file or a value given for it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{}: the settings cannot be read: {detail}", path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error("{key}: {detail}")]
    Value { key: String, detail: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SettingsError {
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::Invalid { .. } | SettingsError::Value { .. } => "CONFIG_INVALID",
            SettingsError::Io { .. } => "STORE_IO",
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> crate::messages::Params {
        use crate::messages::param;
        match self {
            SettingsError::Invalid { path, detail } => {
                vec![param("file", path.display()), param("detail", detail)]
            }
            SettingsError::Value { .. } => vec![param("detail", self)],
            SettingsError::Io { path, source } => {
                vec![param("file", path.display()), param("detail", source)]
            }
        }
    }
}

impl crate::messages::Coded for SettingsError {
    fn code(&self) -> &'static str {
        SettingsError::code(self)
    }
    fn params(&self) -> crate::messages::Params {
        SettingsError::params(self)
    }
}

/// `KYSO_HOME/config.toml` as a whole: sections this layer does not know are kept.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    table: toml::Table,
}

impl ConfigFile {
    pub fn path(home: &Path) -> PathBuf {
        home.join("config.toml")
    }

    /// Reads the file; a missing file has no sections.
    pub fn load(home: &Path) -> Result<ConfigFile, SettingsError> {
        let path = ConfigFile::path(home);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(ConfigFile {
                table: text
                    .parse()
                    .map_err(|e: toml::de::Error| SettingsError::Invalid {
                        path: path.clone(),
                        detail: e.to_string(),
                    })?,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(source) => Err(SettingsError::Io { path, source }),
        }
    }

    /// The section `name`; absent sections and keys take their defaults.
    pub fn section<T: DeserializeOwned + Default>(
        &self,
        home: &Path,
        name: &str,
    ) -> Result<T, SettingsError> {
        match self.table.get(name) {
            None => Ok(T::default()),
            Some(value) => {
                value
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| SettingsError::Invalid {
                        path: ConfigFile::path(home),
                        detail: format!("[{name}]: {e}"),
                    })
            }
        }
    }

    /// Replaces the section `name`.
    pub fn set_section<T: Serialize>(&mut self, name: &str, value: &T) {
        match toml::Value::try_from(value) {
            Ok(toml::Value::Table(t)) if t.is_empty() => {
                self.table.remove(name);
            }
            Ok(v) => {
                self.table.insert(name.to_string(), v);
            }
            Err(_) => {}
        }
    }

    /// The whole file as TOML text.
    pub fn to_text(&self) -> String {
        toml::to_string_pretty(&self.table).unwrap_or_default()
    }

    /// Writes the file atomically (temp file, fsync, rename) in a private `home`.
    pub fn save(&self, home: &Path) -> Result<(), SettingsError> {
        let path = ConfigFile::path(home);
        let io = |source| SettingsError::Io {
            path: path.clone(),
            source,
        };
        kyso_keys::home::create_private_dir(home).map_err(io)?;
        let mut tmp = tempfile::NamedTempFile::new_in(home).map_err(io)?;
        use std::io::Write;
        tmp.write_all(self.to_text().as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// The `[appearance]` section: what visible signatures look like and where they go.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppearanceSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_size_mm: Option<f64>,
    /// Width and height, in points, of a box placed by anchor.
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    pub box_size: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor_gap: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve_number: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_agency: Option<String>,
    /// Images per identity id, which win over `image` and `seal`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub identities: BTreeMap<String, IdentityImages>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityImages {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<PathBuf>,
}

/// The keys of `[appearance]` that `kyso config set` accepts.
pub const APPEARANCE_KEYS: &[&str] = &[
    "appearance.image",
    "appearance.seal",
    "appearance.seal-size-mm",
    "appearance.box",
    "appearance.anchor-gap",
    "appearance.reserve-number",
    "appearance.copy-agency",
];

impl AppearanceSettings {
    pub const SECTION: &'static str = "appearance";

    pub fn load(home: &Path) -> Result<AppearanceSettings, SettingsError> {
        ConfigFile::load(home)?.section(home, Self::SECTION)
    }

    /// Saves this section, keeping the file's others.
    pub fn save(&self, home: &Path) -> Result<(), SettingsError> {
        let mut file = ConfigFile::load(home)?;
        file.set_section(Self::SECTION, self);
        file.save(home)
    }

    /// The signature image for `identity`: its own, else the general one.
    pub fn image_for(&self, identity: Option<&str>) -> Option<&Path> {
        identity
            .and_then(|id| self.identities.get(id))
            .and_then(|i| i.image.as_deref())
            .or(self.image.as_deref())
    }

    /// The seal image for `identity`: its own, else the general one.
    pub fn seal_for(&self, identity: Option<&str>) -> Option<&Path> {
        identity
            .and_then(|id| self.identities.get(id))
            .and_then(|i| i.seal.as_deref())
            .or(self.seal.as_deref())
    }

    /// Sets `appearance.image` or `appearance.seal` for one identity; an empty value clears
    /// it (the general one then applies).
    pub fn set_for_identity(
        &mut self,
        key: &str,
        value: &str,
        identity: &str,
    ) -> Result<(), SettingsError> {
        // The general setter checks the value; its result goes to the identity.
        let mut one = AppearanceSettings::default();
        one.set(key, value)?;
        let entry = self.identities.entry(identity.to_string()).or_default();
        match key {
            "appearance.image" => entry.image = one.image,
            "appearance.seal" => entry.seal = one.seal,
            other => {
                return Err(SettingsError::Value {
                    key: other.to_string(),
                    detail: "only appearance.image and appearance.seal are kept per identity"
                        .into(),
                });
            }
        }
        self.identities
            .retain(|_, i| i.image.is_some() || i.seal.is_some());
        Ok(())
    }

    /// Sets one key ([`APPEARANCE_KEYS`]) from its text; an empty value clears it. Image
    /// paths are made absolute, and must name a readable file.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        let invalid = |detail: String| SettingsError::Value {
            key: key.to_string(),
            detail,
        };
        let value = value.trim();
        let number = |v: &str| -> Result<f64, SettingsError> {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0)
                .ok_or_else(|| invalid(format!("\"{v}\" is not a positive number")))
        };
        let image = |v: &str| -> Result<PathBuf, SettingsError> {
            let path = std::path::absolute(v).map_err(|e| invalid(e.to_string()))?;
            std::fs::metadata(&path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            Ok(path)
        };
        let clear = value.is_empty();
        match key {
            "appearance.image" => self.image = (!clear).then(|| image(value)).transpose()?,
            "appearance.seal" => self.seal = (!clear).then(|| image(value)).transpose()?,
            "appearance.seal-size-mm" => {
                self.seal_size_mm = (!clear).then(|| number(value)).transpose()?
            }
            "appearance.box" => {
                self.box_size = if clear {
                    None
                } else {
                    let parts: Vec<&str> = value
                        .split([',', 'x', ' '])
                        .filter(|p| !p.is_empty())
                        .collect();
                    match parts.as_slice() {
                        [w, h] => Some([number(w)?, number(h)?]),
                        _ => return Err(invalid("give the width and height, e.g. 180,90".into())),
                    }
                }
            }
            "appearance.anchor-gap" => {
                self.anchor_gap = if clear {
                    None
                } else {
                    Some(
                        value
                            .parse::<f64>()
                            .ok()
                            .filter(|n| n.is_finite())
                            .ok_or_else(|| invalid(format!("\"{value}\" is not a number")))?,
                    )
                }
            }
            "appearance.reserve-number" => {
                self.reserve_number = match value {
                    "" => None,
                    "true" | "yes" | "1" => Some(true),
                    "false" | "no" | "0" => Some(false),
                    other => return Err(invalid(format!("\"{other}\" is not true or false"))),
                }
            }
            "appearance.copy-agency" => {
                self.copy_agency = (!clear).then(|| value.to_string());
            }
            other => {
                return Err(invalid(format!(
                    "unknown setting \"{other}\"; known: {}",
                    APPEARANCE_KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// The level a new signature is brought to when none is asked for.
pub const DEFAULT_LEVEL: Level = Level::Bt;

/// The `[signing]` section: the PAdES level signatures are brought to, globally or per
/// identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub identities: BTreeMap<String, IdentitySigning>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySigning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
}

/// The level a new signature of `identity` is brought to by the settings of `home`:
/// `[signing]`, with B-T as the default when a TSA is configured — in `[tsa]`, or given for
/// this signature (`tsa_given`) — and B-B when none is.
pub fn target_level(
    home: &Path,
    identity: Option<&str>,
    tsa_given: bool,
) -> Result<Level, SettingsError> {
    let tsa_configured = tsa_given || !crate::timestamp::TsaSettings::load(home)?.urls.is_empty();
    Ok(SigningSettings::load(home)?.level_for(identity, tsa_configured))
}

/// The keys of `[signing]` that `kyso config set` accepts.
pub const SIGNING_KEYS: &[&str] = &["signing.level"];

impl SigningSettings {
    pub const SECTION: &'static str = "signing";

    pub fn load(home: &Path) -> Result<SigningSettings, SettingsError> {
        ConfigFile::load(home)?.section(home, Self::SECTION)
    }

    pub fn save(&self, home: &Path) -> Result<(), SettingsError> {
        let mut file = ConfigFile::load(home)?;
        file.set_section(Self::SECTION, self);
        file.save(home)
    }

    /// The level for `identity`: its own, else the general one, else B-T — when a TSA is
    /// configured (`tsa_configured`); with none and no level set, B-B: nothing could ever
    /// give the time, so no document is left "timestamp due" forever.
    pub fn level_for(&self, identity: Option<&str>, tsa_configured: bool) -> Level {
        identity
            .and_then(|id| self.identities.get(id))
            .and_then(|i| i.level)
            .or(self.level)
            .unwrap_or(if tsa_configured {
                DEFAULT_LEVEL
            } else {
                Level::Bb
            })
    }

    /// Sets one key ([`SIGNING_KEYS`]), for `identity` when given; an empty value clears it.
    pub fn set(
        &mut self,
        key: &str,
        value: &str,
        identity: Option<&str>,
    ) -> Result<(), SettingsError> {
        let invalid = |detail: String| SettingsError::Value {
            key: key.to_string(),
            detail,
        };
        match key {
            "signing.level" => {
                let level = match value.trim() {
                    "" => None,
                    v => Some(v.parse::<Level>().map_err(invalid)?),
                };
                match identity {
                    None => self.level = level,
                    Some(id) => {
                        self.identities.entry(id.to_string()).or_default().level = level;
                        self.identities.retain(|_, i| i.level.is_some());
                    }
                }
                Ok(())
            }
            other => Err(invalid(format!(
                "unknown setting \"{other}\"; known: {}",
                SIGNING_KEYS.join(", ")
            ))),
        }
    }
}

/// The keys of `[ui]` that `kyso config set` accepts.
pub const UI_KEYS: &[&str] = &["ui.lang"];

/// The `[ui]` section: how Kyso speaks to the user, for the CLI and the desktop app alike.
///
/// ```toml
/// [ui]
/// lang = "en"    # vi (the default) or en
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    /// The language of messages; None: Vietnamese (never the system locale).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<crate::messages::Lang>,
}

impl UiSettings {
    pub const SECTION: &'static str = "ui";

    pub fn load(home: &Path) -> Result<UiSettings, SettingsError> {
        ConfigFile::load(home)?.section(home, Self::SECTION)
    }

    /// Saves this section, keeping the file's others.
    pub fn save(&self, home: &Path) -> Result<(), SettingsError> {
        let mut file = ConfigFile::load(home)?;
        file.set_section(Self::SECTION, self);
        file.save(home)
    }

    /// Sets one key ([`UI_KEYS`]); an empty value clears it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        let invalid = |detail: String| SettingsError::Value {
            key: key.to_string(),
            detail,
        };
        match key {
            "ui.lang" => {
                self.lang = match value.trim() {
                    "" => None,
                    v => Some(
                        crate::messages::Lang::parse(v)
                            .ok_or_else(|| invalid(format!("\"{v}\" is not vi or en")))?,
                    ),
                };
                Ok(())
            }
            other => Err(invalid(format!(
                "unknown setting \"{other}\"; known: {}",
                UI_KEYS.join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_of_other_layers_are_kept() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            ConfigFile::path(home.path()),
            "[exchange]\nurl = \"http://127.0.0.1:1\"\n",
        )
        .unwrap();
        let mut a = AppearanceSettings::load(home.path()).unwrap();
        a.set("appearance.seal-size-mm", "42").unwrap();
        a.set("appearance.box", "200,80").unwrap();
        a.save(home.path()).unwrap();
        let text = std::fs::read_to_string(ConfigFile::path(home.path())).unwrap();
        assert!(text.contains("url = \"http://127.0.0.1:1\""), "{text}");
        let back = AppearanceSettings::load(home.path()).unwrap();
        assert_eq!(back.seal_size_mm, Some(42.0));
        assert_eq!(back.box_size, Some([200.0, 80.0]));
        assert!(a.set("appearance.image", "/no/such/file.png").is_err());
        assert!(a.set("appearance.nope", "1").is_err());
    }

    #[test]
    fn the_language_is_kept_in_ui_and_checked() {
        use crate::messages::Lang;
        let home = tempfile::tempdir().unwrap();
        assert_eq!(UiSettings::load(home.path()).unwrap().lang, None);
        let mut ui = UiSettings::default();
        ui.set("ui.lang", "EN").unwrap();
        ui.save(home.path()).unwrap();
        let text = std::fs::read_to_string(ConfigFile::path(home.path())).unwrap();
        assert!(
            text.contains("[ui]") && text.contains("lang = \"en\""),
            "{text}"
        );
        assert_eq!(UiSettings::load(home.path()).unwrap().lang, Some(Lang::En));
        let e = ui.set("ui.lang", "fr").unwrap_err();
        assert_eq!(e.code(), "CONFIG_INVALID");
        assert!(ui.set("ui.colour", "blue").is_err());
        ui.set("ui.lang", "").unwrap();
        assert_eq!(ui.lang, None);
    }

    #[test]
    fn the_level_is_the_identitys_then_the_general_one_then_b_t() {
        let home = tempfile::tempdir().unwrap();
        let mut s = SigningSettings::load(home.path()).unwrap();
        assert_eq!(s.level_for(Some("a"), true), Level::Bt);
        assert_eq!(s.level_for(Some("a"), false), Level::Bb);
        s.set("signing.level", "b-lt", None).unwrap();
        s.set("signing.level", "B-LTA", Some("a")).unwrap();
        s.save(home.path()).unwrap();
        let back = SigningSettings::load(home.path()).unwrap();
        assert_eq!(back.level_for(Some("a"), false), Level::Blta);
        assert_eq!(back.level_for(Some("b"), false), Level::Blt);
        assert_eq!(back.level_for(None, true), Level::Blt);
        assert!(s.set("signing.level", "b-q", None).is_err());
        s.set("signing.level", "", Some("a")).unwrap();
        assert!(s.identities.is_empty());
    }
}
