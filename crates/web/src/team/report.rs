//! The report of a team learning session (issue 10 point 5), as PDF through `meldroute_pdf` (Typst): the
//! agenda as held, the poll results with bar charts, the draft route map from the case work, the ranked action
//! points and the actions agreed. All texts are data; nothing of the participants is in it but their anonymous
//! answers.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meldroute_domain::team_session::{Phase, QuestionKind};
use meldroute_pdf::{Bar, Block, Document, Field, Report, ReportSection};
use meldroute_store::*;

use super::{choice_label, load};
use crate::admin::{db, finish, record};
use crate::auth::session::CurrentUser;
use crate::documents::{RENDER_WAIT, labels, long_date, pdf_error_kind, pdf_lang, pdf_response};
use crate::pages::I18n;
use crate::{AppState, clock};

/// `GET /team-sessions/{id}/report.pdf`
pub async fn pdf(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let i = I18n { lang: me.lang };
            let snap = db(state.team.snapshot(&state, &me.tenant, loaded.session.id).await)?;
            let location = db(state.db.list_locations(&me.tenant).await)?
                .into_iter()
                .find(|l| l.id == loaded.session.location)
                .map(|l| l.name)
                .unwrap_or_default();
            let actions = db(state.db.list_session_team_actions(&me.tenant, loaded.session.id).await)?;
            let names: Vec<(UserId, String)> =
                db(state.db.list_users(&me.tenant).await)?.into_iter().map(|u| (u.id, u.display_name)).collect();
            let (plan, run) = (&snap.plan, &snap.run);
            let today = clock::today_nl();

            // The agenda as held: the included items in order, with their time boxes; where it stands.
            let current = match run.phase {
                Phase::Running { current } => Some(current),
                _ => None,
            };
            let agenda_rows: Vec<Vec<String>> = plan
                .agenda
                .iter()
                .enumerate()
                .filter(|(_, a)| a.included)
                .map(|(n, a)| {
                    let mark = if current == Some(n) { i.t("team-report-current") } else { String::new() };
                    vec![a.title.clone(), a.minutes.to_string(), mark]
                })
                .collect();
            let agenda = ReportSection {
                heading: i.t("team-agenda"),
                blocks: vec![
                    Block::Table {
                        header: vec![i.t("team-report-item"), i.t("team-minutes-label"), String::new()],
                        rows: agenda_rows,
                    },
                    Block::paragraph(format!("{}: {}", i.t("team-total-minutes"), plan.total_minutes())),
                ],
            };

            // The poll: a bar chart per scale, the open answers as a list (alphabetical, as collected).
            let mut poll = Vec::new();
            for (n, (q, result)) in plan.questions.iter().zip(&snap.results).enumerate() {
                poll.push(Block::heading(format!("{}. {}", n + 1, q.text)));
                poll.push(Block::paragraph(i.t_args("team-answers", &[("count", result.answers.to_string())])));
                if q.kind == QuestionKind::Open {
                    if !result.texts.is_empty() {
                        poll.push(Block::bullets(result.texts.clone()));
                    }
                } else {
                    poll.push(Block::Bars {
                        rows: result
                            .counts
                            .iter()
                            .enumerate()
                            .map(|(c, &count)| Bar { label: choice_label(&i, q.kind, c as u8), count })
                            .collect(),
                    });
                }
            }

            // The draft route map per worksheet step.
            let mut draft = Vec::new();
            for step in &snap.draft {
                draft.push(Block::heading(step.title.clone()));
                let mut fields = Vec::new();
                for (key, texts) in [
                    ("team-field-positives", &step.positives),
                    ("team-field-attention", &step.attention),
                    ("team-draft-people", &step.key_persons),
                ] {
                    if !texts.is_empty() {
                        fields.push(Field::new(i.t(key), texts.join("; ")));
                    }
                }
                if fields.is_empty() {
                    draft.push(Block::paragraph(i.t("team-draft-none")));
                } else {
                    draft.push(Block::Fields { fields });
                }
            }

            // The action points, ranked, and the actions agreed.
            let points = if snap.points.is_empty() {
                vec![Block::paragraph(i.t("team-points-none"))]
            } else {
                vec![Block::Table {
                    header: vec![i.t("team-point-text"), i.t("team-point-level"), i.t("team-report-dots")],
                    rows: snap
                        .points
                        .iter()
                        .map(|p| {
                            vec![p.text.clone(), i.t(&format!("team-level-{}", p.level.as_str())), p.dots.to_string()]
                        })
                        .collect(),
                }]
            };
            let action_rows: Vec<Vec<String>> = actions
                .iter()
                .map(|a| {
                    vec![
                        a.text.clone(),
                        names.iter().find(|(id, _)| *id == a.owner).map(|(_, n)| n.clone()).unwrap_or_default(),
                        crate::dossier_pages::format_date(a.planned_on),
                        i.t(&format!("team-action-state-{}", a.state)),
                    ]
                })
                .collect();
            let action_list = if action_rows.is_empty() {
                vec![Block::paragraph(i.t("team-actions-none-session"))]
            } else {
                vec![Block::Table {
                    header: vec![
                        i.t("team-action-text"),
                        i.t("team-action-owner"),
                        i.t("team-action-planned"),
                        i.t("team-action-col-state"),
                    ],
                    rows: action_rows,
                }]
            };

            let created = clock::dutch_local(loaded.session.created_at).date();
            let doc = Document::Report(Report {
                lang: pdf_lang(i.lang),
                today,
                labels: labels(&i),
                title: plan.title.clone(),
                subtitle: location.clone(),
                marking: String::new(),
                facts: vec![
                    Field::new(i.t("team-report-date"), long_date(&i, created)),
                    Field::new(i.t("team-col-phase"), i.t(&format!("team-phase-{}", run.phase.as_str()))),
                    Field::new(i.t("team-report-participants"), snap.participants.to_string()),
                    Field::new(i.t("team-report-groups"), snap.groups.to_string()),
                ],
                sections: vec![
                    agenda,
                    ReportSection { heading: i.t("team-poll"), blocks: poll },
                    ReportSection { heading: i.t("team-draft"), blocks: draft },
                    ReportSection { heading: i.t("team-points"), blocks: points },
                    ReportSection { heading: i.t("team-actions-of-session"), blocks: action_list },
                ],
                footer: i.t_args("team-report-footer", &[("title", plan.title.clone()), ("location", location)]),
            });
            let bytes = match tokio::time::timeout(RENDER_WAIT, state.pdf.render(doc)).await {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(err)) => {
                    tracing::error!(document = "team_report", kind = pdf_error_kind(&err), "PDF rendering failed");
                    return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
                }
                Err(_) => {
                    tracing::warn!(document = "team_report", "PDF rendering busy; request refused");
                    return Err((StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "10")]).into_response());
                }
            };
            record(&state, &me, &addr, "team_session.report.pdf", None).await?;
            Ok(pdf_response(bytes, &format!("teamleergesprek-{}.pdf", loaded.session.id.0)))
        }
        .await,
    )
}
