//! Who may do what inside an organisation: one pure function, [`authorize`], driven by one table, [`POLICY`].
//!
//! Why this exists (issue 4, items 2 and 3; meldcode.md §5): a meldcode dossier holds special-category data
//! about a child. A teacher sees only the dossiers she is involved in, the aandachtsfunctionaris sees her
//! school's, an external partner sees only what was shared with him and only for as long as agreed, an
//! administrator sees no dossier content at all (separation of duties), and the board sees figures, never
//! names. Putting all of that in one readable table means a reviewer can check the whole policy on one screen,
//! and every route of the web layer names one [`Action`] from it.
//!
//! What this module does *not* decide:
//!
//! * Tenancy. The store scopes every query to the actor's organisation, so every [`Resource`] handed to
//!   [`authorize`] is already inside it. This module decides what a person may do *within* the organisation.
//! * The two-person rule for erasure, the meldcode's own rules about entries ([`crate::validate_append`]) and
//!   whether a share is still active (the caller computes [`ShareGrant::active`] with today's date; the domain
//!   has no clock).
//!
//! How to read the table: a row says "these roles may do this action at this [`Scope`]". A person with several
//! grants (one person can hold several roles, issue 4 item 2) gets the union of what each grant allows; a grant
//! without a location covers every location of the organisation. Anything not in the table is denied.
//!
//! [`DenyReason`]s are for the audit log and for explaining a refusal to the person; whether the web layer
//! answers 403 or 404 (so as not to reveal that a dossier exists) is its own choice.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::entry::{EntryBody, EntryKind};
use crate::rules::coded_enum;

// ---------------------------------------------------------------------------------------------------------
// Roles, grants, actors
// ---------------------------------------------------------------------------------------------------------

/// A role within an organisation (meldcode.md §5; issue 4 item 2). Granted per location or organisation-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Leerkracht, mentor, docent, pedagogisch medewerker, gastouder: sees the child daily, records signals,
    /// has the first conversations and stays involved after a report (§5). Sees only her own dossiers.
    Medewerker,
    /// Intern begeleider / zorgcoördinator / ondersteuningscoördinator: advises, consults partners, leads the
    /// weighing (§5). Sees every dossier of her location(s).
    InternBegeleider,
    /// Aandachtsfunctionaris huiselijk geweld en kindermishandeling: the designated lead who guards the process
    /// (§5). Sees every dossier of her location(s); shares, exports and sees who accessed a dossier.
    Aandachtsfunctionaris,
    /// Directeur / bouwcoördinator: must be informed of every report and often decides in step 5 (§5).
    Directeur,
    /// Bevoegd gezag, the board: aggregate figures only, never personal data (issue 4 item 2).
    Bestuur,
    /// Administrator: users, locations, pupils and settings; never dossier content (separation of duties).
    Beheerder,
    /// Jeugdarts, schoolmaatschappelijk werker, wijkteam, ... ("de schil om de school", §5): only dossiers
    /// explicitly shared with him, only the shared entry kinds, only until the share's end date.
    ExternePartner,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 7] = [
        Role::Medewerker,
        Role::InternBegeleider,
        Role::Aandachtsfunctionaris,
        Role::Directeur,
        Role::Bestuur,
        Role::Beheerder,
        Role::ExternePartner,
    ];

    /// The stable snake_case code (database column, serde).
    pub fn code(self) -> &'static str {
        match self {
            Role::Medewerker => "medewerker",
            Role::InternBegeleider => "intern_begeleider",
            Role::Aandachtsfunctionaris => "aandachtsfunctionaris",
            Role::Directeur => "directeur",
            Role::Bestuur => "bestuur",
            Role::Beheerder => "beheerder",
            Role::ExternePartner => "externe_partner",
        }
    }

    /// Parses a code as produced by [`Role::code`].
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One role held by a person, at one location or (`location: None`) at every location of the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    /// `None`: every location of the organisation, including ones created later.
    pub location: Option<i64>,
}

impl Grant {
    /// Whether this grant reaches the resource. An organisation-wide resource is reached only by an
    /// organisation-wide grant; a location-bound one by a grant at that location or an organisation-wide one;
    /// the actor's own account by every grant.
    pub fn covers(&self, resource: &Resource) -> bool {
        match (self.location, resource.location()) {
            (None, _) => true,
            (Some(_), Some(at)) => self.location == Some(at),
            (Some(_), None) => matches!(resource, Resource::OwnAccount),
        }
    }
}

/// The authenticated person asking: the user id and every role grant they hold in this organisation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Actor {
    pub user: i64,
    pub grants: Vec<Grant>,
}

// ---------------------------------------------------------------------------------------------------------
// Resources and actions
// ---------------------------------------------------------------------------------------------------------

/// A dossier shared with *this* actor (an external partner): which entry kinds, and whether the share still
/// holds. `active` is computed by the caller: not revoked and today not past the end date.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShareGrant {
    pub entry_kinds: BTreeSet<EntryKind>,
    pub active: bool,
}

/// What an action is about. Always inside the actor's organisation (the store enforces tenancy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// The organisation as a whole (organisation-wide lists, settings, aggregates).
    Organisation,
    /// One location (school, childcare site).
    Location { location: i64 },
    /// One pupil, at their location.
    Pupil { location: i64 },
    /// One dossier, at its pupil's location.
    Dossier {
        location: i64,
        /// The actor opened the dossier or authored one of its entries.
        involved: bool,
        /// The share of this dossier with the actor, if there is one (active or not).
        share: Option<ShareGrant>,
    },
    /// The actor's own account (password, second factor, API tokens, own task list).
    OwnAccount,
}

impl Resource {
    /// The location the resource belongs to; `None` for the organisation and the own account.
    pub fn location(&self) -> Option<i64> {
        match self {
            Resource::Location { location } | Resource::Pupil { location } | Resource::Dossier { location, .. } => {
                Some(*location)
            }
            Resource::Organisation | Resource::OwnAccount => None,
        }
    }
}

/// Everything a person can do. Every web and API route names exactly one of these (issue 4 item 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// See one's own account (on [`Resource::OwnAccount`]).
    ViewOwnAccount,
    /// Change one's own password, second factor, language (on [`Resource::OwnAccount`]).
    ManageOwnAccount,
    /// List the pupils of a location or the organisation.
    ListPupils,
    /// See one pupil (on [`Resource::Pupil`]).
    ViewPupil,
    /// Create and edit pupils, CSV import (on a location, the organisation or a pupil).
    ManagePupils,
    /// Open a new dossier for a pupil (on [`Resource::Pupil`]).
    OpenDossier,
    /// List dossiers of a location or the organisation; *which* ones is [`dossier_list_scope`].
    ListDossiers,
    /// Read a dossier; *which entries* is [`visible_entry_kinds`].
    ReadDossier,
    /// Append an entry of this kind to a dossier. For a correction use [`authorize_append`].
    AppendEntry(EntryKind),
    /// Share a dossier with an external partner (which kinds, until when).
    ShareDossier,
    /// See who viewed or changed a dossier and when (issue 4 item 7).
    ViewDossierAccessLog,
    /// Export a dossier (e.g. for Veilig Thuis or a transfer).
    ExportDossier,
    /// Take in a dossier exported by another meldroute instance for a pupil who moves here (on the
    /// receiving location).
    ImportDossier,
    /// Erase a dossier, record an erasure request (the two-person rule is [`crate::retention`]).
    EraseDossier,
    /// See which closed dossiers are past the retention period (on a location or the organisation).
    ReviewRetention,
    /// Set the organisation's retention period (on [`Resource::Organisation`]).
    ManageRetention,
    /// Make the summary for a report to Veilig Thuis (HTML, plain text, PDF) of a dossier (issue 7 part 1).
    ReportSummary,
    /// Make the anonymous consultation summary of a dossier (issue 7 part 2).
    AnonymousSummary,
    /// See one's own tasks and deadlines (on [`Resource::OwnAccount`]).
    ViewTasks,
    /// Users and their role grants.
    ManageUsers,
    /// Locations, groups/classes and settings.
    ManageLocations,
    /// The organisation's audit overview.
    ViewAuditLog,
    /// Aggregate figures without personal data.
    ViewAggregates,
    /// Read the route map of a location and print its route card and protocol (on a location).
    ViewRouteMap,
    /// The route map (routekaart): which role acts in which step, which partners (§5).
    EditRouteMap,
    /// Prepare and run a team session (ondersteuningsteam, MDO).
    ManageTeamSession,
    /// See the school action list (the actions agreed in team sessions) of a location; an action's owner
    /// may also mark it done (the handler checks ownership; a facilitator needs [`Action::ManageTeamSession`]).
    ViewTeamActions,
    /// Personal API tokens (on [`Resource::OwnAccount`]).
    ManageApiTokens,
}

impl Action {
    /// The stable code, for the route table and the audit log. Every [`Action::AppendEntry`] has the code
    /// `dossier.append`; the kind is [`Action::entry_kind`].
    pub fn code(self) -> &'static str {
        match self {
            Action::ViewOwnAccount => "account.view",
            Action::ManageOwnAccount => "account.manage",
            Action::ListPupils => "pupil.list",
            Action::ViewPupil => "pupil.view",
            Action::ManagePupils => "pupil.manage",
            Action::OpenDossier => "dossier.open",
            Action::ListDossiers => "dossier.list",
            Action::ReadDossier => "dossier.read",
            Action::AppendEntry(_) => "dossier.append",
            Action::ShareDossier => "dossier.share",
            Action::ViewDossierAccessLog => "dossier.access_log",
            Action::ExportDossier => "dossier.export",
            Action::ImportDossier => "dossier.import",
            Action::EraseDossier => "dossier.erase",
            Action::ReviewRetention => "retention.review",
            Action::ManageRetention => "retention.manage",
            Action::ReportSummary => "dossier.report_summary",
            Action::AnonymousSummary => "dossier.anonymous_summary",
            Action::ViewTasks => "task.view",
            Action::ManageUsers => "user.manage",
            Action::ManageLocations => "location.manage",
            Action::ViewAuditLog => "audit.view",
            Action::ViewAggregates => "aggregate.view",
            Action::ViewRouteMap => "route_map.view",
            Action::EditRouteMap => "route_map.edit",
            Action::ManageTeamSession => "team_session.manage",
            Action::ViewTeamActions => "team_action.view",
            Action::ManageApiTokens => "api_token.manage",
        }
    }

    /// The entry kind of an [`Action::AppendEntry`].
    pub fn entry_kind(self) -> Option<EntryKind> {
        match self {
            Action::AppendEntry(kind) => Some(kind),
            _ => None,
        }
    }

    /// Every action, with [`Action::AppendEntry`] once per entry kind (for route tables and the test matrix).
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::ViewOwnAccount,
            Action::ManageOwnAccount,
            Action::ListPupils,
            Action::ViewPupil,
            Action::ManagePupils,
            Action::OpenDossier,
            Action::ListDossiers,
            Action::ReadDossier,
        ];
        all.extend(EntryKind::ALL.iter().map(|k| Action::AppendEntry(*k)));
        all.extend([
            Action::ShareDossier,
            Action::ViewDossierAccessLog,
            Action::ExportDossier,
            Action::ImportDossier,
            Action::EraseDossier,
            Action::ReviewRetention,
            Action::ManageRetention,
            Action::ReportSummary,
            Action::AnonymousSummary,
            Action::ViewTasks,
            Action::ManageUsers,
            Action::ManageLocations,
            Action::ViewAuditLog,
            Action::ViewAggregates,
            Action::ViewRouteMap,
            Action::EditRouteMap,
            Action::ManageTeamSession,
            Action::ViewTeamActions,
            Action::ManageApiTokens,
        ]);
        all
    }

    /// Whether the action reads or writes dossier content (or reveals which dossiers exist). The board and the
    /// administrator never get these (issue 4 item 2); used to give them a precise deny reason.
    pub fn touches_dossier_content(self) -> bool {
        matches!(
            self,
            Action::OpenDossier
                | Action::ListDossiers
                | Action::ReadDossier
                | Action::AppendEntry(_)
                | Action::ShareDossier
                | Action::ViewDossierAccessLog
                | Action::ExportDossier
                | Action::ImportDossier
                | Action::EraseDossier
                | Action::ReviewRetention
                | Action::ReportSummary
                | Action::AnonymousSummary
        )
    }

    /// Whether the action makes sense on this kind of resource. A mismatch is a programming error in the
    /// caller and is denied, so a wrong resource can never widen access.
    fn fits(self, resource: &Resource) -> bool {
        use Resource as R;
        match self {
            Action::ViewOwnAccount | Action::ManageOwnAccount | Action::ManageApiTokens | Action::ViewTasks => {
                matches!(resource, R::OwnAccount)
            }
            Action::ListPupils
            | Action::ListDossiers
            | Action::ManageUsers
            | Action::ManageLocations
            | Action::ViewAuditLog
            | Action::ViewAggregates
            | Action::ViewRouteMap
            | Action::EditRouteMap
            | Action::ManageTeamSession
            | Action::ViewTeamActions
            | Action::ReviewRetention
            | Action::ImportDossier => matches!(resource, R::Organisation | R::Location { .. }),
            Action::ManageRetention => matches!(resource, R::Organisation),
            Action::ManagePupils => matches!(resource, R::Organisation | R::Location { .. } | R::Pupil { .. }),
            Action::ViewPupil | Action::OpenDossier => matches!(resource, R::Pupil { .. }),
            Action::ReadDossier
            | Action::AppendEntry(_)
            | Action::ShareDossier
            | Action::ViewDossierAccessLog
            | Action::ExportDossier
            | Action::EraseDossier
            | Action::ReportSummary
            | Action::AnonymousSummary => matches!(resource, R::Dossier { .. }),
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::AppendEntry(kind) => write!(f, "{}:{}", self.code(), kind),
            _ => f.write_str(self.code()),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------------------

coded_enum! {
    /// Why an action was refused. Stable codes; the texts are in `locales/{nl,en}/domain.ftl` under
    /// `deny-<code>`.
    pub enum DenyReason {
        /// The person holds no role in this organisation.
        NoRole => "no_role",
        /// None of the person's grants covers this location (or, for the organisation, none is organisation-wide).
        NotYourLocation => "not_your_location",
        /// A medewerker sees and writes only dossiers she is involved in (opened or wrote in).
        NotInvolved => "not_involved",
        /// The administrator never reads or writes dossier content (separation of duties).
        AdminNoContent => "admin_no_content",
        /// The board sees aggregate figures only.
        BoardAggregatesOnly => "board_aggregates_only",
        /// The dossier was not shared with this external partner.
        PartnerNotShared => "partner_not_shared",
        /// The share was revoked or is past its end date.
        PartnerShareExpired => "partner_share_expired",
        /// The share holds no entry kinds, so there is nothing to read.
        PartnerKindNotShared => "partner_kind_not_shared",
        /// An external partner reads shared dossiers; he never writes in them.
        PartnerReadOnly => "partner_read_only",
        /// This role may not record this kind of entry (e.g. a medewerker and a decision).
        RoleCannotRecordKind => "role_cannot_record_kind",
        /// None of the person's roles allows this action.
        RoleNotPermitted => "role_not_permitted",
        /// The action does not apply to this kind of resource (a programming error in the caller).
        WrongResource => "wrong_resource",
    }
}

impl DenyReason {
    /// The stable code (same as `as_str`).
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// The Fluent key of the explanation, e.g. `deny-not_involved`.
    pub fn message_key(self) -> String {
        format!("deny-{}", self.as_str())
    }
}

/// The outcome of [`authorize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }

    /// `Ok(())` or `Err(reason)`, for `?` in handlers.
    pub fn into_result(self) -> Result<(), DenyReason> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(reason),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The policy table
// ---------------------------------------------------------------------------------------------------------

/// How far a rule reaches, on top of "the grant covers the resource" ([`Grant::covers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every authenticated person, with or without a grant (their own account).
    Anyone,
    /// A grant of the role that covers the resource: the location (or every location for an
    /// organisation-wide grant). The organisation as a whole needs an organisation-wide grant.
    Location,
    /// As `Location`, and the person is involved in the dossier (opened it or wrote in it).
    Involved,
    /// As `Location`, and the dossier is shared with the person: the share is active and holds at least one
    /// entry kind.
    Shared,
}

/// Which actions a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acts {
    /// One action.
    One(Action),
    /// Recording entries of these kinds ([`Action::AppendEntry`]).
    Record(&'static [EntryKind]),
}

impl Acts {
    fn matches(self, action: Action) -> bool {
        match self {
            Acts::One(a) => a == action,
            Acts::Record(kinds) => matches!(action, Action::AppendEntry(k) if kinds.contains(&k)),
        }
    }
}

/// One row of [`POLICY`]: these roles may do these actions at this scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub acts: Acts,
    pub scope: Scope,
    /// Ignored for [`Scope::Anyone`].
    pub roles: &'static [Role],
}

use Action as A;
use EntryKind as K;
use Role as R;

/// No role needed: every authenticated person.
const ANYONE: &[Role] = &[];
/// The roles that work with dossiers at their location.
const STAFF: &[Role] = &[R::Medewerker, R::InternBegeleider, R::Aandachtsfunctionaris, R::Directeur];
/// The roles that see and write every dossier of their location(s) (§5: IB-er, aandachtsfunctionaris,
/// directeur lead the weighing and the decision).
const CARE: &[Role] = &[R::InternBegeleider, R::Aandachtsfunctionaris, R::Directeur];
/// The roles that may hold a dossier in view (staff at the location, partners what is shared).
const DOSSIER_ROLES: &[Role] =
    &[R::Medewerker, R::InternBegeleider, R::Aandachtsfunctionaris, R::Directeur, R::ExternePartner];
/// Staff, and the administrator for the pupil administration (names, groups; no dossiers).
const PUPIL_LISTERS: &[Role] =
    &[R::Medewerker, R::InternBegeleider, R::Aandachtsfunctionaris, R::Directeur, R::Beheerder];
/// The roles that guard the process: sharing, access log, export, erasure.
const LEADS: &[Role] = &[R::Aandachtsfunctionaris, R::Directeur];

/// What a medewerker records (§6 steps 1–3 and follow-up): signals, consultations, conversations, the
/// Kindcheck, a disclosure, evaluations, attachments (a scan of a conversation report, a photo of a
/// drawing: documents of what she records anyway), and corrections of these. The weighing, the afwegingskader, the
/// decision, the report and everything after it are for [`CARE`].
pub const MEDEWERKER_ENTRY_KINDS: &[EntryKind] = &[
    K::Observation,
    K::Consultation,
    K::Conversation,
    K::Kindcheck,
    K::Disclosure,
    K::Evaluation,
    K::Attachment,
    K::Correction,
];

const fn rule(action: Action, scope: Scope, roles: &'static [Role]) -> Rule {
    Rule { acts: Acts::One(action), scope, roles }
}

const fn record(kinds: &'static [EntryKind], scope: Scope, roles: &'static [Role]) -> Rule {
    Rule { acts: Acts::Record(kinds), scope, roles }
}

/// THE policy (issue 4 items 2 and 3, meldcode.md §5). Anything not listed is denied.
pub const POLICY: &[Rule] = &[
    // ---- one's own account: every authenticated person ----
    rule(A::ViewOwnAccount, Scope::Anyone, ANYONE),
    rule(A::ManageOwnAccount, Scope::Anyone, ANYONE),
    rule(A::ManageApiTokens, Scope::Anyone, ANYONE),
    // ---- tasks: everyone with a dossier role; the list is filtered by dossier_list_scope ----
    rule(A::ViewTasks, Scope::Location, DOSSIER_ROLES),
    // ---- pupils: staff to open dossiers; the administrator for administration (names, no dossiers) ----
    rule(A::ListPupils, Scope::Location, PUPIL_LISTERS),
    rule(A::ViewPupil, Scope::Location, STAFF),
    rule(A::ManagePupils, Scope::Location, &[R::Beheerder]),
    // ---- dossiers: a medewerker her own, IB/AF/directeur all at their location, a partner what is shared ----
    rule(A::OpenDossier, Scope::Location, STAFF),
    rule(A::ListDossiers, Scope::Location, DOSSIER_ROLES),
    rule(A::ReadDossier, Scope::Involved, &[R::Medewerker]),
    rule(A::ReadDossier, Scope::Location, CARE),
    rule(A::ReadDossier, Scope::Shared, &[R::ExternePartner]),
    record(MEDEWERKER_ENTRY_KINDS, Scope::Involved, &[R::Medewerker]),
    record(EntryKind::ALL, Scope::Location, CARE),
    // ---- guarding the dossier: the aandachtsfunctionaris and the directeur ----
    rule(A::ShareDossier, Scope::Location, LEADS),
    rule(A::ViewDossierAccessLog, Scope::Location, LEADS),
    rule(A::ExportDossier, Scope::Location, LEADS),
    rule(A::EraseDossier, Scope::Location, LEADS),
    // Retention: the leads review what is due at their location(s). The period is an organisation-wide
    // decision (the bevoegd gezag's): set by a directeur with an organisation-wide grant or entered by the
    // administrator, who manages the organisation's settings and sees no content by setting a number.
    rule(A::ReviewRetention, Scope::Location, LEADS),
    rule(A::ManageRetention, Scope::Location, &[R::Directeur, R::Beheerder]),
    // The receiving aandachtsfunctionaris takes in a transferred dossier (issue 7).
    rule(A::ImportDossier, Scope::Location, &[R::Aandachtsfunctionaris]),
    // ---- summaries (issue 7): the report summary for Veilig Thuis is made by the care roles, because the
    //      intern begeleider often prepares or makes the report (the decision names the reporter) and records
    //      the report entry itself; the anonymous consultation summary by everyone who may read the whole
    //      dossier, because consulting (step 2) is open to the involved teacher too. Not the external partner:
    //      a summary draws on every entry kind, more than a share shows. ----
    rule(A::ReportSummary, Scope::Location, CARE),
    rule(A::AnonymousSummary, Scope::Involved, &[R::Medewerker]),
    rule(A::AnonymousSummary, Scope::Location, CARE),
    // ---- the school's way of working ----
    rule(A::ManageTeamSession, Scope::Location, CARE),
    // Every staff member may own an action agreed in a team session, so every staff member sees the list.
    rule(A::ViewTeamActions, Scope::Location, STAFF),
    rule(A::ViewRouteMap, Scope::Location, PUPIL_LISTERS),
    rule(A::EditRouteMap, Scope::Location, &[R::Aandachtsfunctionaris, R::Beheerder]),
    // ---- administration: users and settings, never dossier content ----
    rule(A::ManageUsers, Scope::Location, &[R::Beheerder]),
    rule(A::ManageLocations, Scope::Location, &[R::Beheerder]),
    rule(A::ViewAuditLog, Scope::Location, &[R::Beheerder]),
    // ---- the board: figures only ----
    rule(A::ViewAggregates, Scope::Location, &[R::Bestuur]),
];

/// Whether the rule's extra condition ([`Scope`]) holds for the resource.
fn condition_holds(scope: Scope, resource: &Resource) -> bool {
    match scope {
        Scope::Anyone | Scope::Location => true,
        Scope::Involved => matches!(resource, Resource::Dossier { involved: true, .. }),
        Scope::Shared => matches!(
            resource,
            Resource::Dossier { share: Some(share), .. } if share.active && !share.entry_kinds.is_empty()
        ),
    }
}

/// Whether one grant satisfies one rule for this resource.
fn grant_satisfies(grant: &Grant, rule: &Rule, resource: &Resource) -> bool {
    rule.roles.contains(&grant.role) && grant.covers(resource) && condition_holds(rule.scope, resource)
}

/// The rows of [`POLICY`] that name `action`, in the table's order. Grouped once, on first use, so that a
/// check reads only its own rows (a page asks twenty-odd questions, most of them about one entry kind each).
fn rules_for(action: Action) -> &'static [&'static Rule] {
    use std::collections::BTreeMap;
    use std::sync::LazyLock;
    static BY_ACTION: LazyLock<BTreeMap<Action, Vec<&'static Rule>>> = LazyLock::new(|| {
        let mut by_action: BTreeMap<Action, Vec<&'static Rule>> = BTreeMap::new();
        for rule in POLICY {
            match rule.acts {
                Acts::One(action) => by_action.entry(action).or_default().push(rule),
                Acts::Record(kinds) => {
                    for kind in kinds {
                        by_action.entry(Action::AppendEntry(*kind)).or_default().push(rule);
                    }
                }
            }
        }
        by_action
    });
    BY_ACTION.get(&action).map_or(&[], Vec::as_slice)
}

/// The rules for this action that allow it to this actor on this resource.
fn allowing_rules<'a>(
    actor: &'a Actor,
    action: Action,
    resource: &'a Resource,
) -> impl Iterator<Item = &'static Rule> + 'a {
    rules_for(action).iter().copied().filter(move |rule| {
        rule.scope == Scope::Anyone || actor.grants.iter().any(|g| grant_satisfies(g, rule, resource))
    })
}

/// May this person do this action on this resource? Allowed when at least one grant satisfies at least one
/// row of [`POLICY`] (so several roles give the union, and adding a grant never takes anything away);
/// otherwise denied with the most helpful reason.
pub fn authorize(actor: &Actor, action: Action, resource: &Resource) -> Decision {
    if !action.fits(resource) {
        return Decision::Deny(DenyReason::WrongResource);
    }
    if allowing_rules(actor, action, resource).next().is_some() {
        return Decision::Allow;
    }
    Decision::Deny(deny_reason(actor, action, resource))
}

/// Why nothing allowed it: first the near misses (a rule for one of the person's roles here whose condition
/// failed), then what the role is for.
fn deny_reason(actor: &Actor, action: Action, resource: &Resource) -> DenyReason {
    if actor.grants.is_empty() {
        return DenyReason::NoRole;
    }
    let here: BTreeSet<Role> = actor.grants.iter().filter(|g| g.covers(resource)).map(|g| g.role).collect();
    if here.is_empty() {
        return DenyReason::NotYourLocation;
    }
    let near_miss = POLICY
        .iter()
        .filter(|rule| rule.acts.matches(action) && rule.roles.iter().any(|r| here.contains(r)))
        .find_map(|rule| match (rule.scope, resource) {
            (Scope::Involved, _) => Some(DenyReason::NotInvolved),
            (Scope::Shared, Resource::Dossier { share: None, .. }) => Some(DenyReason::PartnerNotShared),
            (Scope::Shared, Resource::Dossier { share: Some(share), .. }) if !share.active => {
                Some(DenyReason::PartnerShareExpired)
            }
            (Scope::Shared, _) => Some(DenyReason::PartnerKindNotShared),
            (Scope::Anyone | Scope::Location, _) => None,
        });
    if let Some(reason) = near_miss {
        return reason;
    }
    if action.touches_dossier_content() && here.contains(&Role::Beheerder) {
        DenyReason::AdminNoContent
    } else if here.contains(&Role::Bestuur) {
        DenyReason::BoardAggregatesOnly
    } else if matches!(action, Action::AppendEntry(_)) && here.contains(&Role::ExternePartner) {
        DenyReason::PartnerReadOnly
    } else if matches!(action, Action::AppendEntry(_)) && here.iter().any(|r| STAFF.contains(r)) {
        DenyReason::RoleCannotRecordKind
    } else {
        DenyReason::RoleNotPermitted
    }
}

/// May this person append this entry? As [`authorize`] with [`Action::AppendEntry`], and for a
/// [`EntryBody::Correction`] also for the kind it corrects: correcting a decision is recording a decision
/// again, so a medewerker cannot rewrite what only the care roles may record.
pub fn authorize_append(actor: &Actor, body: &EntryBody, resource: &Resource) -> Decision {
    let first = authorize(actor, Action::AppendEntry(body.kind()), resource);
    match (first, body) {
        (Decision::Allow, EntryBody::Correction(correction)) => {
            authorize(actor, Action::AppendEntry(correction.corrected.kind()), resource)
        }
        _ => first,
    }
}

// ---------------------------------------------------------------------------------------------------------
// What a read or a list shows
// ---------------------------------------------------------------------------------------------------------

/// Which entries of a dossier a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKindFilter {
    /// The whole chronology.
    All,
    /// Only entries of these kinds (never empty).
    Only(BTreeSet<EntryKind>),
    /// Nothing.
    None,
}

impl EntryKindFilter {
    pub fn allows(&self, kind: EntryKind) -> bool {
        match self {
            EntryKindFilter::All => true,
            EntryKindFilter::Only(kinds) => kinds.contains(&kind),
            EntryKindFilter::None => false,
        }
    }
}

/// The entry kinds this person sees when reading this dossier, derived from the [`Action::ReadDossier`] rows
/// of [`POLICY`]: everything for the roles that may read the dossier as a whole, only the shared kinds of an
/// active share for an external partner (issue 4 item 2), nothing otherwise (and for every other resource).
pub fn visible_entry_kinds(actor: &Actor, resource: &Resource) -> EntryKindFilter {
    let Resource::Dossier { share, .. } = resource else {
        return EntryKindFilter::None;
    };
    let mut shared = false;
    for rule in allowing_rules(actor, Action::ReadDossier, resource) {
        match rule.scope {
            Scope::Shared => shared = true,
            Scope::Anyone | Scope::Location | Scope::Involved => return EntryKindFilter::All,
        }
    }
    match share {
        Some(share) if shared => EntryKindFilter::Only(share.entry_kinds.clone()),
        _ => EntryKindFilter::None,
    }
}

/// Which dossiers of a location a listing (dossier list, task list, search) may return for this person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListScope {
    /// Every dossier of the location.
    AllAtLocation,
    /// Only dossiers the person opened or wrote in.
    InvolvedOnly,
    /// Only dossiers with an active share with the person (and at least one shared kind).
    SharedOnly,
    /// Both of the above (a person who is medewerker and external partner at the same location).
    InvolvedOrShared,
    /// None.
    Nothing,
}

/// The listing scope at a location, derived from the [`Action::ReadDossier`] rows of [`POLICY`] so that a
/// list never shows a dossier that [`authorize`] would refuse to open.
pub fn dossier_list_scope(actor: &Actor, location: i64) -> ListScope {
    let at = Resource::Location { location };
    let (mut all, mut involved, mut shared) = (false, false, false);
    for rule in POLICY.iter().filter(|r| r.acts.matches(Action::ReadDossier)) {
        if actor.grants.iter().any(|g| rule.roles.contains(&g.role) && g.covers(&at)) {
            match rule.scope {
                Scope::Anyone | Scope::Location => all = true,
                Scope::Involved => involved = true,
                Scope::Shared => shared = true,
            }
        }
    }
    match (all, involved, shared) {
        (true, _, _) => ListScope::AllAtLocation,
        (false, true, true) => ListScope::InvolvedOrShared,
        (false, true, false) => ListScope::InvolvedOnly,
        (false, false, true) => ListScope::SharedOnly,
        (false, false, false) => ListScope::Nothing,
    }
}

/// Whether the person must pass a second factor (TOTP) before anything else. Issue 4 item 4 asks it for every
/// role that can read dossier content; we decided to require it for every account, including the board and
/// the administrator (who manage who reads dossiers) and partners. Kept as a function so the rule lives in
/// one place.
pub fn requires_second_factor(_actor: &Actor) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_rows_grouped_by_action_are_the_rows_that_name_it_in_table_order() {
        let mut actions: BTreeSet<Action> = EntryKind::ALL.iter().map(|k| Action::AppendEntry(*k)).collect();
        actions.extend(POLICY.iter().filter_map(|rule| match rule.acts {
            Acts::One(action) => Some(action),
            Acts::Record(_) => None,
        }));
        for action in actions {
            let naive: Vec<Rule> = POLICY.iter().filter(|rule| rule.acts.matches(action)).copied().collect();
            let grouped: Vec<Rule> = rules_for(action).iter().map(|r| **r).collect();
            assert_eq!(grouped, naive, "{action:?}");
        }
        assert!(rules_for(Action::ViewAggregates).len() == 1);
    }

    // -----------------------------------------------------------------------------------------------------
    // The expected policy, written independently of POLICY as plain data.
    //
    // Columns: action, what it applies to, then one cell per role in Role::ALL order
    // (medewerker, intern_begeleider, aandachtsfunctionaris, directeur, bestuur, beheerder, externe_partner).
    // Targets: own = own account; place = organisation or location; pupil; dossier; place|pupil.
    // Cells: - never; any = every authenticated person; loc = a grant covering the resource;
    //        inv = loc and involved in the dossier; shr = loc and an active share with at least one kind.
    // -----------------------------------------------------------------------------------------------------
    const EXPECTED: &str = "
        account.view                    own          any any any any any any any
        account.manage                  own          any any any any any any any
        api_token.manage                own          any any any any any any any
        task.view                       own          loc loc loc loc -   -   loc
        pupil.list                      place        loc loc loc loc -   loc -
        pupil.view                      pupil        loc loc loc loc -   -   -
        pupil.manage                    place|pupil  -   -   -   -   -   loc -
        dossier.open                    pupil        loc loc loc loc -   -   -
        dossier.list                    place        loc loc loc loc -   -   loc
        dossier.read                    dossier      inv loc loc loc -   -   shr
        dossier.append:observation      dossier      inv loc loc loc -   -   -
        dossier.append:consultation     dossier      inv loc loc loc -   -   -
        dossier.append:conversation     dossier      inv loc loc loc -   -   -
        dossier.append:kindcheck        dossier      inv loc loc loc -   -   -
        dossier.append:disclosure       dossier      inv loc loc loc -   -   -
        dossier.append:evaluation       dossier      inv loc loc loc -   -   -
        dossier.append:correction       dossier      inv loc loc loc -   -   -
        dossier.append:attachment       dossier      inv loc loc loc -   -   -
        dossier.append:weighing         dossier      -   loc loc loc -   -   -
        dossier.append:assessment_answer dossier     -   loc loc loc -   -   -
        dossier.append:decision         dossier      -   loc loc loc -   -   -
        dossier.append:report           dossier      -   loc loc loc -   -   -
        dossier.append:veilig_thuis_feedback dossier -   loc loc loc -   -   -
        dossier.append:help_plan        dossier      -   loc loc loc -   -   -
        dossier.append:closing          dossier      -   loc loc loc -   -   -
        dossier.append:reopening        dossier      -   loc loc loc -   -   -
        dossier.share                   dossier      -   -   loc loc -   -   -
        dossier.access_log              dossier      -   -   loc loc -   -   -
        dossier.export                  dossier      -   -   loc loc -   -   -
        dossier.erase                   dossier      -   -   loc loc -   -   -
        retention.review                place        -   -   loc loc -   -   -
        retention.manage                org          -   -   -   loc -   loc -
        dossier.import                  place        -   -   loc -   -   -   -
        dossier.report_summary          dossier      -   loc loc loc -   -   -
        dossier.anonymous_summary       dossier      inv loc loc loc -   -   -
        team_session.manage             place        -   loc loc loc -   -   -
        team_action.view                place        loc loc loc loc -   -   -
        route_map.view                  place        loc loc loc loc -   loc -
        route_map.edit                  place        -   -   loc -   -   loc -
        user.manage                     place        -   -   -   -   -   loc -
        location.manage                 place        -   -   -   -   -   loc -
        audit.view                      place        -   -   -   -   -   loc -
        aggregate.view                  place        -   -   -   -   loc -   -
    ";

    struct Row {
        target: String,
        cells: Vec<String>,
    }

    fn expected() -> std::collections::BTreeMap<String, Row> {
        EXPECTED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(cols.len(), 2 + Role::ALL.len(), "{l}");
                (
                    cols[0].to_string(),
                    Row { target: cols[1].to_string(), cells: cols[2..].iter().map(|c| c.to_string()).collect() },
                )
            })
            .collect()
    }

    const HERE: i64 = 1;
    const ELSEWHERE: i64 = 2;

    fn kinds(list: &[EntryKind]) -> BTreeSet<EntryKind> {
        list.iter().copied().collect()
    }

    /// Every resource variant the matrix runs over; dossiers and pupils are at location HERE.
    fn resources() -> Vec<(&'static str, Resource)> {
        let dossier = |involved, share| Resource::Dossier { location: HERE, involved, share };
        let mut out = vec![
            ("organisation", Resource::Organisation),
            ("location", Resource::Location { location: HERE }),
            ("pupil", Resource::Pupil { location: HERE }),
            ("own", Resource::OwnAccount),
        ];
        for involved in [false, true] {
            out.push(("dossier, no share", dossier(involved, None)));
            out.push((
                "dossier, active share with kinds",
                dossier(
                    involved,
                    Some(ShareGrant { entry_kinds: kinds(&[K::Observation, K::HelpPlan]), active: true }),
                ),
            ));
            out.push((
                "dossier, active share with other kinds",
                dossier(involved, Some(ShareGrant { entry_kinds: kinds(&[K::Evaluation]), active: true })),
            ));
            out.push((
                "dossier, active share without kinds",
                dossier(involved, Some(ShareGrant { entry_kinds: BTreeSet::new(), active: true })),
            ));
            out.push((
                "dossier, expired share",
                dossier(involved, Some(ShareGrant { entry_kinds: kinds(&[K::Observation]), active: false })),
            ));
        }
        out
    }

    fn target_matches(target: &str, resource: &Resource) -> bool {
        target.split('|').any(|t| match t {
            "own" => matches!(resource, Resource::OwnAccount),
            "place" => matches!(resource, Resource::Organisation | Resource::Location { .. }),
            "org" => matches!(resource, Resource::Organisation),
            "pupil" => matches!(resource, Resource::Pupil { .. }),
            "dossier" => matches!(resource, Resource::Dossier { .. }),
            other => panic!("unknown target {other}"),
        })
    }

    /// The expectation for one grant (or none), written without the implementation's helpers.
    fn expect(row: &Row, role_index: usize, grant_location: Option<Option<i64>>, resource: &Resource) -> Decision {
        if !target_matches(&row.target, resource) {
            return Decision::Deny(DenyReason::WrongResource);
        }
        let cell = row.cells[role_index].as_str();
        if cell == "any" {
            return Decision::Allow;
        }
        let Some(grant_location) = grant_location else {
            return Decision::Deny(DenyReason::NoRole);
        };
        let reaches = match (grant_location, resource) {
            (None, _) => true,
            (Some(_), Resource::OwnAccount) => true,
            (Some(_), Resource::Organisation) => false,
            (
                Some(l),
                Resource::Location { location } | Resource::Pupil { location } | Resource::Dossier { location, .. },
            ) => l == *location,
        };
        if !reaches {
            return Decision::Deny(DenyReason::NotYourLocation);
        }
        match (cell, resource) {
            ("loc", _) => Decision::Allow,
            ("inv", Resource::Dossier { involved: true, .. }) => Decision::Allow,
            ("inv", _) => Decision::Deny(DenyReason::NotInvolved),
            ("shr", Resource::Dossier { share: None, .. }) => Decision::Deny(DenyReason::PartnerNotShared),
            ("shr", Resource::Dossier { share: Some(s), .. }) if !s.active => {
                Decision::Deny(DenyReason::PartnerShareExpired)
            }
            ("shr", Resource::Dossier { share: Some(s), .. }) if s.entry_kinds.is_empty() => {
                Decision::Deny(DenyReason::PartnerKindNotShared)
            }
            ("shr", Resource::Dossier { .. }) => Decision::Allow,
            ("-", _) => Decision::Deny(DenyReason::RoleNotPermitted), // reason checked separately below
            (other, _) => panic!("unknown cell {other}"),
        }
    }

    fn actor(grants: &[Grant]) -> Actor {
        Actor { user: 7, grants: grants.to_vec() }
    }

    fn action_key(action: Action) -> String {
        action.to_string()
    }

    #[test]
    fn every_action_is_in_the_expected_table_and_vice_versa() {
        let table = expected();
        let actions: BTreeSet<String> = Action::all().into_iter().map(action_key).collect();
        let listed: BTreeSet<String> = table.keys().cloned().collect();
        assert_eq!(actions, listed);
        assert_eq!(Action::all().len(), actions.len(), "no duplicates in Action::all()");
    }

    #[test]
    fn matrix_role_by_action_by_resource_matches_the_expected_table() {
        let table = expected();
        let mut checked = 0;
        for (role_index, role) in Role::ALL.into_iter().enumerate() {
            for grant_location in [Some(HERE), Some(ELSEWHERE), None] {
                let a = actor(&[Grant { role, location: grant_location }]);
                for action in Action::all() {
                    let row = &table[&action_key(action)];
                    for (label, resource) in resources() {
                        let want = expect(row, role_index, Some(grant_location), &resource);
                        let got = authorize(&a, action, &resource);
                        let context = format!("{role} grant {grant_location:?}, {action} on {label} ({resource:?})");
                        match want {
                            Decision::Deny(DenyReason::RoleNotPermitted) => {
                                assert!(!got.is_allowed(), "{context}: expected deny, got {got:?}")
                            }
                            want => assert_eq!(got, want, "{context}"),
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, Role::ALL.len() * 3 * Action::all().len() * resources().len());
    }

    #[test]
    fn matrix_without_any_grant() {
        let table = expected();
        let nobody = actor(&[]);
        for action in Action::all() {
            let row = &table[&action_key(action)];
            for (label, resource) in resources() {
                // The "any" cells are the same for every role; column 0 stands for all of them.
                assert_eq!(
                    authorize(&nobody, action, &resource),
                    expect(row, 0, None, &resource),
                    "{action} on {label}"
                );
            }
        }
    }

    #[test]
    fn deny_reasons_say_what_the_role_is_for() {
        let dossier = Resource::Dossier { location: HERE, involved: true, share: None };
        let at = |role| actor(&[Grant { role, location: None }]);
        assert_eq!(authorize(&at(R::Beheerder), A::ReadDossier, &dossier), Decision::Deny(DenyReason::AdminNoContent));
        assert_eq!(
            authorize(&at(R::Beheerder), A::AppendEntry(K::Observation), &dossier),
            Decision::Deny(DenyReason::AdminNoContent)
        );
        assert_eq!(
            authorize(&at(R::Bestuur), A::ReadDossier, &dossier),
            Decision::Deny(DenyReason::BoardAggregatesOnly)
        );
        assert_eq!(
            authorize(&at(R::Bestuur), A::ListPupils, &Resource::Organisation),
            Decision::Deny(DenyReason::BoardAggregatesOnly)
        );
        assert_eq!(
            authorize(&at(R::Medewerker), A::AppendEntry(K::Decision), &dossier),
            Decision::Deny(DenyReason::RoleCannotRecordKind)
        );
        let shared = Resource::Dossier {
            location: HERE,
            involved: false,
            share: Some(ShareGrant { entry_kinds: kinds(&[K::Observation]), active: true }),
        };
        assert_eq!(
            authorize(&at(R::ExternePartner), A::AppendEntry(K::Observation), &shared),
            Decision::Deny(DenyReason::PartnerReadOnly)
        );
        assert_eq!(
            authorize(&at(R::Medewerker), A::ShareDossier, &dossier),
            Decision::Deny(DenyReason::RoleNotPermitted)
        );
        // A near miss wins: a medewerker who is also administrator hears that she is not involved.
        let both =
            actor(&[Grant { role: R::Medewerker, location: Some(HERE) }, Grant { role: R::Beheerder, location: None }]);
        let not_involved = Resource::Dossier { location: HERE, involved: false, share: None };
        assert_eq!(authorize(&both, A::ReadDossier, &not_involved), Decision::Deny(DenyReason::NotInvolved));
    }

    #[test]
    fn several_grants_give_the_union() {
        let a = actor(&[
            Grant { role: R::Medewerker, location: Some(HERE) },
            Grant { role: R::Aandachtsfunctionaris, location: Some(ELSEWHERE) },
        ]);
        let here = Resource::Dossier { location: HERE, involved: false, share: None };
        let there = Resource::Dossier { location: ELSEWHERE, involved: false, share: None };
        assert_eq!(authorize(&a, A::ReadDossier, &here), Decision::Deny(DenyReason::NotInvolved));
        assert_eq!(authorize(&a, A::ReadDossier, &there), Decision::Allow);
        assert_eq!(authorize(&a, A::ExportDossier, &there), Decision::Allow);
        assert_eq!(dossier_list_scope(&a, HERE), ListScope::InvolvedOnly);
        assert_eq!(dossier_list_scope(&a, ELSEWHERE), ListScope::AllAtLocation);
        assert_eq!(dossier_list_scope(&a, 3), ListScope::Nothing);
    }

    #[test]
    fn visible_entry_kinds_per_role() {
        let share = ShareGrant { entry_kinds: kinds(&[K::Observation, K::HelpPlan]), active: true };
        let shared = Resource::Dossier { location: HERE, involved: false, share: Some(share.clone()) };
        let partner = actor(&[Grant { role: R::ExternePartner, location: None }]);
        let filter = visible_entry_kinds(&partner, &shared);
        assert_eq!(filter, EntryKindFilter::Only(share.entry_kinds.clone()));
        assert!(filter.allows(K::HelpPlan) && !filter.allows(K::Decision));

        let expired = Resource::Dossier {
            location: HERE,
            involved: false,
            share: Some(ShareGrant { entry_kinds: share.entry_kinds.clone(), active: false }),
        };
        assert_eq!(visible_entry_kinds(&partner, &expired), EntryKindFilter::None);
        let empty = Resource::Dossier {
            location: HERE,
            involved: false,
            share: Some(ShareGrant { entry_kinds: BTreeSet::new(), active: true }),
        };
        assert_eq!(visible_entry_kinds(&partner, &empty), EntryKindFilter::None);

        let ib = actor(&[Grant { role: R::InternBegeleider, location: Some(HERE) }]);
        assert_eq!(visible_entry_kinds(&ib, &shared), EntryKindFilter::All);
        let teacher = actor(&[Grant { role: R::Medewerker, location: Some(HERE) }]);
        assert_eq!(visible_entry_kinds(&teacher, &shared), EntryKindFilter::None);
        let involved = Resource::Dossier { location: HERE, involved: true, share: None };
        assert_eq!(visible_entry_kinds(&teacher, &involved), EntryKindFilter::All);
        assert_eq!(visible_entry_kinds(&ib, &Resource::Location { location: HERE }), EntryKindFilter::None);
        // A partner who is also IB-er at the location sees everything.
        let both = actor(&[
            Grant { role: R::ExternePartner, location: None },
            Grant { role: R::InternBegeleider, location: Some(HERE) },
        ]);
        assert_eq!(visible_entry_kinds(&both, &shared), EntryKindFilter::All);
    }

    #[test]
    fn dossier_list_scope_per_role() {
        let want = [
            (R::Medewerker, ListScope::InvolvedOnly),
            (R::InternBegeleider, ListScope::AllAtLocation),
            (R::Aandachtsfunctionaris, ListScope::AllAtLocation),
            (R::Directeur, ListScope::AllAtLocation),
            (R::Bestuur, ListScope::Nothing),
            (R::Beheerder, ListScope::Nothing),
            (R::ExternePartner, ListScope::SharedOnly),
        ];
        for (role, scope) in want {
            assert_eq!(dossier_list_scope(&actor(&[Grant { role, location: Some(HERE) }]), HERE), scope, "{role}");
            assert_eq!(dossier_list_scope(&actor(&[Grant { role, location: None }]), HERE), scope, "{role}");
            assert_eq!(
                dossier_list_scope(&actor(&[Grant { role, location: Some(ELSEWHERE) }]), HERE),
                ListScope::Nothing
            );
        }
        let both = actor(&[
            Grant { role: R::Medewerker, location: Some(HERE) },
            Grant { role: R::ExternePartner, location: None },
        ]);
        assert_eq!(dossier_list_scope(&both, HERE), ListScope::InvolvedOrShared);
    }

    #[test]
    fn a_correction_needs_the_right_to_record_the_corrected_kind() {
        use crate::entry::{Correction, EntryId, Observation, SignalSource};
        let teacher = actor(&[Grant { role: R::Medewerker, location: Some(HERE) }]);
        let ib = actor(&[Grant { role: R::InternBegeleider, location: Some(HERE) }]);
        let dossier = Resource::Dossier { location: HERE, involved: true, share: None };
        let observation = EntryBody::Observation(Observation {
            facts: "Blauwe plek op de arm.".into(),
            interpretation: None,
            source: SignalSource::OwnObservation,
            source_detail: None,
            categories: Vec::new(),
            also_noticed_by: Vec::new(),
            concerns_staff_sexual_misconduct: false,
        });
        let decision = EntryBody::Decision(crate::entry::Decision {
            report: false,
            help: true,
            reporter: None,
            informs_parents: None,
            informs_pupil: None,
            school_after: None,
        });
        let fix = |corrected: &EntryBody| {
            EntryBody::Correction(Correction {
                corrects: EntryId(1),
                reason: "typfout".into(),
                corrected: Box::new(corrected.clone()),
            })
        };
        assert_eq!(authorize_append(&teacher, &observation, &dossier), Decision::Allow);
        assert_eq!(authorize_append(&teacher, &fix(&observation), &dossier), Decision::Allow);
        assert_eq!(authorize_append(&teacher, &decision, &dossier), Decision::Deny(DenyReason::RoleCannotRecordKind));
        assert_eq!(
            authorize_append(&teacher, &fix(&decision), &dossier),
            Decision::Deny(DenyReason::RoleCannotRecordKind)
        );
        assert_eq!(authorize_append(&ib, &fix(&decision), &dossier), Decision::Allow);
        let not_involved = Resource::Dossier { location: HERE, involved: false, share: None };
        assert_eq!(
            authorize_append(&teacher, &fix(&observation), &not_involved),
            Decision::Deny(DenyReason::NotInvolved)
        );
    }

    #[test]
    fn every_deny_reason_has_a_message_key_in_the_domain_list() {
        let keys = crate::message_keys();
        for reason in DenyReason::ALL {
            assert!(keys.contains(&reason.message_key()), "{reason}");
            assert_eq!(DenyReason::from_code(reason.code()), Some(*reason));
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), serde_json::json!(role.code()));
            assert_eq!(serde_json::from_value::<Role>(serde_json::json!(role.code())).unwrap(), role);
        }
        assert_eq!(Role::from_code("admin"), None);
    }

    #[test]
    fn every_account_needs_a_second_factor() {
        assert!(requires_second_factor(&actor(&[])));
        for role in Role::ALL {
            assert!(requires_second_factor(&actor(&[Grant { role, location: None }])));
        }
    }

    #[test]
    fn no_rule_lets_a_partner_write_or_the_board_or_administrator_touch_dossiers() {
        for rule in POLICY {
            if matches!(rule.acts, Acts::Record(_)) {
                assert!(!rule.roles.contains(&R::ExternePartner));
            }
            let content = match rule.acts {
                Acts::Record(_) => true,
                Acts::One(a) => a.touches_dossier_content() || a == A::ViewPupil,
            };
            if content {
                assert!(!rule.roles.contains(&R::Beheerder) && !rule.roles.contains(&R::Bestuur), "{rule:?}");
            }
        }
    }

    // -----------------------------------------------------------------------------------------------------
    // Properties over arbitrary sets of grants
    // -----------------------------------------------------------------------------------------------------

    fn any_grant() -> impl Strategy<Value = Grant> {
        (
            prop::sample::select(Role::ALL.to_vec()),
            prop::sample::select(vec![None, Some(HERE), Some(ELSEWHERE), Some(3)]),
        )
            .prop_map(|(role, location)| Grant { role, location })
    }

    fn grants_of(roles: &'static [Role]) -> impl Strategy<Value = Vec<Grant>> {
        prop::collection::vec(
            (prop::sample::select(roles.to_vec()), prop::sample::select(vec![None, Some(HERE), Some(ELSEWHERE)]))
                .prop_map(|(role, location)| Grant { role, location }),
            0..4,
        )
    }

    fn content_actions() -> Vec<Action> {
        Action::all().into_iter().filter(|a| a.touches_dossier_content()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Several grants give exactly the union of what each grant gives; in particular adding a grant never
        /// removes a permission.
        #[test]
        fn grants_combine_as_a_union(a in prop::collection::vec(any_grant(), 0..4), b in prop::collection::vec(any_grant(), 0..4)) {
            let both = actor(&[a.clone(), b.clone()].concat());
            let (a, b) = (actor(&a), actor(&b));
            for action in Action::all() {
                for (_, resource) in resources() {
                    let union = authorize(&a, action, &resource).is_allowed() || authorize(&b, action, &resource).is_allowed();
                    prop_assert_eq!(authorize(&both, action, &resource).is_allowed(), union, "{} on {:?}", action, resource);
                }
            }
            for (_, resource) in resources() {
                let after = visible_entry_kinds(&both, &resource);
                prop_assert!(visible_kinds_grow(&visible_entry_kinds(&a, &resource), &after));
                prop_assert!(visible_kinds_grow(&visible_entry_kinds(&b, &resource), &after));
            }
            for l in [HERE, ELSEWHERE] {
                prop_assert!(list_scope_grows(dossier_list_scope(&a, l), dossier_list_scope(&both, l)));
                prop_assert!(list_scope_grows(dossier_list_scope(&b, l), dossier_list_scope(&both, l)));
            }
        }

        /// The administrator and the board never read or write dossier content, whatever their grants.
        #[test]
        fn administrator_and_board_never_touch_dossier_content(grants in grants_of(&[R::Beheerder, R::Bestuur])) {
            let a = actor(&grants);
            for action in content_actions() {
                for (_, resource) in resources() {
                    prop_assert!(!authorize(&a, action, &resource).is_allowed(), "{} on {:?}", action, resource);
                    prop_assert_eq!(visible_entry_kinds(&a, &resource), EntryKindFilter::None);
                }
            }
            prop_assert_eq!(dossier_list_scope(&a, HERE), ListScope::Nothing);
            let pupil = Resource::Pupil { location: HERE };
            prop_assert!(!authorize(&a, A::ViewPupil, &pupil).is_allowed());
        }

        /// An external partner never writes in a dossier, shared or not.
        #[test]
        fn a_partner_never_appends(grants in grants_of(&[R::ExternePartner])) {
            let a = actor(&grants);
            for kind in EntryKind::ALL {
                for (_, resource) in resources() {
                    prop_assert!(!authorize(&a, A::AppendEntry(*kind), &resource).is_allowed());
                }
            }
        }

        /// Without a grant covering a location, nothing at that location is allowed (and nothing
        /// organisation-wide without an organisation-wide grant).
        #[test]
        fn nothing_at_a_location_without_a_grant_there(
            grants in prop::collection::vec(
                (prop::sample::select(Role::ALL.to_vec()), prop::sample::select(vec![ELSEWHERE, 3]))
                    .prop_map(|(role, l)| Grant { role, location: Some(l) }),
                0..5,
            )
        ) {
            let a = actor(&grants);
            for action in Action::all() {
                for (_, resource) in resources() {
                    if resource.location() == Some(HERE) || resource == Resource::Organisation {
                        prop_assert!(!authorize(&a, action, &resource).is_allowed(), "{} on {:?}", action, resource);
                    }
                }
            }
            prop_assert_eq!(dossier_list_scope(&a, HERE), ListScope::Nothing);
        }

        /// Listing dossiers is allowed exactly when the list scope is not Nothing.
        #[test]
        fn list_permission_agrees_with_list_scope(grants in prop::collection::vec(any_grant(), 0..4)) {
            let a = actor(&grants);
            for l in [HERE, ELSEWHERE, 3] {
                let allowed = authorize(&a, A::ListDossiers, &Resource::Location { location: l }).is_allowed();
                prop_assert_eq!(allowed, dossier_list_scope(&a, l) != ListScope::Nothing);
            }
        }
    }

    fn visible_kinds_grow(before: &EntryKindFilter, after: &EntryKindFilter) -> bool {
        EntryKind::ALL.iter().all(|k| !before.allows(*k) || after.allows(*k))
    }

    fn list_scope_grows(before: ListScope, after: ListScope) -> bool {
        let reach = |s: ListScope| match s {
            ListScope::AllAtLocation => (true, true, true),
            ListScope::InvolvedOrShared => (false, true, true),
            ListScope::InvolvedOnly => (false, true, false),
            ListScope::SharedOnly => (false, false, true),
            ListScope::Nothing => (false, false, false),
        };
        let (b, a) = (reach(before), reach(after));
        (!b.0 || a.0) && (!b.1 || a.1) && (!b.2 || a.2)
    }
}
