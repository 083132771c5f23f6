//! The team learning session (teamleergesprek, meldcode.md §10) as pure rules: the standard template
//! (agenda with time boxes, goals, invitation, opening poll, work forms, cases), editing the plan, the
//! session's states (draft, running at an agenda item, closed), the poll's states, the answer, action-point
//! and dot rules, and the join code. No I/O, no clock, no randomness: the texts come from a lookup the caller
//! passes (the Fluent files `locales/{nl,en}/team.ftl`), random bytes for a join code are a parameter.
//!
//! Once a session is prepared its texts are the facilitator's: the template is filled in in the
//! facilitator's language and every text can be changed from then on.

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------------------

/// Longest open poll answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 500;
/// Longest action point (a typed post-it), in characters.
pub const MAX_ACTION_POINT_CHARS: usize = 200;
/// Longest title of an agenda item, a case or the session.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest free text of the plan (instructions, a case description, the invitation).
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most agenda items in one session.
pub const MAX_AGENDA_ITEMS: usize = 20;
/// Longest time box of one agenda item, in minutes.
pub const MAX_ITEM_MINUTES: u16 = 120;
/// Most action points one participant may post.
pub const MAX_POINTS_PER_PARTICIPANT: usize = 10;
/// Dots per participant in the standard template, and the bounds a facilitator may choose from.
pub const DEFAULT_DOTS: u8 = 3;
pub const MAX_DOTS: u8 = 10;
/// Length of a join code.
pub const JOIN_CODE_LEN: usize = 6;
/// The join code alphabet: capitals and digits without the look-alikes 0/O, 1/I/L.
pub const JOIN_CODE_ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

// ---------------------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------------------

/// The parts of the standard agenda (§10), plus the facilitator's own items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Welcome,
    Introduction,
    OpeningPoll,
    PairsInterview,
    ThoughtExperiment,
    MeldcodeCases,
    Partners,
    KeepOnAgenda,
    Closing,
    Own,
}

impl Part {
    /// The standard agenda in its order (not `Own`).
    pub const STANDARD: [Part; 9] = [
        Part::Welcome,
        Part::Introduction,
        Part::OpeningPoll,
        Part::PairsInterview,
        Part::ThoughtExperiment,
        Part::MeldcodeCases,
        Part::Partners,
        Part::KeepOnAgenda,
        Part::Closing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::Welcome => "welcome",
            Part::Introduction => "introduction",
            Part::OpeningPoll => "opening_poll",
            Part::PairsInterview => "pairs_interview",
            Part::ThoughtExperiment => "thought_experiment",
            Part::MeldcodeCases => "meldcode_cases",
            Part::Partners => "partners",
            Part::KeepOnAgenda => "keep_on_agenda",
            Part::Closing => "closing",
            Part::Own => "own",
        }
    }

    /// Minutes in the standard agenda (§10).
    pub fn standard_minutes(self) -> u16 {
        match self {
            Part::Welcome | Part::Introduction | Part::Closing => 10,
            Part::OpeningPoll | Part::PairsInterview | Part::ThoughtExperiment | Part::Partners => 15,
            Part::MeldcodeCases => 25,
            Part::KeepOnAgenda => 20,
            Part::Own => 10,
        }
    }

    /// Parts the template marks optional (the facilitator may leave them out).
    pub fn optional_in_template(self) -> bool {
        matches!(self, Part::Partners | Part::ThoughtExperiment)
    }

    fn key(self) -> String {
        format!("team-part-{}", self.as_str().replace('_', "-"))
    }
}

/// One agenda item with its time box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub part: Part,
    pub title: String,
    pub minutes: u16,
    /// Instructions for the work form (may be empty).
    pub instructions: String,
    pub optional: bool,
    /// False when the facilitator left an optional item out; running skips it.
    pub included: bool,
}

/// The four kinds of opening poll question (§10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Four points, from very skilled to not skilled.
    Scale4,
    /// Zero to five.
    Scale0To5,
    /// An open answer.
    Open,
    /// Three points.
    Scale3,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] =
        [QuestionKind::Scale4, QuestionKind::Scale0To5, QuestionKind::Open, QuestionKind::Scale3];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Scale4 => "scale4",
            QuestionKind::Scale0To5 => "scale0to5",
            QuestionKind::Open => "open",
            QuestionKind::Scale3 => "scale3",
        }
    }

    /// How many choices a scale offers (`None` for an open question).
    pub fn choices(self) -> Option<u8> {
        match self {
            QuestionKind::Scale4 => Some(4),
            QuestionKind::Scale0To5 => Some(6),
            QuestionKind::Scale3 => Some(3),
            QuestionKind::Open => None,
        }
    }

    /// The Fluent key of the label of choice `i` (the 0–5 scale shows its numbers).
    pub fn choice_key(self, i: u8) -> Option<String> {
        match self {
            QuestionKind::Scale4 => Some(format!("team-scale4-{i}")),
            QuestionKind::Scale3 => Some(format!("team-scale3-{i}")),
            QuestionKind::Scale0To5 | QuestionKind::Open => None,
        }
    }
}

/// One poll question of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollQuestion {
    pub kind: QuestionKind,
    pub text: String,
}

/// A case description for the case work (fictional, or the school's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDescription {
    pub title: String,
    pub text: String,
    /// Written by the facilitator from the school's own practice.
    pub own: bool,
}

/// One step of the case worksheet, with its questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorksheetStep {
    pub title: String,
    pub questions: String,
}

/// Everything a facilitator prepares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPlan {
    pub title: String,
    pub goals: Vec<String>,
    pub invitation: String,
    pub agenda: Vec<AgendaItem>,
    pub questions: Vec<PollQuestion>,
    pub worksheet: Vec<WorksheetStep>,
    pub cases: Vec<CaseDescription>,
    pub dots_per_participant: u8,
}

const GOALS: usize = 6;
const FICTIONAL_CASES: usize = 3;
const WORKSHEET_STEPS: usize = 4;
const STANDARD_QUESTIONS: [QuestionKind; 5] =
    [QuestionKind::Scale4, QuestionKind::Scale0To5, QuestionKind::Open, QuestionKind::Open, QuestionKind::Scale3];

/// Every Fluent key the template and the rules use; a test checks `team.ftl` in both languages.
pub fn message_keys() -> Vec<String> {
    let mut keys = vec!["team-template-title".to_string(), "team-invitation".to_string()];
    for part in Part::STANDARD {
        keys.push(part.key());
        keys.push(format!("{}-instructions", part.key()));
    }
    keys.extend((1..=GOALS).map(|i| format!("team-goal-{i}")));
    keys.extend((1..=STANDARD_QUESTIONS.len()).map(|i| format!("team-question-{i}")));
    keys.extend((0..4).map(|i| format!("team-scale4-{i}")));
    keys.extend((0..3).map(|i| format!("team-scale3-{i}")));
    for i in 1..=WORKSHEET_STEPS {
        keys.push(format!("team-worksheet-{i}-title"));
        keys.push(format!("team-worksheet-{i}-questions"));
    }
    for i in 1..=FICTIONAL_CASES {
        keys.push(format!("team-case-{i}-title"));
        keys.push(format!("team-case-{i}-text"));
    }
    keys.push("team-case-own-title".into());
    keys.push("team-case-own-text".into());
    keys.extend(Level::ALL.iter().map(|l| format!("team-level-{}", l.as_str())));
    keys.extend(TeamError::ALL.iter().map(|e| e.message_key()));
    keys.extend(crate::team_casework::CaseField::ALL.iter().map(|f| f.message_key()));
    keys
}

/// The standard template (§10), its texts taken from `text` (a Fluent lookup in the facilitator's language).
pub fn standard_plan(text: &dyn Fn(&str) -> String) -> SessionPlan {
    let agenda = Part::STANDARD
        .iter()
        .map(|&part| AgendaItem {
            part,
            title: text(&part.key()),
            minutes: part.standard_minutes(),
            instructions: text(&format!("{}-instructions", part.key())),
            optional: part.optional_in_template(),
            included: true,
        })
        .collect();
    let mut cases: Vec<CaseDescription> = (1..=FICTIONAL_CASES)
        .map(|i| CaseDescription {
            title: text(&format!("team-case-{i}-title")),
            text: text(&format!("team-case-{i}-text")),
            own: false,
        })
        .collect();
    cases.push(CaseDescription { title: text("team-case-own-title"), text: text("team-case-own-text"), own: true });
    SessionPlan {
        title: text("team-template-title"),
        goals: (1..=GOALS).map(|i| text(&format!("team-goal-{i}"))).collect(),
        invitation: text("team-invitation"),
        agenda,
        questions: STANDARD_QUESTIONS
            .iter()
            .enumerate()
            .map(|(i, &kind)| PollQuestion { kind, text: text(&format!("team-question-{}", i + 1)) })
            .collect(),
        worksheet: (1..=WORKSHEET_STEPS)
            .map(|i| WorksheetStep {
                title: text(&format!("team-worksheet-{i}-title")),
                questions: text(&format!("team-worksheet-{i}-questions")),
            })
            .collect(),
        cases,
        dots_per_participant: DEFAULT_DOTS,
    }
}

/// A change the facilitator makes to the agenda while preparing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgendaEdit {
    MoveUp(usize),
    MoveDown(usize),
    SetMinutes(usize, u16),
    SetTitle(usize, String),
    SetInstructions(usize, String),
    /// Leave an optional item out or take it back in.
    SetIncluded(usize, bool),
    /// Add an own item at the end.
    Add {
        title: String,
        minutes: u16,
    },
    /// Remove an own item (template items can only be left out when optional).
    Remove(usize),
}

fn check_title(title: &str) -> Result<(), TeamError> {
    let chars = title.trim().chars().count();
    if chars == 0 {
        Err(TeamError::TitleMissing)
    } else if chars > MAX_TITLE_CHARS {
        Err(TeamError::TitleTooLong)
    } else {
        Ok(())
    }
}

fn check_minutes(minutes: u16) -> Result<(), TeamError> {
    if (1..=MAX_ITEM_MINUTES).contains(&minutes) { Ok(()) } else { Err(TeamError::MinutesOutOfRange) }
}

impl SessionPlan {
    /// Applies one edit; refuses (changing nothing) what the rules forbid.
    pub fn edit_agenda(&mut self, edit: AgendaEdit) -> Result<(), TeamError> {
        let len = self.agenda.len();
        let exists = |i: usize| if i < len { Ok(()) } else { Err(TeamError::NoSuchItem) };
        match edit {
            AgendaEdit::MoveUp(i) => {
                exists(i)?;
                if i > 0 {
                    self.agenda.swap(i - 1, i);
                }
            }
            AgendaEdit::MoveDown(i) => {
                exists(i)?;
                if i + 1 < len {
                    self.agenda.swap(i, i + 1);
                }
            }
            AgendaEdit::SetMinutes(i, minutes) => {
                exists(i)?;
                check_minutes(minutes)?;
                self.agenda[i].minutes = minutes;
            }
            AgendaEdit::SetTitle(i, title) => {
                exists(i)?;
                check_title(&title)?;
                self.agenda[i].title = title.trim().to_string();
            }
            AgendaEdit::SetInstructions(i, instructions) => {
                exists(i)?;
                if instructions.chars().count() > MAX_TEXT_CHARS {
                    return Err(TeamError::TextTooLong);
                }
                self.agenda[i].instructions = instructions.trim().to_string();
            }
            AgendaEdit::SetIncluded(i, included) => {
                exists(i)?;
                if !included && !self.agenda[i].optional {
                    return Err(TeamError::ItemNotOptional);
                }
                self.agenda[i].included = included;
            }
            AgendaEdit::Add { title, minutes } => {
                if len >= MAX_AGENDA_ITEMS {
                    return Err(TeamError::TooManyItems);
                }
                check_title(&title)?;
                check_minutes(minutes)?;
                self.agenda.push(AgendaItem {
                    part: Part::Own,
                    title: title.trim().to_string(),
                    minutes,
                    instructions: String::new(),
                    optional: true,
                    included: true,
                });
            }
            AgendaEdit::Remove(i) => {
                exists(i)?;
                if self.agenda[i].part != Part::Own {
                    return Err(TeamError::ItemNotOwn);
                }
                self.agenda.remove(i);
            }
        }
        Ok(())
    }

    /// Sets the school's own case (the template's last case).
    pub fn set_own_case(&mut self, title: String, text: String) -> Result<(), TeamError> {
        check_title(&title)?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(TeamError::TextTooLong);
        }
        let own = CaseDescription { title: title.trim().to_string(), text: text.trim().to_string(), own: true };
        match self.cases.iter_mut().find(|c| c.own) {
            Some(case) => *case = own,
            None => self.cases.push(own),
        }
        Ok(())
    }

    /// Sets the number of dots per participant.
    pub fn set_dots(&mut self, dots: u8) -> Result<(), TeamError> {
        if (1..=MAX_DOTS).contains(&dots) {
            self.dots_per_participant = dots;
            Ok(())
        } else {
            Err(TeamError::DotsOutOfRange)
        }
    }

    /// Minutes of the included items.
    pub fn total_minutes(&self) -> u32 {
        self.agenda.iter().filter(|i| i.included).map(|i| u32::from(i.minutes)).sum()
    }

    /// Indices of the items that will be held, in order.
    pub fn included_items(&self) -> Vec<usize> {
        self.agenda.iter().enumerate().filter(|(_, i)| i.included).map(|(n, _)| n).collect()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Session and poll states
// ---------------------------------------------------------------------------------------------------------

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Being prepared: participants cannot join yet.
    Draft,
    /// Being held, at agenda item `current` (an index into the agenda).
    Running { current: usize },
    /// Over: nothing can be answered or posted any more.
    Closed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Running { .. } => "running",
            Phase::Closed => "closed",
        }
    }
}

/// What the facilitator does while running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Start,
    Next,
    Previous,
    Close,
}

/// The phase after `control`, skipping items that were left out; refuses what makes no sense.
pub fn advance(plan: &SessionPlan, phase: Phase, control: Control) -> Result<Phase, TeamError> {
    let included = plan.included_items();
    match (phase, control) {
        (Phase::Draft, Control::Start) => match included.first() {
            Some(&first) => Ok(Phase::Running { current: first }),
            None => Err(TeamError::EmptyAgenda),
        },
        (Phase::Running { current }, Control::Next) => {
            included.iter().find(|&&i| i > current).map(|&i| Phase::Running { current: i }).ok_or(TeamError::NoNextItem)
        }
        (Phase::Running { current }, Control::Previous) => included
            .iter()
            .rev()
            .find(|&&i| i < current)
            .map(|&i| Phase::Running { current: i })
            .ok_or(TeamError::NoPreviousItem),
        (Phase::Draft | Phase::Running { .. }, Control::Close) => Ok(Phase::Closed),
        (Phase::Closed, _) => Err(TeamError::SessionClosed),
        (Phase::Draft, _) => Err(TeamError::SessionNotRunning),
        (Phase::Running { .. }, Control::Start) => Err(TeamError::AlreadyRunning),
    }
}

/// Seconds left of the current item's time box (negative: over time), from the seconds since it started.
pub fn seconds_left(item: &AgendaItem, elapsed_seconds: i64) -> i64 {
    i64::from(item.minutes) * 60 - elapsed_seconds
}

/// The state of one poll question: closed (the start), open for answers, and whether the results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PollState {
    pub open: bool,
    pub results_shown: bool,
}

/// What the facilitator does with a poll question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollControl {
    Open,
    Close,
    ShowResults,
    HideResults,
}

impl PollState {
    pub fn apply(self, phase: Phase, control: PollControl) -> Result<PollState, TeamError> {
        if !matches!(phase, Phase::Running { .. }) {
            return Err(match phase {
                Phase::Closed => TeamError::SessionClosed,
                _ => TeamError::SessionNotRunning,
            });
        }
        Ok(match control {
            PollControl::Open => PollState { open: true, ..self },
            PollControl::Close => PollState { open: false, ..self },
            PollControl::ShowResults => PollState { results_shown: true, ..self },
            PollControl::HideResults => PollState { results_shown: false, ..self },
        })
    }
}

/// Everything about a session that changes while it runs (stored next to the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    pub phase: Phase,
    /// One per poll question of the plan, in order.
    pub polls: Vec<PollState>,
    /// When the current item started (Unix seconds), for the countdown.
    pub item_started_at: Option<i64>,
}

impl RunState {
    /// A prepared, not yet started session.
    pub fn new(plan: &SessionPlan) -> RunState {
        RunState { phase: Phase::Draft, polls: vec![PollState::default(); plan.questions.len()], item_started_at: None }
    }

    /// The state after a facilitator's control at `now` (Unix seconds). Closing also closes every poll.
    pub fn control(&self, plan: &SessionPlan, control: Control, now: i64) -> Result<RunState, TeamError> {
        let phase = advance(plan, self.phase, control)?;
        let mut polls = self.polls.clone();
        polls.resize(plan.questions.len(), PollState::default());
        if phase == Phase::Closed {
            polls.iter_mut().for_each(|p| p.open = false);
        }
        let item_started_at = matches!(phase, Phase::Running { .. }).then_some(now);
        Ok(RunState { phase, polls, item_started_at })
    }

    /// The state after a facilitator's poll control on question `index`.
    pub fn poll(&self, index: usize, control: PollControl) -> Result<RunState, TeamError> {
        let current = *self.polls.get(index).ok_or(TeamError::NoSuchQuestion)?;
        let mut next = self.clone();
        next.polls[index] = current.apply(self.phase, control)?;
        Ok(next)
    }

    /// The poll state of question `index` (closed when the question is unknown).
    pub fn poll_state(&self, index: usize) -> PollState {
        self.polls.get(index).copied().unwrap_or_default()
    }

    /// The current agenda item while running.
    pub fn current_item<'p>(&self, plan: &'p SessionPlan) -> Option<&'p AgendaItem> {
        match self.phase {
            Phase::Running { current } => plan.agenda.get(current),
            _ => None,
        }
    }
}

/// Where a session is for what participants send: its phase, and the part of the agenda item it is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub phase: Phase,
    /// The current item's part; `None` unless running.
    pub part: Option<Part>,
}

impl At {
    pub fn of(phase: Phase, plan: &SessionPlan) -> At {
        let part = match phase {
            Phase::Running { current } => plan.agenda.get(current).map(|item| item.part),
            Phase::Draft | Phase::Closed => None,
        };
        At { phase, part }
    }

    /// Refuses unless the session runs at an item of `part`: action points and dots belong to "keeping the
    /// theme on the agenda", groups and worksheets to the meldcode cases; a form kept open from an earlier
    /// item, or a crafted request, cannot add to another.
    pub fn require(self, part: Part) -> Result<(), TeamError> {
        check_running(self.phase)?;
        if self.part == Some(part) { Ok(()) } else { Err(TeamError::NotAtThisItem) }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Answers, action points, dots
// ---------------------------------------------------------------------------------------------------------

/// One participant's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerValue {
    Choice(u8),
    Text(String),
}

/// Checks an answer against the question, the session and the poll; `already_answered` says whether this
/// participant answered this question before (one answer per participant per question). Returns the answer
/// as it is stored (an open answer trimmed).
pub fn validate_answer(
    phase: Phase,
    question: &PollQuestion,
    poll: PollState,
    already_answered: bool,
    value: AnswerValue,
) -> Result<AnswerValue, TeamError> {
    check_running(phase)?;
    if !poll.open {
        return Err(TeamError::PollNotOpen);
    }
    if already_answered {
        return Err(TeamError::AlreadyAnswered);
    }
    match (question.kind.choices(), value) {
        (Some(n), AnswerValue::Choice(c)) if c < n => Ok(AnswerValue::Choice(c)),
        (Some(_), _) => Err(TeamError::ChoiceOutOfRange),
        (None, AnswerValue::Text(text)) => {
            let text = text.trim();
            match text.chars().count() {
                0 => Err(TeamError::AnswerEmpty),
                n if n > MAX_ANSWER_CHARS => Err(TeamError::AnswerTooLong),
                _ => Ok(AnswerValue::Text(text.to_string())),
            }
        }
        (None, AnswerValue::Choice(_)) => Err(TeamError::AnswerEmpty),
    }
}

fn check_running(phase: Phase) -> Result<(), TeamError> {
    match phase {
        Phase::Running { .. } => Ok(()),
        Phase::Closed => Err(TeamError::SessionClosed),
        Phase::Draft => Err(TeamError::SessionNotRunning),
    }
}

/// Whether a participant may join a session in this phase.
pub fn check_join(phase: Phase) -> Result<(), TeamError> {
    check_running(phase)
}

/// The results of one question.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PollResult {
    /// Per choice, how many chose it (empty for an open question).
    pub counts: Vec<u32>,
    /// The open answers in alphabetical order, not in the order given: in a small team the order would tell
    /// who wrote what (the one who answered right after sitting down, say).
    pub texts: Vec<String>,
    pub answers: u32,
}

/// Counts the answers to one question.
pub fn tally(kind: QuestionKind, answers: &[AnswerValue]) -> PollResult {
    let mut result = PollResult { counts: vec![0; usize::from(kind.choices().unwrap_or(0))], ..PollResult::default() };
    for answer in answers {
        match answer {
            AnswerValue::Choice(c) => {
                if let Some(slot) = result.counts.get_mut(usize::from(*c)) {
                    *slot += 1;
                    result.answers += 1;
                }
            }
            AnswerValue::Text(t) if kind == QuestionKind::Open => {
                result.texts.push(t.clone());
                result.answers += 1;
            }
            AnswerValue::Text(_) => {}
        }
    }
    result.texts.sort_by_key(|t| t.to_lowercase());
    result
}

/// The level an action point is meant for (§10 work form 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Individual,
    Team,
    Partners,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Individual, Level::Team, Level::Partners];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Individual => "individual",
            Level::Team => "team",
            Level::Partners => "partners",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Checks a new action point; `posted_before` is how many this participant already posted.
pub fn validate_action_point(at: At, text: &str, posted_before: usize) -> Result<String, TeamError> {
    at.require(Part::KeepOnAgenda)?;
    let text = text.trim();
    match text.chars().count() {
        0 => return Err(TeamError::AnswerEmpty),
        n if n > MAX_ACTION_POINT_CHARS => return Err(TeamError::AnswerTooLong),
        _ => {}
    }
    if posted_before >= MAX_POINTS_PER_PARTICIPANT {
        return Err(TeamError::TooManyPoints);
    }
    Ok(text.to_string())
}

/// Checks one more dot; `dots_used` is how many this participant placed before.
pub fn validate_dot(at: At, dots_per_participant: u8, dots_used: u32) -> Result<(), TeamError> {
    at.require(Part::KeepOnAgenda)?;
    if dots_used >= u32::from(dots_per_participant) { Err(TeamError::NoDotsLeft) } else { Ok(()) }
}

/// An action point with its dots, for ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedPoint {
    pub id: i64,
    pub text: String,
    pub level: Level,
    pub dots: u32,
}

/// Most dots first; equal dots keep the order in which they were posted (lower id first).
pub fn rank(mut points: Vec<RankedPoint>) -> Vec<RankedPoint> {
    points.sort_by(|a, b| b.dots.cmp(&a.dots).then(a.id.cmp(&b.id)));
    points
}

/// How many dots a participant has left (never below zero, also when the facilitator lowered the number).
pub fn dots_left(dots_per_participant: u8, dots_used: u32) -> u32 {
    u32::from(dots_per_participant).saturating_sub(dots_used)
}

// ---------------------------------------------------------------------------------------------------------
// Actions: the top action points, turned into work with an owner and a planned date
// ---------------------------------------------------------------------------------------------------------

/// Whether an action is still to be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Open,
    Done,
}

impl ActionState {
    pub const ALL: [ActionState; 2] = [ActionState::Open, ActionState::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Open => "open",
            ActionState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<ActionState> {
        ActionState::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The state after marking the action done; an action is done once.
    pub fn mark_done(self) -> Result<ActionState, TeamError> {
        match self {
            ActionState::Open => Ok(ActionState::Done),
            ActionState::Done => Err(TeamError::ActionAlreadyDone),
        }
    }
}

/// Checks a new action: its text (as for an action point), that the owner is a staff member of the
/// location (`owner_is_staff`, which the caller looks up), and the planned date (`planned`: what was typed,
/// `YYYY-MM-DD` as a date field sends it; not before `today`). Returns the trimmed text and the date.
pub fn validate_action(
    text: &str,
    owner_is_staff: bool,
    planned: &str,
    today: time::Date,
) -> Result<(String, time::Date), TeamError> {
    let text = text.trim();
    match text.chars().count() {
        0 => return Err(TeamError::AnswerEmpty),
        n if n > MAX_ACTION_POINT_CHARS => return Err(TeamError::AnswerTooLong),
        _ => {}
    }
    if !owner_is_staff {
        return Err(TeamError::OwnerNotStaff);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(planned.trim(), &format).map_err(|_| TeamError::DateInvalid)?;
    if date < today {
        return Err(TeamError::PlannedInPast);
    }
    Ok((text.to_string(), date))
}

// ---------------------------------------------------------------------------------------------------------
// Join codes
// ---------------------------------------------------------------------------------------------------------

/// A short code participants type to join: [`JOIN_CODE_LEN`] characters from [`JOIN_CODE_ALPHABET`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JoinCode(String);

impl JoinCode {
    /// Makes a code from random bytes, without bias: bytes at or above the largest multiple of the
    /// alphabet's size are skipped. `None` when the bytes run out first (pass 32 or more to be safe).
    pub fn from_random(bytes: &[u8]) -> Option<JoinCode> {
        let n = JOIN_CODE_ALPHABET.len();
        let limit = 256 - 256 % n;
        let code: String = bytes
            .iter()
            .filter(|&&b| usize::from(b) < limit)
            .take(JOIN_CODE_LEN)
            .map(|&b| char::from(JOIN_CODE_ALPHABET[usize::from(b) % n]))
            .collect();
        (code.len() == JOIN_CODE_LEN).then_some(JoinCode(code))
    }

    /// Reads what a participant typed: case, spaces and dashes do not matter.
    pub fn parse(typed: &str) -> Result<JoinCode, TeamError> {
        let code: String =
            typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if code.len() == JOIN_CODE_LEN && code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)) {
            Ok(JoinCode(code))
        } else {
            Err(TeamError::WrongCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/// Why a session rule refuses; each has a text `team-error-<code>` in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamError {
    WrongCode,
    SessionClosed,
    SessionNotRunning,
    AlreadyRunning,
    PollNotOpen,
    AlreadyAnswered,
    ChoiceOutOfRange,
    AnswerEmpty,
    AnswerTooLong,
    NoDotsLeft,
    TooManyPoints,
    TitleMissing,
    TitleTooLong,
    TextTooLong,
    MinutesOutOfRange,
    NoSuchItem,
    ItemNotOptional,
    ItemNotOwn,
    TooManyItems,
    EmptyAgenda,
    NoNextItem,
    NoPreviousItem,
    DotsOutOfRange,
    NoSuchQuestion,
    NoSuchPoint,
    PointAlreadyPosted,
    PointAlreadyAction,
    OwnerNotStaff,
    DateInvalid,
    PlannedInPast,
    ActionAlreadyDone,
    GroupNameInvalid,
    NoSuchCase,
    NoSuchGroup,
    GroupFull,
    AlreadyInGroup,
    NotInGroup,
    NoSuchStep,
    FieldChanged,
    TooManyGroups,
    DraftEmpty,
    NotConfirmed,
    RouteMapChanged,
    RouteMapInvalid,
    DraftAlreadyApplied,
    /// What a participant sent belongs to another agenda item than the one the session is at.
    NotAtThisItem,
}

impl TeamError {
    pub const ALL: [TeamError; 46] = [
        TeamError::WrongCode,
        TeamError::SessionClosed,
        TeamError::SessionNotRunning,
        TeamError::AlreadyRunning,
        TeamError::PollNotOpen,
        TeamError::AlreadyAnswered,
        TeamError::ChoiceOutOfRange,
        TeamError::AnswerEmpty,
        TeamError::AnswerTooLong,
        TeamError::NoDotsLeft,
        TeamError::TooManyPoints,
        TeamError::TitleMissing,
        TeamError::TitleTooLong,
        TeamError::TextTooLong,
        TeamError::MinutesOutOfRange,
        TeamError::NoSuchItem,
        TeamError::ItemNotOptional,
        TeamError::ItemNotOwn,
        TeamError::TooManyItems,
        TeamError::EmptyAgenda,
        TeamError::NoNextItem,
        TeamError::NoPreviousItem,
        TeamError::DotsOutOfRange,
        TeamError::NoSuchQuestion,
        TeamError::NoSuchPoint,
        TeamError::PointAlreadyPosted,
        TeamError::PointAlreadyAction,
        TeamError::OwnerNotStaff,
        TeamError::DateInvalid,
        TeamError::PlannedInPast,
        TeamError::ActionAlreadyDone,
        TeamError::GroupNameInvalid,
        TeamError::NoSuchCase,
        TeamError::NoSuchGroup,
        TeamError::GroupFull,
        TeamError::AlreadyInGroup,
        TeamError::NotInGroup,
        TeamError::NoSuchStep,
        TeamError::FieldChanged,
        TeamError::TooManyGroups,
        TeamError::DraftEmpty,
        TeamError::NotConfirmed,
        TeamError::RouteMapChanged,
        TeamError::RouteMapInvalid,
        TeamError::DraftAlreadyApplied,
        TeamError::NotAtThisItem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamError::WrongCode => "wrong-code",
            TeamError::SessionClosed => "session-closed",
            TeamError::SessionNotRunning => "session-not-running",
            TeamError::AlreadyRunning => "already-running",
            TeamError::PollNotOpen => "poll-not-open",
            TeamError::AlreadyAnswered => "already-answered",
            TeamError::ChoiceOutOfRange => "choice-out-of-range",
            TeamError::AnswerEmpty => "answer-empty",
            TeamError::AnswerTooLong => "answer-too-long",
            TeamError::NoDotsLeft => "no-dots-left",
            TeamError::TooManyPoints => "too-many-points",
            TeamError::TitleMissing => "title-missing",
            TeamError::TitleTooLong => "title-too-long",
            TeamError::TextTooLong => "text-too-long",
            TeamError::MinutesOutOfRange => "minutes-out-of-range",
            TeamError::NoSuchItem => "no-such-item",
            TeamError::ItemNotOptional => "item-not-optional",
            TeamError::ItemNotOwn => "item-not-own",
            TeamError::TooManyItems => "too-many-items",
            TeamError::EmptyAgenda => "empty-agenda",
            TeamError::NoNextItem => "no-next-item",
            TeamError::NoPreviousItem => "no-previous-item",
            TeamError::DotsOutOfRange => "dots-out-of-range",
            TeamError::NoSuchQuestion => "no-such-question",
            TeamError::NoSuchPoint => "no-such-point",
            TeamError::PointAlreadyPosted => "point-already-posted",
            TeamError::PointAlreadyAction => "point-already-action",
            TeamError::OwnerNotStaff => "owner-not-staff",
            TeamError::DateInvalid => "date-invalid",
            TeamError::PlannedInPast => "planned-in-past",
            TeamError::ActionAlreadyDone => "action-already-done",
            TeamError::GroupNameInvalid => "group-name-invalid",
            TeamError::NoSuchCase => "no-such-case",
            TeamError::NoSuchGroup => "no-such-group",
            TeamError::GroupFull => "group-full",
            TeamError::AlreadyInGroup => "already-in-group",
            TeamError::NotInGroup => "not-in-group",
            TeamError::NoSuchStep => "no-such-step",
            TeamError::FieldChanged => "field-changed",
            TeamError::TooManyGroups => "too-many-groups",
            TeamError::DraftEmpty => "draft-empty",
            TeamError::NotConfirmed => "not-confirmed",
            TeamError::RouteMapChanged => "route-map-changed",
            TeamError::RouteMapInvalid => "route-map-invalid",
            TeamError::DraftAlreadyApplied => "draft-already-applied",
            TeamError::NotAtThisItem => "not-at-this-item",
        }
    }

    pub fn message_key(self) -> String {
        format!("team-error-{}", self.as_str())
    }
}

impl std::fmt::Display for TeamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for TeamError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> SessionPlan {
        standard_plan(&|key| format!("<{key}>"))
    }

    /// The index of the first agenda item of `part`.
    fn item(plan: &SessionPlan, part: Part) -> usize {
        plan.agenda.iter().position(|a| a.part == part).unwrap_or(usize::MAX)
    }

    fn running() -> Phase {
        Phase::Running { current: 0 }
    }

    #[test]
    fn the_template_follows_the_standard_agenda() {
        let plan = plan();
        let minutes: Vec<u16> = plan.agenda.iter().map(|i| i.minutes).collect();
        assert_eq!(minutes, vec![10, 10, 15, 15, 15, 25, 15, 20, 10]);
        assert_eq!(plan.total_minutes(), 135);
        assert_eq!(plan.agenda[0].title, "<team-part-welcome>");
        assert_eq!(plan.agenda[5].instructions, "<team-part-meldcode-cases-instructions>");
        assert!(
            plan.agenda
                .iter()
                .filter(|i| i.optional)
                .all(|i| matches!(i.part, Part::Partners | Part::ThoughtExperiment))
        );
        let kinds: Vec<QuestionKind> = plan.questions.iter().map(|q| q.kind).collect();
        assert_eq!(kinds, STANDARD_QUESTIONS.to_vec());
        for kind in QuestionKind::ALL {
            assert!(kinds.contains(&kind), "{kind:?} missing from the opening poll");
        }
        assert_eq!(plan.goals.len(), GOALS);
        assert_eq!(plan.cases.iter().filter(|c| c.own).count(), 1);
        assert_eq!(plan.cases.len(), FICTIONAL_CASES + 1);
        assert_eq!(plan.worksheet.len(), WORKSHEET_STEPS);
        assert_eq!(plan.invitation, "<team-invitation>");
        assert_eq!(plan.dots_per_participant, DEFAULT_DOTS);
    }

    #[test]
    fn every_template_key_is_a_message_key() {
        let keys = message_keys();
        let used = std::cell::RefCell::new(Vec::new());
        standard_plan(&|key| {
            used.borrow_mut().push(key.to_string());
            String::new()
        });
        for key in used.into_inner() {
            assert!(keys.contains(&key), "{key} is not listed in message_keys");
        }
        let unique: std::collections::BTreeSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "a key is listed twice");
    }

    #[test]
    fn agenda_items_move_and_stay_in_bounds() {
        let mut p = plan();
        p.edit_agenda(AgendaEdit::MoveDown(0)).unwrap();
        assert_eq!(p.agenda[0].part, Part::Introduction);
        assert_eq!(p.agenda[1].part, Part::Welcome);
        p.edit_agenda(AgendaEdit::MoveUp(1)).unwrap();
        assert_eq!(p.agenda[0].part, Part::Welcome);
        let before = p.clone();
        p.edit_agenda(AgendaEdit::MoveUp(0)).unwrap();
        p.edit_agenda(AgendaEdit::MoveDown(8)).unwrap();
        assert_eq!(p, before, "moving past an end changes nothing");
        assert_eq!(p.edit_agenda(AgendaEdit::MoveUp(9)), Err(TeamError::NoSuchItem));
    }

    #[test]
    fn time_boxes_titles_and_texts_are_bounded() {
        let mut p = plan();
        p.edit_agenda(AgendaEdit::SetMinutes(2, 30)).unwrap();
        assert_eq!(p.agenda[2].minutes, 30);
        assert_eq!(p.edit_agenda(AgendaEdit::SetMinutes(2, 0)), Err(TeamError::MinutesOutOfRange));
        assert_eq!(p.edit_agenda(AgendaEdit::SetMinutes(2, 121)), Err(TeamError::MinutesOutOfRange));
        assert_eq!(p.agenda[2].minutes, 30);
        assert_eq!(p.edit_agenda(AgendaEdit::SetTitle(1, "  ".into())), Err(TeamError::TitleMissing));
        assert_eq!(p.edit_agenda(AgendaEdit::SetTitle(1, "x".repeat(121))), Err(TeamError::TitleTooLong));
        p.edit_agenda(AgendaEdit::SetTitle(1, " Kennismaken ".into())).unwrap();
        assert_eq!(p.agenda[1].title, "Kennismaken");
        assert_eq!(
            p.edit_agenda(AgendaEdit::SetInstructions(1, "x".repeat(MAX_TEXT_CHARS + 1))),
            Err(TeamError::TextTooLong)
        );
    }

    #[test]
    fn only_optional_items_are_left_out_and_only_own_items_removed() {
        let mut p = plan();
        let partners = p.agenda.iter().position(|i| i.part == Part::Partners).unwrap();
        p.edit_agenda(AgendaEdit::SetIncluded(partners, false)).unwrap();
        assert_eq!(p.total_minutes(), 120);
        assert!(!p.included_items().contains(&partners));
        assert_eq!(p.edit_agenda(AgendaEdit::SetIncluded(0, false)), Err(TeamError::ItemNotOptional));
        assert_eq!(p.edit_agenda(AgendaEdit::Remove(0)), Err(TeamError::ItemNotOwn));
        p.edit_agenda(AgendaEdit::Add { title: "Pauze".into(), minutes: 5 }).unwrap();
        assert_eq!(p.agenda.last().unwrap().part, Part::Own);
        p.edit_agenda(AgendaEdit::Remove(p.agenda.len() - 1)).unwrap();
        assert_eq!(p.agenda.len(), 9);
        while p.agenda.len() < MAX_AGENDA_ITEMS {
            p.edit_agenda(AgendaEdit::Add { title: "x".into(), minutes: 1 }).unwrap();
        }
        assert_eq!(p.edit_agenda(AgendaEdit::Add { title: "x".into(), minutes: 1 }), Err(TeamError::TooManyItems));
    }

    #[test]
    fn own_case_and_dots() {
        let mut p = plan();
        p.set_own_case("Onze casus".into(), "Een leerling uit groep 6 ...".into()).unwrap();
        assert_eq!(p.cases.iter().filter(|c| c.own).count(), 1);
        assert_eq!(p.cases.last().unwrap().title, "Onze casus");
        assert_eq!(p.set_own_case(String::new(), String::new()), Err(TeamError::TitleMissing));
        assert_eq!(p.set_dots(0), Err(TeamError::DotsOutOfRange));
        assert_eq!(p.set_dots(11), Err(TeamError::DotsOutOfRange));
        p.set_dots(5).unwrap();
        assert_eq!(p.dots_per_participant, 5);
    }

    #[test]
    fn running_walks_the_included_items_and_closes() {
        let mut p = plan();
        p.edit_agenda(AgendaEdit::SetIncluded(4, false)).unwrap(); // thought experiment left out
        assert_eq!(advance(&p, Phase::Draft, Control::Next), Err(TeamError::SessionNotRunning));
        let mut phase = advance(&p, Phase::Draft, Control::Start).unwrap();
        assert_eq!(phase, Phase::Running { current: 0 });
        assert_eq!(advance(&p, phase, Control::Previous), Err(TeamError::NoPreviousItem));
        assert_eq!(advance(&p, phase, Control::Start), Err(TeamError::AlreadyRunning));
        let mut seen = vec![0];
        while let Ok(next) = advance(&p, phase, Control::Next) {
            phase = next;
            if let Phase::Running { current } = phase {
                seen.push(current);
            }
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 5, 6, 7, 8]);
        assert_eq!(advance(&p, phase, Control::Next), Err(TeamError::NoNextItem));
        assert_eq!(advance(&p, phase, Control::Previous), Ok(Phase::Running { current: 7 }));
        let closed = advance(&p, phase, Control::Close).unwrap();
        assert_eq!(closed, Phase::Closed);
        for c in [Control::Start, Control::Next, Control::Previous, Control::Close] {
            assert_eq!(advance(&p, closed, c), Err(TeamError::SessionClosed));
        }
        let mut empty = p.clone();
        empty.agenda.clear();
        assert_eq!(advance(&empty, Phase::Draft, Control::Start), Err(TeamError::EmptyAgenda));
    }

    #[test]
    fn the_run_state_follows_controls_and_polls() {
        let p = plan();
        let s = RunState::new(&p);
        assert_eq!((s.phase, s.polls.len(), s.item_started_at), (Phase::Draft, 5, None));
        assert_eq!(s.poll(0, PollControl::Open), Err(TeamError::SessionNotRunning));
        let s = s.control(&p, Control::Start, 1000).unwrap();
        assert_eq!((s.phase, s.item_started_at), (Phase::Running { current: 0 }, Some(1000)));
        assert_eq!(s.current_item(&p).unwrap().part, Part::Welcome);
        let s = s.poll(2, PollControl::Open).unwrap();
        assert!(s.poll_state(2).open && !s.poll_state(1).open);
        assert_eq!(s.poll(5, PollControl::Open), Err(TeamError::NoSuchQuestion));
        assert_eq!(s.poll_state(9), PollState::default());
        let s = s.control(&p, Control::Next, 1600).unwrap();
        assert_eq!((s.phase, s.item_started_at), (Phase::Running { current: 1 }, Some(1600)));
        assert!(s.poll_state(2).open, "moving on leaves the poll as it was");
        let closed = s.control(&p, Control::Close, 2000).unwrap();
        assert_eq!((closed.phase, closed.item_started_at), (Phase::Closed, None));
        assert!(closed.polls.iter().all(|p| !p.open), "closing closes every poll");
        assert!(closed.current_item(&p).is_none());
        let json = serde_json::to_string(&closed).unwrap();
        assert_eq!(serde_json::from_str::<RunState>(&json).unwrap(), closed);
    }

    #[test]
    fn the_countdown_goes_below_zero_when_over_time() {
        let item = &plan().agenda[0];
        assert_eq!(seconds_left(item, 0), 600);
        assert_eq!(seconds_left(item, 590), 10);
        assert_eq!(seconds_left(item, 660), -60);
    }

    #[test]
    fn polls_open_close_and_show_results_only_while_running() {
        let poll = PollState::default();
        assert!(!poll.open && !poll.results_shown);
        let open = poll.apply(running(), PollControl::Open).unwrap();
        assert!(open.open);
        let shown = open.apply(running(), PollControl::ShowResults).unwrap();
        assert!(shown.open && shown.results_shown);
        let closed = shown.apply(running(), PollControl::Close).unwrap();
        assert!(!closed.open && closed.results_shown);
        assert!(!closed.apply(running(), PollControl::HideResults).unwrap().results_shown);
        assert_eq!(poll.apply(Phase::Draft, PollControl::Open), Err(TeamError::SessionNotRunning));
        assert_eq!(poll.apply(Phase::Closed, PollControl::Open), Err(TeamError::SessionClosed));
    }

    #[test]
    fn answers_fit_their_question_once() {
        let p = plan();
        let open = PollState { open: true, results_shown: false };
        let q = |i: usize| &p.questions[i];
        // 4-point scale: 0..=3
        assert_eq!(validate_answer(running(), q(0), open, false, AnswerValue::Choice(3)), Ok(AnswerValue::Choice(3)));
        assert_eq!(
            validate_answer(running(), q(0), open, false, AnswerValue::Choice(4)),
            Err(TeamError::ChoiceOutOfRange)
        );
        // 0–5 scale: 0..=5
        assert!(validate_answer(running(), q(1), open, false, AnswerValue::Choice(0)).is_ok());
        assert!(validate_answer(running(), q(1), open, false, AnswerValue::Choice(5)).is_ok());
        assert_eq!(
            validate_answer(running(), q(1), open, false, AnswerValue::Choice(6)),
            Err(TeamError::ChoiceOutOfRange)
        );
        // 3-point scale
        assert!(validate_answer(running(), q(4), open, false, AnswerValue::Choice(2)).is_ok());
        assert_eq!(
            validate_answer(running(), q(4), open, false, AnswerValue::Choice(3)),
            Err(TeamError::ChoiceOutOfRange)
        );
        assert_eq!(
            validate_answer(running(), q(4), open, false, AnswerValue::Text("2".into())),
            Err(TeamError::ChoiceOutOfRange)
        );
        // open answers: trimmed, not empty, bounded in characters (not bytes)
        assert_eq!(
            validate_answer(running(), q(2), open, false, AnswerValue::Text("  tijd  ".into())),
            Ok(AnswerValue::Text("tijd".into()))
        );
        assert_eq!(
            validate_answer(running(), q(2), open, false, AnswerValue::Text(" ".into())),
            Err(TeamError::AnswerEmpty)
        );
        assert!(validate_answer(running(), q(2), open, false, AnswerValue::Text("é".repeat(500))).is_ok());
        assert_eq!(
            validate_answer(running(), q(2), open, false, AnswerValue::Text("é".repeat(501))),
            Err(TeamError::AnswerTooLong)
        );
        // once, while open, while running
        assert_eq!(
            validate_answer(running(), q(0), open, true, AnswerValue::Choice(1)),
            Err(TeamError::AlreadyAnswered)
        );
        assert_eq!(
            validate_answer(running(), q(0), PollState::default(), false, AnswerValue::Choice(1)),
            Err(TeamError::PollNotOpen)
        );
        assert_eq!(
            validate_answer(Phase::Closed, q(0), open, false, AnswerValue::Choice(1)),
            Err(TeamError::SessionClosed)
        );
        assert_eq!(check_join(Phase::Closed), Err(TeamError::SessionClosed));
        assert_eq!(check_join(Phase::Draft), Err(TeamError::SessionNotRunning));
        assert_eq!(check_join(running()), Ok(()));
    }

    #[test]
    fn tallies_count_each_answer_in_its_place() {
        let r = tally(
            QuestionKind::Scale4,
            &[AnswerValue::Choice(0), AnswerValue::Choice(3), AnswerValue::Choice(3), AnswerValue::Choice(9)],
        );
        assert_eq!(r.counts, vec![1, 0, 0, 2]);
        assert_eq!(r.answers, 3, "an impossible stored choice is not counted");
        let r = tally(QuestionKind::Open, &[AnswerValue::Text("b".into()), AnswerValue::Text("A".into())]);
        assert_eq!(r.texts, vec!["A", "b"], "alphabetical, not in the order given");
        assert!(r.counts.is_empty());
        assert_eq!(tally(QuestionKind::Scale0To5, &[]).counts, vec![0; 6]);
    }

    #[test]
    fn action_points_and_dots_are_limited() {
        let p = plan();
        let keep = At::of(Phase::Running { current: item(&p, Part::KeepOnAgenda) }, &p);
        assert_eq!(validate_action_point(keep, "  Vaste bespreking  ", 0), Ok("Vaste bespreking".into()));
        assert_eq!(validate_action_point(keep, "", 0), Err(TeamError::AnswerEmpty));
        assert_eq!(validate_action_point(keep, &"x".repeat(201), 0), Err(TeamError::AnswerTooLong));
        assert_eq!(validate_action_point(keep, "x", 10), Err(TeamError::TooManyPoints));
        assert_eq!(validate_action_point(At::of(Phase::Closed, &p), "x", 0), Err(TeamError::SessionClosed));
        assert_eq!(validate_dot(keep, 3, 2), Ok(()));
        assert_eq!(validate_dot(keep, 3, 3), Err(TeamError::NoDotsLeft));
        assert_eq!(validate_dot(At::of(Phase::Draft, &p), 3, 0), Err(TeamError::SessionNotRunning));
    }

    #[test]
    fn points_and_dots_are_taken_only_at_their_agenda_item() {
        let p = plan();
        for (index, a) in p.agenda.iter().enumerate() {
            let at = At::of(Phase::Running { current: index }, &p);
            let expected = if a.part == Part::KeepOnAgenda { Ok(()) } else { Err(TeamError::NotAtThisItem) };
            assert_eq!(validate_action_point(at, "x", 0).map(|_| ()), expected, "{:?}", a.part);
            assert_eq!(validate_dot(at, 3, 0), expected, "{:?}", a.part);
        }
        let beyond = At::of(Phase::Running { current: p.agenda.len() }, &p);
        assert_eq!(beyond.part, None);
        assert_eq!(validate_dot(beyond, 3, 0), Err(TeamError::NotAtThisItem));
        let ranked = rank(vec![
            RankedPoint { id: 1, text: "a".into(), level: Level::Team, dots: 2 },
            RankedPoint { id: 2, text: "b".into(), level: Level::Individual, dots: 5 },
            RankedPoint { id: 3, text: "c".into(), level: Level::Partners, dots: 2 },
        ]);
        assert_eq!(ranked.iter().map(|p| p.id).collect::<Vec<_>>(), vec![2, 1, 3]);
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        assert_eq!(Level::parse("school"), None);
    }

    #[test]
    fn dots_left_never_goes_below_zero() {
        assert_eq!(dots_left(3, 0), 3);
        assert_eq!(dots_left(3, 2), 1);
        assert_eq!(dots_left(3, 3), 0);
        assert_eq!(dots_left(2, 3), 0, "the facilitator lowered the number after voting began");
    }

    #[test]
    fn actions_have_a_text_a_staff_owner_and_a_date_from_today() {
        use time::macros::date;
        let today = date!(2026 - 11 - 22);
        assert_eq!(
            validate_action("  Vaste bespreking  ", true, "2026-12-01", today),
            Ok(("Vaste bespreking".to_string(), date!(2026 - 12 - 01)))
        );
        assert_eq!(validate_action("x", true, " 2026-11-22 ", today).map(|a| a.1), Ok(today), "today is fine");
        assert_eq!(validate_action("x", true, "2026-11-21", today), Err(TeamError::PlannedInPast));
        for bad in ["", "22-11-2026", "2026-13-01", "2026-02-30", "morgen"] {
            assert_eq!(validate_action("x", true, bad, today), Err(TeamError::DateInvalid), "{bad}");
        }
        assert_eq!(validate_action("x", false, "2026-12-01", today), Err(TeamError::OwnerNotStaff));
        assert_eq!(validate_action(" ", true, "2026-12-01", today), Err(TeamError::AnswerEmpty));
        assert_eq!(validate_action(&"é".repeat(200), true, "2026-12-01", today).map(|a| a.0.chars().count()), Ok(200));
        assert_eq!(validate_action(&"é".repeat(201), true, "2026-12-01", today), Err(TeamError::AnswerTooLong));
    }

    #[test]
    fn an_action_is_done_once() {
        assert_eq!(ActionState::Open.mark_done(), Ok(ActionState::Done));
        assert_eq!(ActionState::Done.mark_done(), Err(TeamError::ActionAlreadyDone));
        for state in ActionState::ALL {
            assert_eq!(ActionState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ActionState::parse("busy"), None);
    }

    #[test]
    fn join_codes_use_the_unambiguous_alphabet_without_bias() {
        assert_eq!(JOIN_CODE_ALPHABET.len(), 31);
        for c in b"01ILO" {
            assert!(!JOIN_CODE_ALPHABET.contains(c));
        }
        let code = JoinCode::from_random(&[0, 1, 2, 3, 4, 30]).unwrap();
        assert_eq!(code.as_str(), "ABCDE9");
        // 248..=255 would favour the first eight characters: they are skipped.
        let code = JoinCode::from_random(&[255, 248, 31, 32, 33, 34, 35, 36]).unwrap();
        assert_eq!(code.as_str(), "ABCDEF");
        assert_eq!(JoinCode::from_random(&[250; 40]), None);
        assert_eq!(JoinCode::from_random(&[1, 2, 3]), None);
        // Every byte value maps into the alphabet.
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.chunks(6) {
            if let Some(code) = JoinCode::from_random(chunk) {
                assert!(code.as_str().bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)));
            }
        }
    }

    #[test]
    fn typed_codes_are_forgiving_about_case_and_spacing_only() {
        assert_eq!(JoinCode::parse(" abc-de9 ").unwrap().as_str(), "ABCDE9");
        assert_eq!(JoinCode::parse("ABC DE9").unwrap().as_str(), "ABCDE9");
        assert_eq!(JoinCode::parse("ABCDE"), Err(TeamError::WrongCode));
        assert_eq!(JoinCode::parse("ABCDE99"), Err(TeamError::WrongCode));
        assert_eq!(JoinCode::parse("ABCDE0"), Err(TeamError::WrongCode), "0 is not in the alphabet");
        assert_eq!(JoinCode::parse("ÀBCDE9"), Err(TeamError::WrongCode));
    }

    #[test]
    fn every_error_has_a_distinct_code() {
        let codes: std::collections::BTreeSet<_> = TeamError::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(codes.len(), TeamError::ALL.len());
    }

    #[test]
    fn the_plan_round_trips_through_json() {
        let p = plan();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<SessionPlan>(&json).unwrap(), p);
        let phase = Phase::Running { current: 3 };
        assert_eq!(serde_json::from_str::<Phase>(&serde_json::to_string(&phase).unwrap()).unwrap(), phase);
    }
}
