//! Every text a user reads comes from the Fluent files in `locales/<lang>/*.ftl`, embedded at compile time.
//! Dutch (`nl`) is the default and the reference: a key missing in English falls back to Dutch, and a test
//! checks that both languages define the same keys.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

/// A language the product speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "nl" | "nl-nl" | "nl-be" => Some(Lang::Nl),
            "en" | "en-gb" | "en-us" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The Fluent sources per language. Add a file here when you add one under `locales/`.
fn sources(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::Nl => &[
            ("common.ftl", include_str!("../../../locales/nl/common.ftl")),
            ("domain.ftl", include_str!("../../../locales/nl/domain.ftl")),
            ("admin.ftl", include_str!("../../../locales/nl/admin.ftl")),
            ("dossier.ftl", include_str!("../../../locales/nl/dossier.ftl")),
            ("api.ftl", include_str!("../../../locales/nl/api.ftl")),
            ("route_map.ftl", include_str!("../../../locales/nl/route_map.ftl")),
            ("documents.ftl", include_str!("../../../locales/nl/documents.ftl")),
            ("library.ftl", include_str!("../../../locales/nl/library.ftl")),
            ("retention.ftl", include_str!("../../../locales/nl/retention.ftl")),
            ("transfer.ftl", include_str!("../../../locales/nl/transfer.ftl")),
            ("summary.ftl", include_str!("../../../locales/nl/summary.ftl")),
            ("team.ftl", include_str!("../../../locales/nl/team.ftl")),
        ],
        Lang::En => &[
            ("common.ftl", include_str!("../../../locales/en/common.ftl")),
            ("domain.ftl", include_str!("../../../locales/en/domain.ftl")),
            ("admin.ftl", include_str!("../../../locales/en/admin.ftl")),
            ("dossier.ftl", include_str!("../../../locales/en/dossier.ftl")),
            ("api.ftl", include_str!("../../../locales/en/api.ftl")),
            ("route_map.ftl", include_str!("../../../locales/en/route_map.ftl")),
            ("documents.ftl", include_str!("../../../locales/en/documents.ftl")),
            ("library.ftl", include_str!("../../../locales/en/library.ftl")),
            ("retention.ftl", include_str!("../../../locales/en/retention.ftl")),
            ("transfer.ftl", include_str!("../../../locales/en/transfer.ftl")),
            ("summary.ftl", include_str!("../../../locales/en/summary.ftl")),
            ("team.ftl", include_str!("../../../locales/en/team.ftl")),
        ],
    }
}

type Bundle = FluentBundle<FluentResource>;

struct Bundles {
    nl: Bundle,
    en: Bundle,
    /// Per language, every message that is plain text (no placeable at all), formatted once: most texts on a
    /// page are labels and headings, and a page shows a few hundred of them.
    nl_plain: Plain,
    en_plain: Plain,
}

/// The plain texts of one language by key. The keys are the translation files' own, so the table needs no
/// protection against chosen collisions; a multiply-rotate hash (as in rustc's `FxHasher`) is several times
/// cheaper than the default SipHash for keys of twenty-odd bytes, and a page looks up a hundred or so.
type Plain = HashMap<String, String, KeyHashing>;

/// The hashing of [`Plain`], for other tables keyed by message keys.
pub type KeyHashing = std::hash::BuildHasherDefault<KeyHasher>;

#[derive(Default)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn build(lang: Lang) -> Bundle {
    let langid = match lang {
        Lang::Nl => unic_langid::langid!("nl"),
        Lang::En => unic_langid::langid!("en"),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // No Unicode isolation marks around arguments: the texts also go to plain-text outputs and PDFs.
    bundle.set_use_isolating(false);
    for (_, source) in sources(lang) {
        // A syntax error in a translation file is caught by the tests in this crate; at run time the valid
        // part of the file is still used.
        let resource = match FluentResource::try_new((*source).to_string()) {
            Ok(res) => res,
            Err((res, _)) => res,
        };
        let _ = bundle.add_resource(resource);
    }
    bundle
}

/// The messages of `bundle` whose value is text only, formatted.
fn plain_texts(lang: Lang, bundle: &Bundle) -> Plain {
    use fluent_syntax::ast::PatternElement;
    let mut plain = Plain::default();
    for key in keys(lang) {
        let Some(pattern) = bundle.get_message(&key).and_then(|m| m.value()) else { continue };
        if pattern.elements.iter().all(|e| matches!(e, PatternElement::TextElement { .. })) {
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, None, &mut errors).into_owned();
            if errors.is_empty() {
                plain.insert(key, text);
            }
        }
    }
    plain
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        let (nl, en) = (build(Lang::Nl), build(Lang::En));
        let (nl_plain, en_plain) = (plain_texts(Lang::Nl, &nl), plain_texts(Lang::En, &en));
        Bundles { nl, en, nl_plain, en_plain }
    })
}

fn plain(lang: Lang) -> &'static Plain {
    match lang {
        Lang::Nl => &bundles().nl_plain,
        Lang::En => &bundles().en_plain,
    }
}

fn bundle(lang: Lang) -> &'static Bundle {
    match lang {
        Lang::Nl => &bundles().nl,
        Lang::En => &bundles().en,
    }
}

/// The text for `key` in `lang`, with named arguments. Falls back to Dutch, then to the key itself (so a
/// missing text is visible, never a crash).
pub fn text(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    if let Some(text) = plain(lang).get(key) {
        // Arguments a plain text does not use are ignored, as Fluent itself does.
        return text.clone();
    }
    render(bundle(lang), key, args).or_else(|| render(bundle(Lang::Nl), key, args)).unwrap_or_else(|| key.to_string())
}

/// [`text`] without arguments, borrowed from the translation files when the message is plain text (most
/// labels and headings), so that showing it allocates nothing.
pub fn text_ref(lang: Lang, key: &str) -> std::borrow::Cow<'static, str> {
    match plain(lang).get(key) {
        Some(text) => std::borrow::Cow::Borrowed(text.as_str()),
        None => std::borrow::Cow::Owned(text(lang, key, &[])),
    }
}

/// Every message of `lang` that is plain text (no arguments), by key, as [`text_ref`] gives them borrowed.
pub fn plain_messages(lang: Lang) -> impl Iterator<Item = (&'static str, &'static str)> {
    plain(lang).iter().map(|(key, text)| (key.as_str(), text.as_str()))
}

/// Whether `key` exists in `lang`.
pub fn has(lang: Lang, key: &str) -> bool {
    bundle(lang).has_message(key)
}

fn render(bundle: &Bundle, key: &str, args: &[(&str, String)]) -> Option<String> {
    let message = bundle.get_message(key)?;
    let pattern = message.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, FluentValue::from(value.as_str()));
    }
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    Some(out.into_owned())
}

/// All message keys of one language (for consistency tests elsewhere).
pub fn keys(lang: Lang) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (_, source) in sources(lang) {
        let resource = match FluentResource::try_new((*source).to_string()) {
            Ok(res) => res,
            Err((res, _)) => res,
        };
        for entry in resource.entries() {
            if let fluent_syntax::ast::Entry::Message(message) = entry {
                keys.insert(message.id.name.to_string());
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_without_errors() {
        for lang in Lang::ALL {
            for (name, source) in sources(lang) {
                if let Err((_, errors)) = FluentResource::try_new((*source).to_string()) {
                    panic!("{}/{name} has syntax errors: {errors:?}", lang.code());
                }
            }
        }
    }

    #[test]
    fn dutch_and_english_define_the_same_keys() {
        let nl = keys(Lang::Nl);
        let en = keys(Lang::En);
        let only_nl: Vec<_> = nl.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&nl).collect();
        assert!(only_nl.is_empty(), "keys only in Dutch: {only_nl:?}");
        assert!(only_en.is_empty(), "keys only in English: {only_en:?}");
    }

    #[test]
    fn arguments_are_filled_in_and_missing_keys_are_visible() {
        assert_eq!(text(Lang::Nl, "no-such-key-anywhere", &[]), "no-such-key-anywhere");
        assert!(text(Lang::En, "app-name", &[]).contains("meldroute"));
        // Every file is loaded, also the last one in the list.
        assert_eq!(text(Lang::Nl, "library-title", &[]), "Naslagwerk");
        assert_eq!(text(Lang::En, "library-title", &[]), "Reference library");
    }

    #[test]
    fn plain_texts_are_the_same_as_fluent_formats_them() {
        for lang in Lang::ALL {
            let plain = plain(lang);
            assert!(plain.len() > 100, "{}: only {} plain texts", lang.code(), plain.len());
            for (key, text) in plain {
                assert_eq!(Some(text.clone()), render(bundle(lang), key, &[]), "{}: {key}", lang.code());
                // And every one is found again by its key.
                assert!(matches!(text_ref(lang, key), std::borrow::Cow::Borrowed(t) if t == text), "{key}");
            }
        }
        // A message with an argument is formatted by Fluent every time.
        assert!(!plain(Lang::Nl).contains_key("dossier-received-from"));
        let text = text(Lang::Nl, "dossier-received-from", &[("organisation", "Zonnebloem".into())]);
        assert!(text.contains("Zonnebloem"), "{text}");
    }

    #[test]
    fn language_codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("de"), None);
    }
}
