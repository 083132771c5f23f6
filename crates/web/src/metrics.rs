//! A small Prometheus registry: request counts and latency histograms per route template, method and
//! status, plus values the binary adds (such as the writer's batch counts). Route templates
//! (`/dossiers/{id}`), never raw paths, so no id or search term ends up in a metric label.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Series by route, method and status: nested, so that counting a request of a route seen before looks its
/// series up by `&str` and allocates nothing.
type Requests = BTreeMap<String, BTreeMap<String, BTreeMap<u16, Series>>>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Requests>,
}

impl Metrics {
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let Ok(mut map) = self.requests.lock() else { return };
        let methods = match map.get_mut(route) {
            Some(methods) => methods,
            None => map.entry(route.to_string()).or_default(),
        };
        let statuses = match methods.get_mut(method) {
            Some(statuses) => statuses,
            None => methods.entry(method.to_string()).or_default(),
        };
        let series = statuses.entry(status).or_default();
        series.count += 1;
        series.sum_seconds += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                series.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition, with `extra` gauges/counters appended as `(name, help, value)`.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP meldroute_http_requests_total HTTP requests answered.");
        let _ = writeln!(out, "# TYPE meldroute_http_requests_total counter");
        let map = match self.requests.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        let series: Vec<(&String, &String, &u16, &Series)> = map
            .iter()
            .flat_map(|(route, methods)| {
                methods
                    .iter()
                    .flat_map(move |(method, statuses)| statuses.iter().map(move |(st, s)| (route, method, st, s)))
            })
            .collect();
        for &(route, method, status, s) in &series {
            let _ = writeln!(
                out,
                "meldroute_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(out, "# HELP meldroute_http_request_duration_seconds Time to answer HTTP requests.");
        let _ = writeln!(out, "# TYPE meldroute_http_request_duration_seconds histogram");
        for &(route, method, status, s) in &series {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "meldroute_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(out, "meldroute_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "meldroute_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_seconds);
            let _ = writeln!(out, "meldroute_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        for (name, help, value) in extra {
            let _ = writeln!(out, "# HELP {name} {help}");
            // By the naming convention, a counter's name ends in `_total`; anything else is a gauge.
            let kind = if name.ends_with("_total") { "counter" } else { "gauge" };
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::default();
        m.record("/healthz", "GET", 200, Duration::from_millis(3));
        m.record("/healthz", "GET", 200, Duration::from_millis(30));
        let text = m.render(&[
            ("meldroute_writer_batches_total", "Write batches committed.", 4.0),
            ("meldroute_chronology_cache_dossiers", "Dossiers kept.", 2.0),
        ]);
        assert!(text.contains("meldroute_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("# TYPE meldroute_writer_batches_total counter\nmeldroute_writer_batches_total 4\n"));
        assert!(
            text.contains("# TYPE meldroute_chronology_cache_dossiers gauge\nmeldroute_chronology_cache_dossiers 2\n")
        );
    }
}
