#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The renderer bounds concurrent renders and keeps the async runtime free.

use std::time::{Duration, Instant};

use meldroute_pdf::{Document, PdfRenderer, sample};

fn docs(n: usize) -> Vec<Document> {
    (0..n)
        .map(|i| match i % 3 {
            0 => Document::RouteCard(sample::route_card()),
            1 => Document::Protocol(sample::protocol()),
            _ => Document::Report(sample::report()),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn never_more_than_max_concurrent_in_flight() {
    let renderer = PdfRenderer::new(2);
    assert_eq!(renderer.max_concurrent(), 2);
    let mut tasks = tokio::task::JoinSet::new();
    for doc in docs(8) {
        let r = renderer.clone();
        tasks.spawn(async move { r.render(doc).await });
    }
    // Sample the gauge while the renders run.
    let mut seen_max = 0;
    let mut samples = 0;
    while renderer.completed() < 8 {
        let now = renderer.in_flight();
        assert!(now <= 2, "{now} renders in flight");
        seen_max = seen_max.max(now);
        samples += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    while let Some(result) = tasks.join_next().await {
        let pdf = result.unwrap().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
    assert!(samples > 5);
    assert_eq!(renderer.peak_in_flight(), 2, "the bound was reached but never exceeded");
    assert!(seen_max >= 1);
    assert_eq!(renderer.in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_renders_of_the_same_document_are_identical() {
    let renderer = PdfRenderer::new(2);
    let a = renderer.render(Document::RouteCard(sample::route_card()));
    let b = renderer.render(Document::RouteCard(sample::route_card()));
    let (a, b) = tokio::join!(a, b);
    assert!(a.unwrap() == b.unwrap());
}

/// On a single-threaded runtime, a render that blocked the runtime thread would stop the timer.
#[tokio::test(flavor = "current_thread")]
async fn a_timer_keeps_ticking_while_rendering() {
    let renderer = PdfRenderer::new(2);
    let start = Instant::now();
    let renders = async {
        let mut out = Vec::new();
        for doc in docs(3) {
            out.push(renderer.render(doc).await);
        }
        out
    };
    let ticker = async {
        let mut ticks = 0u32;
        let mut interval = tokio::time::interval(Duration::from_millis(5));
        loop {
            interval.tick().await;
            ticks += 1;
            if renderer.completed() == 3 {
                return ticks;
            }
        }
    };
    let (results, ticks) = tokio::join!(renders, ticker);
    let elapsed = start.elapsed();
    for r in results {
        assert!(r.unwrap().starts_with(b"%PDF-"));
    }
    // Ticks every 5 ms: expect at least a third of the possible ticks.
    let possible = (elapsed.as_millis() / 5) as u32;
    assert!(ticks * 3 >= possible && ticks >= 5, "{ticks} ticks in {elapsed:?}");
}

#[tokio::test]
async fn zero_is_taken_as_one() {
    let renderer = PdfRenderer::new(0);
    assert_eq!(renderer.max_concurrent(), 1);
    let pdf = renderer.render(Document::Report(sample::report())).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}
