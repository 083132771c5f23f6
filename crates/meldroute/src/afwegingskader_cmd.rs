//! `meldroute afwegingskader evaluate` and `meldroute afwegingskader explain`: the afwegingskader of the
//! domain crate (meldcode.md §7) for inspection and integration.
//!
//! `evaluate` reads JSON such as
//! `{"sector":"po","answers":{"q1":"ja","q2":"nee","q3":"ja","q4":"ja","q5":"nee"},"disclosure":false}`
//! (answers `ja`, `nee`, `twijfel`; an absent answer is not answered yet; `disclosure` defaults to false)
//! and returns the outcome as JSON. `sector` may be left out: it then defaults to `po`. That is safe
//! because the sector changes only the wording of the reasons (education/leerplicht phrasing, bevoegd gezag),
//! never the outcome; the sector used is echoed in the output. Unknown keys, unknown values, malformed JSON,
//! answers out of order, after the end of the route, or doubt on questions 3–5 are refused with a one-line
//! error (the caller prints it on stderr and exits with 2).

use meldroute_domain::{
    AFWEGINGSKADER_TITLE_KEY, Answer, Answers, Question, Sector, Then, Trigger, meldnorm_message_key, transition,
};
use meldroute_i18n::{Lang, text};
use serde::{Deserialize, Serialize};

/// The input document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    #[serde(default = "default_sector")]
    sector: Sector,
    #[serde(default)]
    answers: Answers,
    #[serde(default)]
    disclosure: bool,
}

fn default_sector() -> Sector {
    Sector::Po
}

/// The output document. `meldingen` holds exactly `meldnorm` and `after` per report, in order.
#[derive(Debug, Serialize)]
struct Output {
    sector: Sector,
    next_question: Option<Question>,
    meldingen: Vec<MeldingOut>,
    with_veilig_thuis: bool,
    hulp: &'static str,
    closed: bool,
    /// The reasons in plain Dutch.
    reasons: Vec<String>,
    /// The same reasons as stable rule ids.
    reason_ids: Vec<&'static str>,
    /// What is still needed, in plain Dutch, with the rule id.
    requirements: Vec<RequirementOut>,
}

#[derive(Debug, Serialize)]
struct MeldingOut {
    meldnorm: u8,
    after: Trigger,
}

#[derive(Debug, Serialize)]
struct RequirementOut {
    kind: &'static str,
    rule: &'static str,
    text: String,
}

/// One line, whatever the source message contains.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Evaluates the JSON `input`. Ok: the JSON document for stdout. Err: a one-line message for stderr.
pub fn evaluate(input: &str) -> Result<String, String> {
    let invalid = |e: serde_json::Error| one_line(&format!("invalid input: {e}"));
    // Parse as a value first: serde would otherwise also accept a JSON array as the input struct.
    let value: serde_json::Value = serde_json::from_str(input).map_err(invalid)?;
    if !value.is_object() {
        return Err("invalid input: expected a JSON object".to_string());
    }
    let input: Input = serde_json::from_value(value).map_err(invalid)?;
    let eval = meldroute_domain::evaluate(input.sector, &input.answers, input.disclosure)
        .map_err(|e| one_line(&format!("{}: {e}", e.code().as_str())))?;
    let nl = |key: &str, args: &[(&str, String)]| one_line(&text(Lang::Nl, key, args));
    let output = Output {
        sector: input.sector,
        next_question: eval.next_question,
        meldingen: eval.meldingen.iter().map(|m| MeldingOut { meldnorm: m.meldnorm, after: m.after }).collect(),
        with_veilig_thuis: eval.with_veilig_thuis,
        hulp: eval.hulp.as_str(),
        closed: eval.closed,
        reasons: eval.reasons.iter().map(|r| nl(&r.message_key(), &r.fluent_args())).collect(),
        reason_ids: eval.reasons.iter().map(|r| r.rule.as_str()).collect(),
        requirements: eval
            .requirements
            .iter()
            .map(|r| RequirementOut {
                kind: r.kind.as_str(),
                rule: r.reason.rule.as_str(),
                text: nl(&r.reason.message_key(), &r.reason.fluent_args()),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&output).map_err(|e| one_line(&format!("output: {e}")))
}

/// The flow of the afwegingskader as text: per question, what each answer leads to, in Dutch with the
/// English line under it (generic wording, then the education/leerplicht variant). Generated from the domain's transition table, so it cannot drift from the code.
pub fn explain() -> String {
    let mut out = String::new();
    let both = |out: &mut String, indent: &str, key: &str, args: &[(&str, String)]| {
        out.push_str(&format!("{indent}{}\n", text(Lang::Nl, key, args)));
        out.push_str(&format!("{indent}[en] {}\n", text(Lang::En, key, args)));
    };
    both(&mut out, "", AFWEGINGSKADER_TITLE_KEY, &[]);
    out.push('\n');
    for q in Question::ALL {
        both(&mut out, "", &q.message_key(), &[]);
        for a in Answer::ALL {
            out.push_str(&format!("  {:<8}→ ", a.as_str()));
            let (key, args, then) = match transition(Sector::Kinderopvang, q, a) {
                Ok(t) => (t.rule.message_key(), Vec::new(), Some(t.then)),
                Err(e) => (e.code().message_key(), vec![("question", q.number().to_string())], None),
            };
            let route = match then {
                Some(Then::Ask(next)) => format!(" [→ {}]", next.as_str()),
                Some(Then::CloseRoute) => " [route gesloten / route closed]".to_string(),
                Some(Then::EndRoute) => " [einde afwegingskader / end of framework]".to_string(),
                None => String::new(),
            };
            out.push_str(&format!("{}{route}\n", text(Lang::Nl, &key, &args)));
            out.push_str(&format!("            [en] {}\n", text(Lang::En, &key, &args)));
        }
        out.push('\n');
    }
    // The education/leerplicht variant differs only in wording at questions 1 and 2.
    for key in ["rule-q1_action_needed_education", "rule-meldnorm_1_doubt_education", "rule-q2_with_board"] {
        both(&mut out, "po/vo/mbo/leerplicht: ", key, &[]);
    }
    out.push('\n');
    for n in 1..=3 {
        both(&mut out, "", &meldnorm_message_key(n), &[]);
    }
    both(&mut out, "", "rule-meldnorm_1_disclosure", &[]);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use serde_json::{Value, json};

    fn run(input: &str) -> Value {
        serde_json::from_str(&evaluate(input).unwrap()).unwrap()
    }

    #[test]
    fn the_issue_example() {
        let v = run(
            r#"{"sector":"po","answers":{"q1":"ja","q2":"nee","q3":"ja","q4":"ja","q5":"nee"},"disclosure":false}"#,
        );
        assert_eq!(v["next_question"], Value::Null);
        assert_eq!(v["meldingen"], json!([{"meldnorm": 3, "after": "q5"}]));
        assert_eq!(v["with_veilig_thuis"], json!(false));
        assert_eq!(v["hulp"], json!("starten"));
        assert_eq!(v["closed"], json!(false));
        assert_eq!(v["reasons"].as_array().unwrap().len(), 5);
        assert_eq!(v["reason_ids"][4], json!("meldnorm_3_no_result"));
        let last = v["reasons"][4].as_str().unwrap();
        assert!(last.contains("meldnorm 3"), "{last}");
    }

    #[test]
    fn report_at_q2_with_disclosure_continues_with_veilig_thuis() {
        let v = run(r#"{"sector":"kinderopvang","answers":{"q1":"twijfel","q2":"twijfel"},"disclosure":true}"#);
        assert_eq!(v["next_question"], json!("q3"));
        assert_eq!(v["meldingen"], json!([{"meldnorm": 1, "after": "disclosure"}, {"meldnorm": 1, "after": "q2"}]));
        assert_eq!(v["with_veilig_thuis"], json!(true));
        assert_eq!(v["hulp"], json!("geen"));
        assert!(v["reasons"][0].as_str().unwrap().contains("verteld"));
    }

    #[test]
    fn empty_answers_ask_question_1_and_sector_defaults_to_po() {
        let v = run(r#"{"answers":{}}"#);
        assert_eq!(v["next_question"], json!("q1"));
        assert_eq!(v["sector"], json!("po"));
        assert_eq!(v["meldingen"], json!([]));
        let v = run(r#"{"sector":"mbo"}"#);
        assert_eq!(v["next_question"], json!("q1"));
    }

    #[test]
    fn no_on_question_1_closes() {
        let v = run(r#"{"sector":"gastouder","answers":{"q1":"nee"}}"#);
        assert_eq!(v["closed"], json!(true));
        assert_eq!(v["next_question"], Value::Null);
        assert_eq!(v["hulp"], json!("geen"));
    }

    #[test]
    fn invalid_input_is_one_line_naming_the_problem() {
        let cases = [
            ("", "invalid input"),
            ("{", "invalid input"),
            ("[]", "invalid input"),
            (r#"{"sector":"po"} trailing"#, "invalid input"),
            (r#"{"sector":"po","extra":1}"#, "extra"),
            (r#"{"sector":"po","answers":{"q6":"ja"}}"#, "q6"),
            (r#"{"sector":"po","answers":{"q1":"yes"}}"#, "yes"),
            (r#"{"sector":"po","answers":{"q1":true}}"#, "invalid input"),
            (r#"{"sector":"hbo","answers":{}}"#, "hbo"),
            (r#"{"sector":"po","disclosure":"no"}"#, "invalid input"),
            (r#"{"sector":"po","answers":{"q1":"ja","q3":"ja"}}"#, "question_out_of_order: q3 is answered before q2"),
            (r#"{"sector":"po","answers":{"q1":"ja","q2":"nee","q3":"twijfel"}}"#, "doubt_not_allowed"),
            (r#"{"sector":"po","answers":{"q1":"nee","q2":"ja"}}"#, "answered_after_end"),
            (
                r#"{"sector":"po","answers":{"q1":"ja","q2":"nee","q3":"nee","q4":"ja"}}"#,
                "answered_after_end: q4 cannot be answered: the route ended at q3",
            ),
        ];
        for (input, needle) in cases {
            let err = evaluate(input).unwrap_err();
            assert!(!err.contains('\n'), "{err}");
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn explain_covers_every_question_in_both_languages() {
        let text = explain();
        for q in ["Vraag 1", "Vraag 5", "Question 1", "Question 5", "Meldnorm 3"] {
            assert!(text.contains(q), "{q} missing");
        }
        assert!(text.contains("Twijfel is bij vraag 3 niet mogelijk"));
        assert!(!text.contains("rule-"), "a key without text");
        assert!(!text.contains("error-"), "a key without text");
    }
}
