//! `ApiTokenStore` for the backend enum.

use meldroute_store::*;
use time::OffsetDateTime;

use crate::{Database, delegate};

delegate! { ApiTokenStore {
    async fn create_api_token(&self, t: &TenantCtx, new: NewApiToken) -> StoreResult<ApiToken>;
    async fn find_api_token(&self, token_hash: &[u8], now: OffsetDateTime) -> StoreResult<Option<TokenContext>>;
    async fn list_api_tokens(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, t: &TenantCtx, user: UserId, id: i64, at: OffsetDateTime) -> StoreResult<()>;
} }
