//! `meldroute admin create-user`: the first administrator of a new installation, without the web UI.

use meldroute_store::{NewOrganisation, NewUser, Role, RoleGrant, Store, StoreError, TenantCtx};
use meldroute_web::{clock, password};

use crate::config::Settings;
use crate::ops;

pub struct NewAccount {
    pub org: String,
    pub login: String,
    pub name: String,
    pub role: String,
    /// `None`: generate a strong password and print it once.
    pub password: Option<String>,
}

pub async fn create_user(settings: Settings, account: NewAccount) -> Result<(), String> {
    let role = Role::from_code(account.role.trim()).ok_or_else(|| {
        let known: Vec<_> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("role '{}' is not known; use one of: {}", account.role, known.join(", "))
    })?;
    let login = account.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 100 || login.chars().any(char::is_whitespace) {
        return Err("the login must be 1 to 100 characters without spaces".into());
    }
    let name = account.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("the name must be 1 to 200 characters".into());
    }
    let org_name = account.org.trim();
    if org_name.is_empty() || org_name.chars().count() > 200 {
        return Err("the organisation name must be 1 to 200 characters".into());
    }
    let (password, generated) = match account.password {
        Some(p) => (p, false),
        None => (generate_password()?, true),
    };
    password::check_policy(&password)
        .map_err(|_| format!("the password must be {} to {} characters long", password::MIN_LEN, password::MAX_LEN))?;

    let db = ops::open_migrated(&settings).await?;
    let result = async {
        if db.find_user_by_login(&login).await.map_err(|e| e.to_string())?.is_some() {
            return Err(format!("a user with login '{login}' already exists"));
        }
        let now = clock::now_utc();
        let org = match db.find_organisation_by_name(org_name).await.map_err(|e| e.to_string())? {
            Some(org) => org,
            None => db
                .create_organisation(NewOrganisation { name: org_name.into(), is_demo: false, created_at: now })
                .await
                .map_err(|e| e.to_string())?,
        };
        let t = TenantCtx::new(org.id);
        let hash = password::hash(password.clone()).await?;
        let user = db
            .create_user(
                &t,
                NewUser {
                    login: login.clone(),
                    display_name: name.into(),
                    email: None,
                    password_hash: hash,
                    totp_secret: None,
                    lang: "nl".into(),
                    created_at: now,
                },
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => format!("a user with login '{login}' already exists"),
                e => e.to_string(),
            })?;
        db.grant_role(&t, RoleGrant { user: user.id, location: None, role }).await.map_err(|e| e.to_string())?;
        Ok(org.name)
    }
    .await;
    db.close().await;
    let org_name = result?;
    println!("user '{login}' created in '{org_name}' with role {}", role.code());
    if generated {
        println!("password (shown once; store it safely): {password}");
    }
    Ok(())
}

/// 20 random characters from an alphabet without look-alikes (~114 bits).
fn generate_password() -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    // 256 is not a multiple of the alphabet size; the bias is small and irrelevant at this length.
    Ok(bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect())
}
