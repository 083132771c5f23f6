//! `meldroute serve`: bind, open and migrate the database, seed demo data when asked, start the writer and
//! the HTTP server, and shut down gracefully on SIGTERM/SIGINT (in-flight requests finish, then every
//! queued durable write is committed before the process exits).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::routing::get;
use meldroute_web::metrics::Metrics;
use meldroute_web::{App, AppState};
use tokio::net::TcpListener;

use crate::config::{LogFormat, Settings};
use crate::{demo, ops};

pub async fn serve(settings: Settings, demo_mode: bool) -> Result<(), String> {
    // Kept to the end: dropping it writes out what is still queued.
    let _log = init_logging(settings.log_format);
    // Bind first: a port in use fails before anything is written.
    let listener = bind(settings.addr, "--addr or MELDROUTE_ADDR").await?;
    let metrics_listener = match settings.metrics_addr {
        Some(addr) => Some(bind(addr, "--metrics-addr or MELDROUTE_METRICS_ADDR").await?),
        None => None,
    };
    // The database first: a wrong or unreachable URL fails before anything is written to the data dir.
    let db = ops::open_migrated(&settings).await?;
    ops::prepare_data_dir(&settings)?;
    let key = meldroute_database::audit::AuditKey::load_or_create(&settings.audit_key_file)
        .map_err(|e| format!("cannot use the audit key {}: {}", settings.audit_key_file.display(), e.0))?;
    let db = db.with_audit_key(key);
    let demo_logins = if demo_mode { Some(demo::ensure(&db).await?) } else { None };

    let (writer, writer_task) = db.spawn_writer();
    let metrics = Arc::new(Metrics::default());
    let auth = meldroute_web::auth::AuthConfig::new(
        settings.session_idle,
        settings.session_absolute,
        settings.secure_cookies,
    )?;
    let team = Arc::new(meldroute_web::team::live::TeamHub::default());
    // Several nodes on PostgreSQL: each publishes its team session changes and hears the others'.
    let team_listener = {
        let hub = team.clone();
        db.listen_channel(meldroute_web::team::live::CHANNEL, move |heard| {
            // After a lost connection nothing needs doing: every stream starts again from the current state.
            if let meldroute_store::Heard::Notification(payload) = heard {
                hub.on_notification(payload);
            }
        })
        .await
        .map_err(|e| format!("cannot listen for team session changes: {e}"))?
    };
    if team_listener.is_some() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<i64>();
        team.set_publisher(tx);
        let (db, hub) = (db.clone(), team.clone());
        tokio::spawn(async move {
            while let Some(id) = rx.recv().await {
                if let Err(e) = db.notify_channel(meldroute_web::team::live::CHANNEL, &hub.payload(id)).await {
                    tracing::warn!(error = %e, "could not publish a team session change to the other nodes");
                }
            }
        });
    }
    let chronologies = Arc::new(meldroute_web::chronology::Chronologies::default());
    // Several nodes on PostgreSQL: an erasure on any node empties every node's chronologies, and so does a lost
    // connection to the database (an erasure may have gone unheard meanwhile).
    let _erasure_listener = {
        let (chronologies, lookups) = (chronologies.clone(), db.clone());
        db.listen_channel(meldroute_store::ERASURE_CHANNEL, move |heard| match heard {
            // Nothing read before this node listened (again) may stay. The kept dossier lookups go too: the
            // erased pupil's name must not outlive the erasure in any node's memory (the triggers of migration
            // 0017 would only make them unusable, not forget them).
            meldroute_store::Heard::Listening | meldroute_store::Heard::Notification(_) => {
                chronologies.erasing();
                lookups.lookup_cache().changed_all();
            }
            meldroute_store::Heard::Lost => {}
        })
        .await
        .map_err(|e| format!("cannot listen for erasures: {e}"))?
    };
    // Several nodes on PostgreSQL: session and dossier lookups are kept in memory only while this node hears
    // the others' changes to what they return (migrations 0016 and 0017).
    let _lookup_listener = db.listen_for_changes().await.map_err(|e| format!("cannot listen for changes: {e}"))?;
    let state = AppState::new(App {
        db: db.clone(),
        writer: writer.clone(),
        demo: demo_mode,
        metrics: metrics.clone(),
        auth: Arc::new(auth),
        // Two renders at a time: typesetting is CPU work, and the machine's other requests come first.
        pdf: Arc::new(meldroute_pdf::PdfRenderer::new(2)),
        team: team.clone(),
        chronologies: chronologies.clone(),
        names: Default::default(),
        route_histories: Default::default(),
        trusted_proxies: Arc::new(settings.trusted_proxies.clone()),
        public_url: settings.public_url.clone(),
    });
    let purge_task = spawn_purge(db.clone(), state.auth.clone());
    let app = meldroute_web::router(state);

    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("meldroute is running at http://{local}/");
    println!("database: {}", settings.database_url_redacted());
    if let Some(logins) = &demo_logins {
        demo::print_logins(logins);
    }
    tracing::info!(addr = %local, backend = ?db.backend(), demo = demo_mode, "listening");

    let metrics_task = metrics_listener.map(|listener| {
        let writer = writer.clone();
        let chronologies = chronologies.clone();
        let db = db.clone();
        let metrics = metrics.clone();
        let route = get(move || {
            let text = metrics.render(&[
                (
                    "meldroute_writer_batches_total",
                    "Durable write transactions committed.",
                    writer.stats().batches.load(Relaxed) as f64,
                ),
                (
                    "meldroute_writer_ops_total",
                    "Durable write operations processed.",
                    writer.stats().ops.load(Relaxed) as f64,
                ),
                (
                    "meldroute_writer_retried_batches_total",
                    "Write batches applied a second time, with a savepoint around every operation (PostgreSQL).",
                    meldroute_store::BatchApply::batches_retried(&db) as f64,
                ),
                (
                    "meldroute_chronology_cache_dossiers",
                    "Dossiers whose chronology this node keeps in memory.",
                    chronologies.len() as f64,
                ),
                (
                    "meldroute_session_lookups_memory_total",
                    "Session lookups answered from this node's memory.",
                    db.lookup_cache().counts().0 as f64,
                ),
                (
                    "meldroute_session_lookups_database_total",
                    "Session lookups read from the database while the memory was on.",
                    db.lookup_cache().counts().1 as f64,
                ),
                (
                    "meldroute_dossier_lookups_memory_total",
                    "Dossier contexts (dossier, pupil, locations, shares) answered from this node's memory.",
                    db.lookup_cache().context_counts().0 as f64,
                ),
                (
                    "meldroute_dossier_lookups_database_total",
                    "Dossier contexts read from the database while the memory was on.",
                    db.lookup_cache().context_counts().1 as f64,
                ),
                (
                    "meldroute_session_cache_on",
                    "1 while this node keeps session lookups and dossier contexts (on PostgreSQL: while it hears \
                     every change), else 0.",
                    f64::from(u8::from(db.lookup_cache().is_on())),
                ),
            ]);
            async move { text }
        });
        tokio::spawn(async move {
            let app = axum::Router::new().route("/metrics", route);
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "metrics listener stopped");
            }
        })
    });
    drop(writer);

    let shutdown = shutdown_signal();
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Live streams never end by themselves; end them so the server can stop.
            team.shutdown();
        })
        .await
        .map_err(|e| format!("the server stopped: {e}"))?;

    tracing::info!("no more requests; finishing queued writes");
    if let Some(task) = metrics_task {
        task.abort();
    }
    if let Some(task) = team_listener {
        task.abort();
    }
    purge_task.abort();
    // Every `Writer` handle is gone with the router, so the writer drains its queue and stops.
    let _ = writer_task.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Deletes ended sessions, spent throttle rows and spent links now and every ten minutes (data minimisation:
/// they are refused on use, but would otherwise stay). Counts only in the log, never keys or addresses.
fn spawn_purge(
    db: meldroute_database::Database,
    auth: Arc<meldroute_web::auth::AuthConfig>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(meldroute_web::auth::PURGE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match meldroute_web::auth::purge_expired(&db, &auth).await {
                Ok(p) if p.sessions + p.throttle + p.links > 0 => {
                    tracing::info!(sessions = p.sessions, throttle = p.throttle, links = p.links, "purged expired rows")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not purge expired sessions and throttle rows; trying again later")
                }
            }
        }
    })
}

async fn bind(addr: std::net::SocketAddr, flag: &str) -> Result<TcpListener, String> {
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("cannot listen on {addr}: the port is already in use; stop the other program or choose another address with {flag}")
        } else {
            format!("cannot listen on {addr}: {e}; choose another address with {flag}")
        }
    })
}

/// Registers the handlers for SIGTERM and Ctrl-C now, and returns a future that ends at the first of them.
/// Registering eagerly matters: the graceful-shutdown future is first polled on a task of its own, and a
/// signal that arrives before that (a fast supervisor, a test) would otherwise kill the process unhandled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let (mut term, mut int) = handlers;
            let terminate = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let interrupt = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = terminate => {},
                () = interrupt => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested");
    }
}

/// Log lines are formatted on the request's thread and written by a thread of their own, in batches: a line
/// per request written straight to stderr under its lock was a few percent of a page's work
/// (docs/performance.md). No line is dropped: when the queue is full, the request waits, as it did before.
/// The guard writes out what is queued when it is dropped; `None` when a subscriber was already installed.
fn init_logging(format: LogFormat) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("MELDROUTE_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("meldroute-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.ok().map(|()| guard)
}
