//! Every rule id and every error code has a text in Dutch and in English, and no text is orphaned.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use meldroute_domain::{ErrorCode, RuleId};

const NL: &str = include_str!("../../../locales/nl/domain.ftl");
const EN: &str = include_str!("../../../locales/en/domain.ftl");

/// The message ids defined in a Fluent file (lines `id = value`).
fn keys(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
        .filter_map(|l| l.split(" = ").next())
        .map(|k| k.trim().to_string())
        .collect()
}

fn domain_keys() -> BTreeSet<String> {
    let keys = meldroute_domain::message_keys();
    // message_keys() must cover every rule and every error.
    for r in RuleId::ALL {
        assert!(keys.contains(&r.message_key()));
    }
    for e in ErrorCode::ALL {
        assert!(keys.contains(&e.message_key()));
    }
    keys
}

#[test]
fn every_rule_and_error_has_a_dutch_and_an_english_text() {
    let want = domain_keys();
    for (lang, source) in [("nl", NL), ("en", EN)] {
        let have = keys(source);
        let missing: Vec<_> = want.difference(&have).collect();
        let orphaned: Vec<_> = have.difference(&want).collect();
        assert!(missing.is_empty(), "{lang}: missing texts {missing:?}");
        assert!(orphaned.is_empty(), "{lang}: texts without a rule or error {orphaned:?}");
    }
}

#[test]
fn both_languages_use_the_same_arguments_per_message() {
    let args = |source: &str| -> Vec<(String, BTreeSet<String>)> {
        source
            .lines()
            .filter(|l| l.contains(" = ") && !l.starts_with('#'))
            .map(|l| {
                let (key, value) = l.split_once(" = ").unwrap();
                let vars =
                    value.split("{ $").skip(1).filter_map(|rest| rest.split(' ').next()).map(str::to_string).collect();
                (key.to_string(), vars)
            })
            .collect()
    };
    let nl = args(NL);
    let en = args(EN);
    assert_eq!(nl.len(), en.len());
    for ((k1, v1), (k2, v2)) in nl.iter().zip(en.iter()) {
        assert_eq!(k1, k2, "keys in the same order");
        assert_eq!(v1, v2, "{k1}: arguments differ between nl and en");
    }
}

#[test]
fn every_team_session_text_exists_in_dutch_and_english() {
    let nl = keys(include_str!("../../../locales/nl/team.ftl"));
    let en = keys(include_str!("../../../locales/en/team.ftl"));
    assert_eq!(nl, en, "team.ftl: the two languages define different keys");
    for key in meldroute_domain::team_session::message_keys() {
        assert!(nl.contains(&key), "team.ftl lacks {key}");
    }
}
