//! `RetentionStore` for the backend enum.

use meldroute_store::*;
use time::Date;

use crate::{Database, delegate};

delegate! { RetentionStore {
    async fn set_retention(&self, t: &TenantCtx, setting: RetentionSetting) -> StoreResult<()>;
    async fn retention_history(&self, t: &TenantCtx) -> StoreResult<Vec<RetentionSetting>>;
    async fn closed_dossiers(&self, t: &TenantCtx, closed_on_or_before: Date) -> StoreResult<Vec<ClosedDossier>>;
    async fn propose_erasure(&self, t: &TenantCtx, new: NewErasureProposal) -> StoreResult<ErasureProposal>;
    async fn erasure_proposal(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ErasureProposal>>;
    async fn erasure_proposals(&self, t: &TenantCtx) -> StoreResult<Vec<ErasureProposal>>;
    async fn withdraw_erasure(&self, t: &TenantCtx, dossier: DossierId, id: i64) -> StoreResult<()>;
    async fn record_erasure_request(&self, t: &TenantCtx, new: NewErasureRequest) -> StoreResult<ErasureRequest>;
    async fn erasure_requests(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<ErasureRequest>>;
} }
