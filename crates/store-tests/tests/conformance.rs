//! Runs every conformance test against SQLite and against PostgreSQL.

use meldroute_store_tests::{TestDb, suite};

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = TestDb::sqlite().await.unwrap();
                    suite::$name(&t.db).await;
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
                    suite::$name(&t.db).await;
                    t.finish().await;
                }
            )*
        }
    };
}

conformance!(
    migrations_are_idempotent_and_current,
    structure_round_trips,
    logins_are_unique_across_tenants,
    tenants_are_isolated,
    pupils_search_and_siblings,
    chronology_is_gap_free_and_checks_staleness,
    group_commit_lands_every_acknowledged_write,
    audit_events_are_listed_per_tenant,
    sessions_live_rotate_and_die,
    purge_deletes_only_what_can_no_longer_be_used,
    second_factor_steps_and_recovery_codes_are_single_use,
    disabling_or_changing_roles_ends_sessions,
    throttling_and_one_time_links,
    shares_are_scoped_and_revocable,
    notifications_per_user_and_tenant,
    one_time_links_can_be_looked_up_without_using_them,
    pupil_import_is_all_or_nothing,
    route_maps_are_versioned_per_location_and_tenant,
    route_map_versions_land_with_their_audit_row,
    attachments_are_written_with_their_entry,
    a_refused_attachment_leaves_no_file,
    attachments_are_tenant_isolated,
    an_imported_dossier_lands_whole,
    a_refused_import_writes_nothing,
    audited_writes_land_with_their_audit_row,
    a_database_error_fails_only_its_own_write,
    a_batch_over_many_dossiers_matches_one_write_at_a_time,
    session_context_matches_the_separate_reads,
    dossier_context_matches_the_separate_reads,
    user_names_are_tenant_scoped,
);

/// SQLite gives every operation a savepoint from the start; PostgreSQL first tries without and, after the
/// foreign key error, applies the batch once more with them. Both count what they did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_applied_again_only_where_it_was_tried_without_savepoints() {
    let t = TestDb::sqlite().await.unwrap();
    assert_eq!(suite::a_database_error_fails_only_its_own_write(&t.db).await, 0);
    t.finish().await;
    let Some(t) = TestDb::postgres().await.unwrap() else { return };
    assert_eq!(suite::a_database_error_fails_only_its_own_write(&t.db).await, 1);
    t.finish().await;
}
