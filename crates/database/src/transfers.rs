//! `TransferStore` for the backend enum.

use meldroute_store::*;

use crate::{Database, delegate};

delegate! { TransferStore {
    async fn received_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ReceivedDossier>>;
} }
