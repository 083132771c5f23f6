//! Attachments (issue 5): upload through the dossier page's form, download byte for byte with safe headers,
//! refusals named at the file field with nothing saved, and the same access rules as the chronology.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

const PDF: &[u8] =
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1];
const MIB: usize = 1024 * 1024;

fn link_after(page: &str, prefix: &str) -> Option<String> {
    let start = page.find(&format!("href=\"{prefix}"))? + "href=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_string())
}

fn pupil_link(list: &str, name: &str) -> String {
    let at = list.find(name).unwrap_or_else(|| panic!("{name} not in list"));
    let start = list[..at].rfind("href=\"/pupils/").unwrap() + "href=\"".len();
    let end = list[start..].find('"').unwrap() + start;
    list[start..end].to_string()
}

/// Every attachment download link on a dossier page, in page order.
fn attachment_links(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find("href=\"/dossiers/") {
        let start = at + "href=\"".len();
        let end = rest[start..].find('"').unwrap() + start;
        let link = &rest[start..end];
        if link.contains("/attachments/") && !out.iter().any(|l| l == link) {
            out.push(link.to_string());
        }
        rest = &rest[end..];
    }
    out
}

fn entry_count(page: &str) -> usize {
    page.matches("<li class=\"entry").count()
}

fn assert_download_headers(r: &Response, content_type: &str, encoded_name: &str) {
    assert_eq!(r.header("content-type"), Some(content_type));
    let disposition = r.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains(&format!("filename*=UTF-8''{encoded_name}")), "{disposition}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.starts_with("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"), "{csp}");
}

#[tokio::test]
async fn upload_download_refusals_and_access() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let list = teacher.get("/pupils");
    let pupil = teacher.get(&pupil_link(&list.body, "Daan Denkbeeld"));
    let dossier = link_after(&pupil.body, "/dossiers/").unwrap();
    let page = teacher.get(&dossier);
    assert_eq!(page.status, 200);

    // The demo attachment is shown with name, type and size, and downloads as the text it is.
    assert!(page.body.contains("observatie-pauzes-daan.txt") && page.body.contains("(TXT, "), "{}", page.body);
    let demo_link = attachment_links(&page.body).into_iter().next().expect("a download link");
    let demo = teacher.get(&demo_link);
    assert_eq!(demo.status, 200);
    assert!(demo.body.starts_with("Aantekeningen pauzes (fictief demovoorbeeld)"));
    assert_download_headers(&demo, "text/plain; charset=utf-8", "observatie-pauzes-daan.txt");

    // The form works without JavaScript: multipart, the token first.
    let form_at = page.body.find("enctype=\"multipart/form-data\"").expect("the upload form");
    assert!(page.body[form_at..].find("name=\"_csrf\"") < page.body[form_at..].find("name=\"file\""));
    let csrf = Browser::csrf_of(&page);
    let upload = format!("{dossier}/attachments");
    let before = entry_count(&page.body);

    // A PDF lands, and comes back byte for byte.
    let r = teacher.post_multipart(
        &upload,
        &[("_csrf", &csrf), ("description", "Ondertekend gespreksverslag")],
        Some(("file", "gespreksverslag één.pdf", PDF)),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().starts_with(&format!("{dossier}#entry-")));
    let page = teacher.get(&dossier);
    assert_eq!(entry_count(&page.body), before + 1);
    assert!(page.body.contains("gespreksverslag één.pdf") && page.body.contains("Ondertekend gespreksverslag"));
    assert!(page.body.contains("(PDF, "));
    let links = attachment_links(&page.body);
    assert_eq!(links.len(), 2);
    let pdf_link = links.iter().find(|l| **l != demo_link).unwrap().clone();
    let pdf = teacher.get(&pdf_link);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.bytes, PDF, "byte-exact download");
    assert_download_headers(&pdf, "application/pdf", "gespreksverslag%20%C3%A9%C3%A9n.pdf");

    // A PNG that calls itself a PDF: 422, the problem at the file field, the description kept, nothing saved.
    let r = teacher.post_multipart(
        &upload,
        &[("_csrf", &csrf), ("description", "Tekening van Daan")],
        Some(("file", "tekening.pdf", PNG)),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Dit bestand is geen PDF-bestand, hoewel de naam op .pdf eindigt"), "{}", r.body);
    assert!(r.body.contains("aria-describedby=\"attachment-file-error attachment-file-hint\""), "{}", r.body);
    assert!(r.body.contains("id=\"attachment-file-error\""));
    assert!(r.body.contains(">Tekening van Daan</textarea>"), "the description is kept");
    // An empty file and an unknown type are named too.
    let r = teacher.post_multipart(&upload, &[("_csrf", &csrf)], Some(("file", "leeg.txt", b"")));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("leeg"), "{}", r.body);
    let r = teacher.post_multipart(&upload, &[("_csrf", &csrf)], Some(("file", "brief.docx", b"PK\x03\x04")));
    assert_eq!(r.status, 422);
    assert!(r.body.contains(".pdf, .png, .jpg, .jpeg of .txt"), "{}", r.body);

    // Too large: just over the limit (the size check), and far over it (the route's body limit). Both say
    // the limit in the same words, on the form, not a bare 413.
    let just_over = {
        let mut v = b"%PDF-1.4\n".to_vec();
        v.resize(10 * MIB + 1, b'a');
        v
    };
    let r = teacher.post_multipart(&upload, &[("_csrf", &csrf)], Some(("file", "groot.pdf", &just_over)));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Een bijlage mag hoogstens 10 MiB zijn."), "{}", r.body);
    let far_over = {
        let mut v = b"%PDF-1.4\n".to_vec();
        v.resize(10 * MIB + 200 * 1024, b'a');
        v
    };
    let r = teacher.post_multipart(
        &upload,
        &[("_csrf", &csrf), ("description", "veel te groot")],
        Some(("file", "enorm.pdf", &far_over)),
    );
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("Een bijlage mag hoogstens 10 MiB zijn."), "{}", r.body);
    assert!(r.body.contains(">veel te groot</textarea>"), "the description is kept");

    // Without (or with a wrong) form token: refused before anything is read.
    let r = teacher.post_multipart(&upload, &[("description", "x")], Some(("file", "a.pdf", PDF)));
    assert_eq!(r.status, 403);
    let r =
        teacher.post_multipart(&upload, &[("_csrf", "00000000000000000000000000000000")], Some(("file", "a.pdf", PDF)));
    assert_eq!(r.status, 403);
    // Nothing of the refused uploads was saved.
    let page = teacher.get(&dossier);
    assert_eq!(entry_count(&page.body), before + 1);
    assert_eq!(attachment_links(&page.body).len(), 2);

    // An attachment entry cannot be made without its file through the other routes.
    let r = teacher.post(&format!("{dossier}/entries"), &[("_csrf", &csrf), ("kind", "attachment")]);
    assert_eq!(r.status, 404);

    // A teacher of another school: 404 on upload and download, like any dossier she may not see.
    let mut mentor = Browser::new(&server);
    mentor.login("mentor.vo", &secret_of(&server, "mentor.vo"));
    let mentor_csrf = Browser::csrf_of(&mentor.get("/"));
    let r = mentor.post_multipart(&upload, &[("_csrf", &mentor_csrf)], Some(("file", "a.pdf", PDF)));
    assert_eq!(r.status, 404);
    assert_eq!(mentor.get(&pdf_link).status, 404);
    // An id of another dossier, or made up: 404.
    let (_, att_id) = pdf_link.rsplit_once('/').unwrap();
    assert_eq!(teacher.get(&format!("/dossiers/999999/attachments/{att_id}")).status, 404);
    assert_eq!(teacher.get(&format!("{dossier}/attachments/00000000000000000000000000000000")).status, 404);

    // The youth doctor: a share without attachments gives 404, with attachments 200.
    let mut af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));
    let shares = af.get(&format!("{dossier}/shares"));
    let share_csrf = Browser::csrf_of(&shares);
    let partner_id = {
        let marker = "<option value=\"";
        let at = shares.body.find("Jeroen Jeugdarts").unwrap();
        let start = shares.body[..at].rfind(marker).unwrap() + marker.len();
        shares.body[start..start + shares.body[start..].find('"').unwrap()].to_string()
    };
    let until = format!("{}-12-31", time::OffsetDateTime::now_utc().year() + 1);
    let share = |af: &mut Browser, kinds: &[&str]| {
        let mut fields = vec![("_csrf", share_csrf.as_str()), ("partner", partner_id.as_str()), ("until", &until)];
        fields.extend(kinds.iter().map(|k| ("kinds", *k)));
        let r = af.post(&format!("{dossier}/shares"), &fields);
        assert_eq!(r.status, 303, "{}", r.body);
    };
    share(&mut af, &["observation"]);
    let mut partner = Browser::new(&server);
    partner.login("jeugdarts", &secret_of(&server, "jeugdarts"));
    let shared = partner.get(&dossier);
    assert_eq!(shared.status, 200);
    assert!(!shared.body.contains("gespreksverslag"), "the attachment entry is not shown");
    assert!(!shared.body.contains("multipart/form-data"), "a partner gets no upload form");
    assert_eq!(partner.get(&pdf_link).status, 404);
    let partner_csrf = Browser::csrf_of(&partner.get("/"));
    let r = partner.post_multipart(&upload, &[("_csrf", &partner_csrf)], Some(("file", "a.pdf", PDF)));
    assert_eq!(r.status, 404, "a partner never adds");
    share(&mut af, &["attachment"]);
    let shared = partner.get(&dossier);
    assert!(shared.body.contains("gespreksverslag één.pdf"));
    let r = partner.get(&pdf_link);
    assert_eq!(r.status, 200);
    assert_eq!(r.bytes, PDF);

    // Every download, refused or not, and the upload are in the dossier's access log.
    let log = af.get(&format!("{dossier}/access-log"));
    assert!(log.body.contains("bijlage toegevoegd"), "{}", log.body);
    assert!(log.body.matches("bijlage gedownload").count() >= 6, "{}", log.body);
    assert!(log.body.contains("Jeroen Jeugdarts") && log.body.contains("denied"));

    // The API: the entry is listed like any other, the file comes with the same checks and headers, and an
    // attachment cannot be appended without its file.
    let tokens = teacher.get("/account/tokens");
    let made =
        teacher.post("/account/tokens", &[("_csrf", &Browser::csrf_of(&tokens)), ("name", "bijlagen"), ("days", "1")]);
    let marker = "<code id=\"new-token\">";
    let at = made.body.find(marker).unwrap() + marker.len();
    let bearer = format!("Bearer {}", &made.body[at..at + 67]);
    let auth = [("Authorization", bearer.as_str())];
    let id = dossier.trim_start_matches("/dossiers/");
    let entries = request(&server.addr, "GET", &format!("/api/v1/dossiers/{id}/entries?kind=attachment"), &auth, None);
    assert_eq!(entries.status, 200);
    let json = entries.json();
    let listed: Vec<&str> =
        json["entries"].as_array().unwrap().iter().map(|e| e["body"]["attachment_id"].as_str().unwrap()).collect();
    assert!(listed.contains(&att_id), "{json}");
    let api_file =
        request_bytes(&server.addr, "GET", &format!("/api/v1/dossiers/{id}/attachments/{att_id}"), &auth, None);
    assert_eq!(api_file.status, 200);
    assert_eq!(api_file.bytes, PDF);
    assert_download_headers(&api_file, "application/pdf", "gespreksverslag%20%C3%A9%C3%A9n.pdf");
    let missing =
        request(&server.addr, "GET", &format!("/api/v1/dossiers/{id}/attachments/{}", "0".repeat(32)), &auth, None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    let entry = json["entries"][0]["body"].clone();
    let body = serde_json::json!({ "entry": entry }).to_string();
    let r = request(
        &server.addr,
        "POST",
        &format!("/api/v1/dossiers/{id}/entries"),
        &[("Authorization", bearer.as_str()), ("Content-Type", "application/json")],
        Some(&body),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "attachment_without_file");
    env.finish().await;
}
