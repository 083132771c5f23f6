//! Every combination of answers to q1..q5 over {absent, ja, nee, twijfel} (4^5 = 1024), with and without
//! a disclosure, in every sector, checked against an expected outcome written independently from
//! meldcode.md §7 as a table of strings and numbers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use meldroute_domain::{AfwegingError, Answer, Answers, Question, Sector, evaluate};

/// Where §7 sends the route after an answer.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Go {
    /// Continue with question N.
    To(u8),
    /// "close the meldcode route and record the conclusion" (only after no on 1).
    Close,
    /// The framework is done (report after 3/4, or after 5); follow-up goes on.
    End,
    /// Doubt here is refused.
    Refused,
}

/// question, answer, report under meldnorm, where to go, help outcome afterwards, with Veilig Thuis from here.
type Row = (u8, &'static str, Option<u8>, Go, Option<&'static str>, bool);

/// §7, one row per (question, answer):
/// question, answer, report under meldnorm, where to go, help outcome afterwards, with Veilig Thuis from here.
#[rustfmt::skip]
const SECTION_7: [Row; 15] = [
    // 1. Vermoeden: yes → 2; doubt counts as yes; no → close.
    (1, "ja",      None,    Go::To(2), None,                             false),
    (1, "twijfel", None,    Go::To(2), None,                             false),
    (1, "nee",     None,    Go::Close, None,                             false),
    // 2. Veiligheid: yes or doubt → report (meldnorm 1), 3–5 with Veilig Thuis; no → 3.
    (2, "ja",      Some(1), Go::To(3), None,                             true),
    (2, "twijfel", Some(1), Go::To(3), None,                             true),
    (2, "nee",     None,    Go::To(3), None,                             false),
    // 3. Hulp mogelijk: no → report (meldnorm 2); yes → 4.
    (3, "ja",      None,    Go::To(4), None,                             false),
    (3, "nee",     Some(2), Go::End,   None,                             false),
    (3, "twijfel", None,    Go::Refused, None,                           false),
    // 4. Hulp aanvaard: no → report (meldnorm 2); yes → start help → 5.
    (4, "ja",      None,    Go::To(5), Some("starten"),                  false),
    (4, "nee",     Some(2), Go::End,   None,                             false),
    (4, "twijfel", None,    Go::Refused, None,                           false),
    // 5. Resultaat: no → report (again, meldnorm 3); yes → close the help with monitoring.
    (5, "ja",      None,    Go::End,   Some("afsluiten_met_monitoring"), false),
    (5, "nee",     Some(3), Go::End,   None,                             false),
    (5, "twijfel", None,    Go::Refused, None,                           false),
];

#[derive(Debug, PartialEq)]
struct Expected {
    next_question: Option<u8>,
    /// (meldnorm, "after")
    meldingen: Vec<(u8, String)>,
    with_veilig_thuis: bool,
    hulp: String,
    closed: bool,
}

/// (error code, the question the error names)
type ExpectedError = (&'static str, u8);

fn row(q: u8, answer: &str) -> (Option<u8>, Go, Option<&'static str>, bool) {
    let r = SECTION_7.iter().find(|r| r.0 == q && r.1 == answer).expect("row");
    (r.2, r.3, r.4, r.5)
}

/// The expected outcome. Error precedence (documented in afwegingskader.rs): walking from question 1, the
/// first problem wins: an answer after the route ended, an answer after a gap (naming the gap), doubt on 3–5.
fn expected(answers: [Option<&str>; 5], disclosure: bool) -> Result<Expected, ExpectedError> {
    let mut out = Expected {
        next_question: None,
        meldingen: Vec::new(),
        with_veilig_thuis: false,
        hulp: "geen".to_string(),
        closed: false,
    };
    if disclosure {
        out.meldingen.push((1, "disclosure".to_string()));
    }
    let mut waiting_for: Option<u8> = Some(1);
    for q in 1..=5u8 {
        let given = answers[usize::from(q - 1)];
        match (waiting_for, given) {
            (None, Some(_)) => return Err(("answered_after_end", q)),
            (None, None) => {}
            (Some(_), None) => {
                if ((q + 1)..=5).any(|later| answers[usize::from(later - 1)].is_some()) {
                    return Err(("question_out_of_order", q));
                }
                out.next_question = Some(q);
                return Ok(out);
            }
            (Some(_), Some(answer)) => {
                let (meldnorm, go, hulp, with_vt) = row(q, answer);
                if let Some(n) = meldnorm {
                    out.meldingen.push((n, format!("q{q}")));
                }
                if let Some(h) = hulp {
                    out.hulp = h.to_string();
                }
                out.with_veilig_thuis |= with_vt;
                waiting_for = match go {
                    Go::To(next) => Some(next),
                    Go::Close => {
                        out.closed = true;
                        None
                    }
                    Go::End => None,
                    Go::Refused => return Err(("doubt_not_allowed", q)),
                };
            }
        }
    }
    Ok(out)
}

fn to_answer(s: &str) -> Answer {
    match s {
        "ja" => Answer::Ja,
        "nee" => Answer::Nee,
        "twijfel" => Answer::Twijfel,
        other => panic!("unknown answer {other}"),
    }
}

/// The question an error names (for out-of-order: the first unanswered question).
fn error_question(e: &AfwegingError) -> (&'static str, u8) {
    match e {
        AfwegingError::OutOfOrder { expected, .. } => ("question_out_of_order", expected.number()),
        AfwegingError::DoubtNotAllowed { question } => ("doubt_not_allowed", question.number()),
        AfwegingError::AnsweredAfterEnd { question, .. } => ("answered_after_end", question.number()),
    }
}

#[test]
fn every_combination_matches_section_7() {
    let values = [None, Some("ja"), Some("nee"), Some("twijfel")];
    let mut checked = 0;
    let mut ok = 0;
    for sector in Sector::ALL {
        for disclosure in [false, true] {
            for code in 0..1024usize {
                let combo: [Option<&str>; 5] = std::array::from_fn(|i| values[(code >> (2 * i)) & 3]);
                let mut answers = Answers::default();
                for (i, q) in Question::ALL.into_iter().enumerate() {
                    answers.set(q, combo[i].map(to_answer));
                }
                let want = expected(combo, disclosure);
                let got = evaluate(sector, &answers, disclosure);
                checked += 1;
                match (want, got) {
                    (Ok(want), Ok(got)) => {
                        ok += 1;
                        let got_simple = Expected {
                            next_question: got.next_question.map(Question::number),
                            meldingen: got
                                .meldingen
                                .iter()
                                .map(|m| (m.meldnorm, m.after.as_str().to_string()))
                                .collect(),
                            with_veilig_thuis: got.with_veilig_thuis,
                            hulp: got.hulp.as_str().to_string(),
                            closed: got.closed,
                        };
                        assert_eq!(got_simple, want, "{sector:?} {combo:?} disclosure={disclosure}");
                        // One reason per answer given, plus one for a disclosure.
                        let answered = combo.iter().filter(|a| a.is_some()).count();
                        assert_eq!(got.reasons.len(), answered + usize::from(disclosure));
                        // Every melding's reason is a meldnorm rule of the same number.
                        for m in &got.meldingen {
                            let prefix = format!("meldnorm_{}_", m.meldnorm);
                            assert!(m.reason.rule.as_str().starts_with(&prefix), "{:?}", m);
                        }
                    }
                    (Err(want), Err(got)) => {
                        assert_eq!(error_question(&got), want, "{sector:?} {combo:?}");
                    }
                    (want, got) => {
                        panic!("{sector:?} {combo:?} disclosure={disclosure}: want {want:?}, got {got:?}")
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 2 * 1024);
    // Sanity check on the oracle itself: the valid paths are the prefixes of §7's route.
    // Per sector and disclosure: empty (1) + q1 (3) + q1 yes/doubt × q2 (2×3) + ×q3 (6×2 valid)
    // + q3 ja × q4 (6×2) + q4 ja × q5 (6×2) = 1 + 3 + 6 + 12 + 12 + 12 = 46.
    assert_eq!(ok, 6 * 2 * 46);
}

#[test]
fn sector_changes_the_wording_not_the_outcome() {
    let answers = Answers::default().with(Question::Q1, Answer::Ja).with(Question::Q2, Answer::Twijfel);
    let po = evaluate(Sector::Po, &answers, false).unwrap();
    let ko = evaluate(Sector::Kinderopvang, &answers, false).unwrap();
    assert_eq!(po.meldingen.len(), 1);
    assert_eq!(po.meldingen[0].meldnorm, ko.meldingen[0].meldnorm);
    assert_eq!(po.reasons[1].rule.as_str(), "meldnorm_1_doubt_education");
    assert_eq!(ko.reasons[1].rule.as_str(), "meldnorm_1_doubt");
    assert_eq!(po.reasons[0].rule.as_str(), "q1_action_needed_education");
    assert_eq!(ko.reasons[0].rule.as_str(), "q1_suspicion");
}
