//! `meldroute admin token create --login LOGIN --name NAME [--days N]`: a personal API token for an account,
//! made on the server (for an integration set up by the operator). The token is printed once; the database
//! keeps only its SHA-256. The user sees it (without the secret) on `/account/tokens` and can revoke it there.

use meldroute_store::{Store, TenantCtx};
use meldroute_web::api::tokens::{self, IssueError};
use meldroute_web::clock;

use crate::config::Settings;
use crate::ops;

/// The lifetime when `--days` is not given.
pub const DEFAULT_DAYS: u32 = tokens::DEFAULT_DAYS;

pub async fn create(settings: Settings, login: &str, name: &str, days: u32) -> Result<(), String> {
    if !(tokens::MIN_DAYS..=tokens::MAX_DAYS).contains(&days) {
        return Err(format!("--days must be {} to {}", tokens::MIN_DAYS, tokens::MAX_DAYS));
    }
    let login = login.trim().to_lowercase();
    let db = ops::open_migrated(&settings).await?;
    let result = async {
        let user = db
            .find_user_by_login(&login)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("there is no account '{login}'"))?;
        if user.disabled {
            return Err(format!("the account '{login}' is disabled"));
        }
        let t = TenantCtx::new(user.org);
        tokens::issue(&db, &t, user.id, name, days, clock::now_utc()).await.map_err(|e| match e {
            IssueError::Name => format!("--name must be 1 to {} characters", tokens::MAX_NAME_CHARS),
            other => other.to_string(),
        })
    }
    .await;
    db.close().await;
    let (token, row) = result?;
    println!(
        "API token '{}' for {login}, valid until {} (UTC):",
        row.name,
        meldroute_web::api::rfc3339(row.expires_at)
    );
    println!();
    println!("  {token}");
    println!();
    println!("It is shown only now; store it safely. Send it as 'Authorization: Bearer <token>'.");
    println!("It can be revoked by the account holder on /account/tokens.");
    Ok(())
}
