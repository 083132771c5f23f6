//! Renders the sample documents into a directory: `cargo run -p meldroute-pdf --example
//! render_samples -- /tmp/pdf-samples`.

use std::time::Instant;

use meldroute_pdf::{Document, render_blocking, sample};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "pdf-samples".to_owned());
    std::fs::create_dir_all(&dir)?;
    let docs = [
        ("route-card", Document::RouteCard(sample::route_card())),
        ("protocol", Document::Protocol(sample::protocol())),
        ("report", Document::Report(sample::report())),
    ];
    for (name, doc) in &docs {
        let start = Instant::now();
        let pdf = render_blocking(doc)?;
        let first = start.elapsed();
        let start = Instant::now();
        let again = render_blocking(doc)?;
        let second = start.elapsed();
        let path = format!("{dir}/{name}.pdf");
        std::fs::write(&path, &pdf)?;
        println!(
            "{path}: {} bytes, first render {:.0} ms, second {:.0} ms, identical: {}",
            pdf.len(),
            first.as_secs_f64() * 1000.0,
            second.as_secs_f64() * 1000.0,
            pdf == again
        );
    }
    Ok(())
}
