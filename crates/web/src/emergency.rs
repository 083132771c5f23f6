//! `/noodnummers`: the emergency numbers, one click away from every page (the bar in `base.html`), public.
//! Everyone sees 112 and the national Veilig Thuis number with when to call which; a logged-in user also
//! sees the numbers of their own locations (the regional Veilig Thuis number for professionals and the
//! partner contacts), which come from the school's route map.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use meldroute_store::Store;

use crate::AppState;
use crate::auth::session::{CurrentUser, NoSession};
use crate::library::{LangSwitch, lang_switch, optional_user, page_lang, public_layout, query_params};
use crate::pages::{Layout, render};

/// One contact of a location: a partner (JGZ, school social work, neighbourhood team, ...) or Veilig Thuis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Who this is, e.g. "Jeugdarts GGD" or "Veilig Thuis regio Utrecht".
    pub label: String,
    /// The number as shown, e.g. "030 123 45 67".
    pub phone: String,
    /// When to call, or opening hours.
    pub note: Option<String>,
}

impl Contact {
    /// The `tel:` link for [`Contact::phone`]: digits, with a leading `+` kept.
    pub fn tel_href(&self) -> String {
        tel_href(&self.phone)
    }
}

/// The `tel:` link for a number as people write it ("0800-2000", "+31 30 123 45 67").
pub fn tel_href(phone: &str) -> String {
    let plus = if phone.trim_start().starts_with('+') { "+" } else { "" };
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    format!("tel:{plus}{digits}")
}

/// The numbers of one location of the user's organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationContacts {
    pub location: String,
    /// The regional Veilig Thuis number for professionals.
    pub veilig_thuis_professionals: Option<Contact>,
    pub partners: Vec<Contact>,
}

/// The contact groups of the locations `me` works at, from each location's current route map (locations
/// without a saved route map are left out: their numbers are not known yet). A failing database read
/// leaves the list empty rather than hiding the national numbers.
pub async fn location_contacts(state: &AppState, me: &CurrentUser) -> Vec<LocationContacts> {
    let i = crate::pages::I18n { lang: me.lang };
    let Ok(locations) = state.db.list_locations(&me.tenant).await else { return Vec::new() };
    let mut out = Vec::new();
    for location in locations {
        let at = meldroute_domain::access::Resource::Location { location: location.id.0 };
        if me.authorize(meldroute_domain::access::Action::ViewRouteMap, &at).is_err() {
            continue;
        }
        let Ok(current) = crate::route_map::current(state, &me.tenant, &location).await else { continue };
        if current.version.is_none() {
            continue;
        }
        let map = current.map;
        let lead = &map.aandachtsfunctionaris;
        let mut partners = Vec::new();
        if !lead.phone.is_empty() {
            partners.push(Contact {
                label: format!("{}: {}", i.t("route-actor-aandachtsfunctionaris"), lead.person.name),
                phone: lead.phone.clone(),
                note: None,
            });
        }
        partners.extend(map.partners.iter().filter(|p| !p.phone.is_empty()).map(|p| Contact {
            label: format!("{}: {}", i.t(&format!("partner-kind-{}", p.kind.as_str())), p.organisation),
            phone: p.phone.clone(),
            note: (!p.contact.is_empty()).then(|| p.contact.clone()),
        }));
        out.push(LocationContacts {
            location: location.name,
            veilig_thuis_professionals: Some(Contact {
                label: map.veilig_thuis_region.clone(),
                phone: map.veilig_thuis_phone.clone(),
                note: Some(map.veilig_thuis_region.clone()),
            }),
            partners,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "emergency.html")]
pub struct EmergencyPage {
    pub layout: Layout,
    pub switch: LangSwitch,
    pub logged_in: bool,
    pub locations: Vec<LocationContacts>,
    pub library_href: &'static str,
}

/// `GET /noodnummers`.
pub async fn page(
    State(state): State<AppState>,
    me: Result<CurrentUser, NoSession>,
    RawQuery(raw): RawQuery,
) -> Response {
    let me = optional_user(me);
    let params = query_params(raw.as_deref());
    let (lang, explicit) = page_lang(me.as_ref(), &params);
    let layout = public_layout(&state, me.as_ref(), lang, "emergency-title");
    let locations = match me.as_ref() {
        Some(me) => location_contacts(&state, me).await,
        None => Vec::new(),
    };
    let library_href = match (explicit, lang) {
        (true, meldroute_i18n::Lang::En) => "/naslag?lang=en",
        (true, meldroute_i18n::Lang::Nl) => "/naslag?lang=nl",
        (false, _) => "/naslag",
    };
    let page = EmergencyPage {
        layout,
        switch: lang_switch("/noodnummers", lang, &[]),
        logged_in: me.is_some(),
        locations,
        library_href,
    };
    render(&page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_tel_links() {
        assert_eq!(tel_href("0800-2000"), "tel:08002000");
        assert_eq!(tel_href("112"), "tel:112");
        assert_eq!(tel_href(" +31 30 123 45 67"), "tel:+31301234567");
        assert_eq!(tel_href("javascript:alert(1)"), "tel:1");
    }
}
