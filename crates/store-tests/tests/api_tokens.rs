//! Personal API tokens on both backends: lookup by hash, expiry, revocation, last use, tenant isolation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use meldroute_database::Database;
use meldroute_store::*;
use meldroute_store_tests::{TestDb, suite};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn hash(byte: u8) -> Vec<u8> {
    vec![byte; 32]
}

fn new_token(user: UserId, name: &str, byte: u8, days: i64) -> NewApiToken {
    NewApiToken {
        user,
        name: name.into(),
        token_hash: hash(byte),
        created_at: T0,
        expires_at: T0 + Duration::days(days),
    }
}

async fn lookup_expiry_and_last_use(db: &Database) {
    let f = suite::fixture(db, "tokens-a").await;
    let token = db.create_api_token(&f.tenant, new_token(f.user.id, "koppeling", 1, 30)).await.unwrap();
    assert_eq!(token.name, "koppeling");
    assert_eq!((token.org, token.user), (f.tenant.org, f.user.id));
    assert_eq!(token.last_used_at, None);
    assert!(token.is_active(T0));

    // Found by hash while valid, with its user and the user's grants (as read on their own); the use is
    // recorded.
    db.grant_role(&f.tenant, RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::Medewerker })
        .await
        .unwrap();
    db.grant_role(&f.tenant, RoleGrant { user: f.user.id, location: None, role: Role::Directeur }).await.unwrap();
    let found = db.find_api_token(&hash(1), T0 + Duration::hours(1)).await.unwrap().unwrap();
    assert_eq!(found.token.id, token.id);
    assert_eq!(found.token.last_used_at, Some(T0 + Duration::hours(1)));
    assert_eq!(found.user, db.get_user(&f.tenant, f.user.id).await.unwrap());
    assert_eq!(found.grants.len(), 2);
    assert_eq!(found.grants, db.roles_of(&f.tenant, f.user.id).await.unwrap());
    assert_eq!(ApiToken { last_used_at: None, ..found.token.clone() }, token, "the token as created");
    // Within a minute the recorded use is not rewritten; after it, it is.
    db.find_api_token(&hash(1), T0 + Duration::hours(1) + Duration::seconds(10)).await.unwrap().unwrap();
    let listed = db.list_api_tokens(&f.tenant, f.user.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(T0 + Duration::hours(1)));
    db.find_api_token(&hash(1), T0 + Duration::hours(2)).await.unwrap().unwrap();
    let listed = db.list_api_tokens(&f.tenant, f.user.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(T0 + Duration::hours(2)));

    // Unknown hashes find nothing.
    assert!(db.find_api_token(&hash(9), T0).await.unwrap().is_none());
    // Expired: refused from the expiry moment on.
    assert!(db.find_api_token(&hash(1), T0 + Duration::days(30) - Duration::seconds(1)).await.unwrap().is_some());
    assert!(db.find_api_token(&hash(1), T0 + Duration::days(30)).await.unwrap().is_none());
    assert!(db.find_api_token(&hash(1), T0 + Duration::days(31)).await.unwrap().is_none());

    // The same hash cannot be stored twice.
    let again = db.create_api_token(&f.tenant, new_token(f.user.id, "dubbel", 1, 30)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

async fn revocation(db: &Database) {
    let f = suite::fixture(db, "tokens-b").await;
    let one = db.create_api_token(&f.tenant, new_token(f.user.id, "een", 2, 30)).await.unwrap();
    let two = db.create_api_token(&f.tenant, new_token(f.user.id, "twee", 3, 30)).await.unwrap();
    db.revoke_api_token(&f.tenant, f.user.id, one.id, T0 + Duration::hours(1)).await.unwrap();
    assert!(db.find_api_token(&hash(2), T0 + Duration::hours(2)).await.unwrap().is_none(), "revoked");
    assert!(db.find_api_token(&hash(3), T0 + Duration::hours(2)).await.unwrap().is_some(), "the other stays");
    // Revoking twice: nothing to revoke.
    assert!(matches!(
        db.revoke_api_token(&f.tenant, f.user.id, one.id, T0 + Duration::hours(3)).await,
        Err(StoreError::NotFound)
    ));
    let listed = db.list_api_tokens(&f.tenant, f.user.id).await.unwrap();
    assert_eq!(listed.len(), 2, "revoked tokens stay listed");
    let revoked = listed.iter().find(|t| t.id == one.id).unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + Duration::hours(1)));
    assert!(!revoked.is_active(T0 + Duration::hours(2)));
    assert!(listed.iter().find(|t| t.id == two.id).unwrap().is_active(T0 + Duration::hours(2)));
}

async fn tenants_are_isolated(db: &Database) {
    let a = suite::fixture(db, "tokens-c").await;
    let b = suite::fixture(db, "tokens-d").await;
    let token = db.create_api_token(&a.tenant, new_token(a.user.id, "van a", 4, 30)).await.unwrap();

    // Another tenant cannot list or revoke it, not even naming the right user id.
    assert!(db.list_api_tokens(&b.tenant, a.user.id).await.unwrap().is_empty());
    assert!(db.list_api_tokens(&b.tenant, b.user.id).await.unwrap().is_empty());
    assert!(matches!(db.revoke_api_token(&b.tenant, a.user.id, token.id, T0).await, Err(StoreError::NotFound)));
    assert!(matches!(db.revoke_api_token(&b.tenant, b.user.id, token.id, T0).await, Err(StoreError::NotFound)));
    // Nor can another user of the same tenant revoke it.
    assert!(db.revoke_api_token(&a.tenant, UserId(a.user.id.0 + 1000), token.id, T0).await.is_err());
    assert!(db.find_api_token(&hash(4), T0).await.unwrap().is_some(), "still valid");

    // A token for a user of another tenant cannot be created.
    let cross = db.create_api_token(&b.tenant, new_token(a.user.id, "kruislings", 5, 30)).await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
    assert!(db.find_api_token(&hash(5), T0).await.unwrap().is_none());
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = TestDb::sqlite().await.unwrap();
                    super::$name(&t.db).await;
                    t.finish().await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(t) = TestDb::postgres().await.unwrap() else { return };
                    super::$name(&t.db).await;
                    t.finish().await;
                }
            )*
        }
    };
}

on_both!(lookup_expiry_and_last_use, revocation, tenants_are_isolated);
