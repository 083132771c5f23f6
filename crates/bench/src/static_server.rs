//! `meldroute-bench-static`: a Rust web server on meldroute's own stack (tokio's multi-threaded runtime, hyper
//! through axum, mimalloc) that does nothing but answer `GET /{file}` with the bytes of that file of `--dir`,
//! read once and then kept in memory: no sessions, no database, no rendering, no audit row. `bench/run.sh`
//! drives it with the same load as nginx and meldroute, so the report shows how much of the distance between
//! the two is the HTTP stack itself and how much is meldroute's own work.
//!
//! Usage: meldroute-bench-static --dir DIR --addr 127.0.0.1:PORT

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, PoisonError, RwLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The same allocator as meldroute's binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Files {
    dir: PathBuf,
    kept: RwLock<HashMap<String, Bytes>>,
}

async fn file(State(files): State<Arc<Files>>, Path(name): Path<String>) -> Response {
    let kept = files.kept.read().unwrap_or_else(PoisonError::into_inner).get(&name).cloned();
    let bytes = match kept {
        Some(bytes) => bytes,
        // Only plain names of the directory itself.
        None if name.contains('/') || name.contains('\\') || name.starts_with('.') => {
            return StatusCode::NOT_FOUND.into_response();
        }
        None => match tokio::fs::read(files.dir.join(&name)).await {
            Ok(content) => {
                let bytes = Bytes::from(content);
                files.kept.write().unwrap_or_else(PoisonError::into_inner).insert(name.clone(), bytes.clone());
                bytes
            }
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let kind = if name.ends_with(".json") { "application/json" } else { "text/html; charset=utf-8" };
    ([(header::CONTENT_TYPE, kind)], bytes).into_response()
}

fn main() -> ExitCode {
    let mut dir = None;
    let mut addr = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--dir", Some(value)) => dir = Some(PathBuf::from(value)),
            ("--addr", Some(value)) => addr = Some(value),
            _ => {
                eprintln!("usage: meldroute-bench-static --dir DIR --addr HOST:PORT");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(dir), Some(addr)) = (dir, addr) else {
        eprintln!("usage: meldroute-bench-static --dir DIR --addr HOST:PORT");
        return ExitCode::from(2);
    };
    let files = Arc::new(Files { dir, kept: RwLock::default() });
    let app = axum::Router::new().route("/{name}", axum::routing::get(file)).with_state(files);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        axum::serve(listener, app).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meldroute-bench-static: {e}");
            ExitCode::FAILURE
        }
    }
}
