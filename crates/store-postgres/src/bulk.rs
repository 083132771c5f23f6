//! Bulk loading (`meldroute seed`): multi-row INSERTs with caller-chosen ids, one
//! transaction per chunk (one fsync per chunk, not per row).

use meldroute_store::bulk::*;
use meldroute_store::*;
use sqlx::query_builder::Separated;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::{PgStore, other};

/// PostgreSQL's limit on bound parameters in one statement.
const MAX_PARAMS: usize = 65_535;

async fn insert_all<'a, T>(
    conn: &mut PgConnection,
    head: &'static str,
    cols: usize,
    rows: &'a [T],
    mut bind: impl FnMut(&mut Separated<'_, 'a, Postgres, &'static str>, &'a T),
) -> StoreResult<()> {
    for part in rows.chunks((MAX_PARAMS / cols).max(1)) {
        let mut qb = QueryBuilder::<Postgres>::new(head);
        qb.push_values(part, |mut b, row| bind(&mut b, row));
        qb.build().execute(&mut *conn).await.map_err(other)?;
    }
    Ok(())
}

impl BulkLoad for PgStore {
    async fn bulk_insert(&self, c: &BulkChunk) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::Everything);
        let mut tx = self.pool.begin().await.map_err(other)?;
        let conn: &mut PgConnection = &mut tx;
        // No change notification per row (migrations 0016 and 0017): a bulk load fills an empty database, and every node
        // of this process forgets its lookups (above).
        sqlx::query("SELECT set_config('meldroute.bulk_load', 'on', true)").execute(&mut *conn).await.map_err(other)?;
        insert_all(conn, "INSERT INTO organisations (id, name, is_demo, created_at) ", 4, &c.organisations, |b, r| {
            b.push_bind(r.id).push_bind(&r.name).push_bind(r.is_demo).push_bind(r.created_at);
        })
        .await?;
        insert_all(conn, "INSERT INTO locations (id, org_id, name, sector) ", 4, &c.locations, |b, r| {
            b.push_bind(r.id).push_bind(r.org).push_bind(&r.name).push_bind(r.sector.as_str());
        })
        .await?;
        insert_all(conn, "INSERT INTO groups (id, org_id, location_id, name) ", 4, &c.groups, |b, r| {
            b.push_bind(r.id).push_bind(r.org).push_bind(r.location).push_bind(&r.name);
        })
        .await?;
        insert_all(
            conn,
            "INSERT INTO users (id, org_id, login, display_name, email, password_hash, totp_secret, lang, created_at) ",
            9,
            &c.users,
            |b, r| {
                b.push_bind(r.id)
                    .push_bind(r.org)
                    .push_bind(&r.login)
                    .push_bind(&r.display_name)
                    .push_bind(&r.email)
                    .push_bind(&r.password_hash)
                    .push_bind(&r.totp_secret)
                    .push_bind("nl")
                    .push_bind(r.created_at);
            },
        )
        .await?;
        insert_all(conn, "INSERT INTO role_grants (org_id, user_id, location_id, role) ", 4, &c.grants, |b, r| {
            b.push_bind(r.org).push_bind(r.user).push_bind(r.location.unwrap_or(0)).push_bind(r.role.code());
        })
        .await?;
        insert_all(
            conn,
            "INSERT INTO pupils (id, org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) ",
            10,
            &c.pupils,
            |b, r| {
                b.push_bind(r.id)
                    .push_bind(r.org)
                    .push_bind(r.location)
                    .push_bind(r.group)
                    .push_bind(&r.first_name)
                    .push_bind(&r.last_name)
                    .push_bind(r.date_of_birth)
                    .push_bind(r.family)
                    .push_bind(&r.external_ref)
                    .push_bind(r.created_at);
            },
        )
        .await?;
        insert_all(
            conn,
            "INSERT INTO dossiers (id, org_id, location_id, pupil_id, opened_at, opened_by, step, closed, urgent, next_due, closed_on, last_seq, updated_at) ",
            13,
            &c.dossiers,
            |b, r| {
                b.push_bind(r.id)
                    .push_bind(r.org)
                    .push_bind(r.location)
                    .push_bind(r.pupil)
                    .push_bind(r.opened_at)
                    .push_bind(r.opened_by)
                    .push_bind(i64::from(r.projection.step))
                    .push_bind(r.projection.closed)
                    .push_bind(r.projection.urgent)
                    .push_bind(r.projection.next_due)
                    .push_bind(r.projection.closed_on)
                    .push_bind(r.last_seq)
                    .push_bind(r.updated_at);
            },
        )
        .await?;
        insert_all(
            conn,
            "INSERT INTO entries (id, org_id, dossier_id, seq, recorded_at, author_id, kind, payload) ",
            8,
            &c.entries,
            |b, r| {
                b.push_bind(r.id)
                    .push_bind(r.org)
                    .push_bind(r.dossier)
                    .push_bind(r.seq)
                    .push_bind(r.recorded_at)
                    .push_bind(r.author)
                    .push_bind(&r.kind)
                    .push_bind(&r.payload);
            },
        )
        .await?;
        insert_all(
            conn,
            "INSERT INTO audit_log (seq, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, action, outcome, source, prev_hash, hash) ",
            12,
            &c.audit,
            |b, r| {
                let e = &r.event;
                b.push_bind(r.seq)
                    .push_bind(e.at)
                    .push_bind(e.org.map(|o| o.0))
                    .push_bind(e.actor.map(|a| a.0))
                    .push_bind(e.on_behalf_of.map(|a| a.0))
                    .push_bind(e.pupil.map(|p| p.0))
                    .push_bind(e.dossier.map(|d| d.0))
                    .push_bind(&e.action)
                    .push_bind(&e.outcome)
                    .push_bind(&e.source)
                    .push_bind(&r.prev_hash)
                    .push_bind(&r.hash);
            },
        )
        .await?;
        insert_all(
            conn,
            "INSERT INTO notifications (id, org_id, user_id, dossier_id, kind, urgent, created_at, read_at) ",
            8,
            &c.notifications,
            |b, r| {
                b.push_bind(r.id)
                    .push_bind(r.org)
                    .push_bind(r.user)
                    .push_bind(r.dossier)
                    .push_bind(&r.kind)
                    .push_bind(r.urgent)
                    .push_bind(r.created_at)
                    .push_bind(r.read_at);
            },
        )
        .await?;
        if let Some(head) = &c.audit_head {
            sqlx::query("UPDATE audit_chain_head SET last_seq = $1, last_hash = $2, mac = $3 WHERE id = 1")
                .bind(head.last_seq)
                .bind(&head.last_hash)
                .bind(&head.mac)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
        }
        tx.commit().await.map_err(other)
    }

    async fn bulk_finish(&self) -> StoreResult<()> {
        // Identity columns do not see explicit ids: move each generator past the highest id.
        for (table, column) in [
            ("organisations", "id"),
            ("locations", "id"),
            ("groups", "id"),
            ("users", "id"),
            ("pupils", "id"),
            ("dossiers", "id"),
            ("entries", "id"),
            ("audit_log", "seq"),
            ("notifications", "id"),
        ] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), GREATEST((SELECT MAX({column}) FROM {table}), 1))"
            );
            sqlx::query(&sql).execute(&self.pool).await.map_err(other)?;
        }
        sqlx::query("ANALYZE").execute(&self.pool).await.map_err(other)?;
        Ok(())
    }
}
