//! The join URL as a QR code, drawn as inline SVG (one path of dark modules; no script, no style).

use qrcode::{Color, EcLevel, QrCode};

/// Quiet zone around the code, in modules (the standard asks four).
const QUIET: usize = 4;

/// An `<svg>` element with the QR code of `text`, or `None` when the text does not fit a QR code.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let mut path = String::new();
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"team-qr\" viewBox=\"0 0 {size} {size}\" role=\"img\" \
         aria-label=\"{}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        escape(label)
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_url_becomes_an_svg_with_modules() {
        let svg = svg("https://school.example/t/ABCDE9", "QR \"code\"").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("aria-label=\"QR &quot;code&quot;\""));
        // A version-3 code (29 modules) plus the quiet zone.
        assert!(svg.contains("viewBox=\"0 0 37 37\""), "{svg}");
        assert!(svg.matches('M').count() > 100, "dark modules are drawn");
        assert!(!svg.contains("style"), "no inline style (CSP)");
    }
}
