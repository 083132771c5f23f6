//! The OpenAPI 3.1 document of `/api/v1`, written by hand so it says what we mean (descriptions, error
//! codes, the bearer scheme). A test checks that it lists exactly the `/api/v1` routes of the route table.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `GET /api/v1/openapi.json` (public: it describes the API, it holds no data).
pub async fn document_handler() -> Response {
    Json(document()).into_response()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn ok_json(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn id_param(what: &str) -> Value {
    json!({
        "name": "id", "in": "path", "required": true,
        "description": format!("The {what}'s id."),
        "schema": { "type": "integer", "format": "int64", "minimum": 1 }
    })
}

fn common_errors(mut responses: Value) -> Value {
    responses["401"] = json!({ "$ref": "#/components/responses/Unauthorized" });
    responses["404"] = json!({ "$ref": "#/components/responses/NotFound" });
    responses["503"] = json!({ "$ref": "#/components/responses/Unavailable" });
    responses
}

fn body_errors(mut responses: Value) -> Value {
    responses["400"] = error_response("The body is not JSON (`malformed_json`).");
    responses["413"] = error_response("The body is larger than 256 KiB (`payload_too_large`).");
    responses["415"] = error_response("The body is not `application/json` (`unsupported_media_type`).");
    responses["422"] = error_response(
        "The body has the wrong shape (`invalid_body`: unknown, missing or mistyped fields), or the meldcode does \
         not allow this entry now: then `code` is the domain's error code (e.g. `question_out_of_order`, \
         `report_board_not_informed`) and `field` names the entry field concerned.",
    );
    responses
}

/// The document.
pub fn document() -> Value {
    let bearer = json!([{ "bearer": [] }]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "meldroute API",
            "version": "1",
            "description": "The dossiers of the meldcode huiselijk geweld en kindermishandeling, for integrations. \
                Authenticate with a personal API token (`Authorization: Bearer mr_...`), created on /account/tokens \
                or with `meldroute admin token create`. Every call is authorized and audited exactly as the web \
                pages are; anything not found or not allowed is answered with 404."
        },
        "servers": [{ "url": "/" }],
        "security": bearer,
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "security": [],
                    "responses": { "200": ok_json("The OpenAPI document.", json!({ "type": "object" })) }
                }
            },
            "/api/v1/pupils": {
                "get": {
                    "summary": "Pupils the user may list, optionally matching a name",
                    "operationId": "listPupils",
                    "parameters": [{
                        "name": "q", "in": "query", "required": false,
                        "description": "Part of a first or last name (case-insensitive, at most 100 characters).",
                        "schema": { "type": "string", "maxLength": 100 }
                    }],
                    "responses": common_errors(json!({
                        "200": ok_json("The pupils (at most 200 per location).", json!({
                            "type": "object", "required": ["pupils"],
                            "properties": { "pupils": { "type": "array", "items": { "$ref": "#/components/schemas/PupilSummary" } } }
                        }))
                    }))
                }
            },
            "/api/v1/pupils/{id}": {
                "get": {
                    "summary": "One pupil with the dossiers the user may read",
                    "operationId": "getPupil",
                    "parameters": [id_param("pupil")],
                    "responses": common_errors(json!({ "200": ok_json("The pupil.", json!({ "$ref": "#/components/schemas/Pupil" })) }))
                }
            },
            "/api/v1/pupils/{id}/dossiers": {
                "post": {
                    "summary": "Open a dossier for the pupil with its first entry",
                    "operationId": "openDossier",
                    "parameters": [id_param("pupil")],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OpenDossier" } } }
                    },
                    "responses": body_errors(common_errors(json!({
                        "201": ok_json("Opened.", json!({
                            "type": "object", "required": ["dossier_id"],
                            "properties": { "dossier_id": { "type": "integer", "format": "int64" } }
                        }))
                    })))
                }
            },
            "/api/v1/dossiers/{id}": {
                "get": {
                    "summary": "A dossier's metadata and listing projection",
                    "operationId": "getDossier",
                    "parameters": [id_param("dossier")],
                    "responses": common_errors(json!({ "200": ok_json("The dossier.", json!({ "$ref": "#/components/schemas/Dossier" })) }))
                }
            },
            "/api/v1/dossiers/{id}/entries": {
                "get": {
                    "summary": "The chronology, as far as the user may see it",
                    "operationId": "listEntries",
                    "parameters": [id_param("dossier"), {
                        "name": "kind", "in": "query", "required": false,
                        "description": "Only entries of this kind.",
                        "schema": { "$ref": "#/components/schemas/EntryKind" }
                    }],
                    "responses": common_errors(json!({
                        "200": ok_json("The entries in chronological order.", json!({
                            "type": "object", "required": ["dossier_id", "last_seq", "entries"],
                            "properties": {
                                "dossier_id": { "type": "integer", "format": "int64" },
                                "last_seq": { "type": "integer", "format": "int64" },
                                "entries": { "type": "array", "items": { "$ref": "#/components/schemas/Entry" } }
                            }
                        }))
                    }))
                },
                "post": {
                    "summary": "Append an entry (afwegingskader answers, conversations, reports, ...)",
                    "description": "The entry is validated by the meldcode engine against the chronology; with \
                        `expected_last_seq` a newer chronology is refused with 409 instead of being re-validated.",
                    "operationId": "appendEntry",
                    "parameters": [id_param("dossier")],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AppendEntry" } } }
                    },
                    "responses": body_errors(common_errors(json!({
                        "201": ok_json("Appended.", json!({
                            "type": "object", "required": ["entry_id", "seq"],
                            "properties": {
                                "entry_id": { "type": "integer", "format": "int64" },
                                "seq": { "type": "integer", "format": "int64" }
                            }
                        })),
                        "409": error_response("`expected_last_seq` is stale: another entry landed first (`stale`).")
                    })))
                }
            },
            "/api/v1/dossiers/{id}/state": {
                "get": {
                    "summary": "The engine's state: step, afwegingskader, meldingen, deadlines, next actions",
                    "operationId": "getDossierState",
                    "parameters": [id_param("dossier")],
                    "responses": common_errors(json!({ "200": ok_json("The state.", json!({ "$ref": "#/components/schemas/DossierState" })) }))
                }
            },
            "/api/v1/dossiers/{id}/attachments/{attachment}": {
                "get": {
                    "summary": "The file of an attachment entry",
                    "description": "Allowed to whoever may read the dossier and see its `attachment` entries (an \
                        external partner only when the share includes them); otherwise 404. Served as a download \
                        with the media type found from the content when it was added (`media_type` of the entry), \
                        `Content-Disposition: attachment` with the file name, `Cache-Control: no-store` and a \
                        sandboxing Content-Security-Policy. Every download is audited. Uploading is done on the \
                        dossier page (`multipart/form-data`); the API does not take files.",
                    "operationId": "getAttachment",
                    "parameters": [id_param("dossier"), {
                        "name": "attachment", "in": "path", "required": true,
                        "description": "The entry's `attachment_id`.",
                        "schema": { "type": "string", "pattern": "^[0-9a-f]{32}$" }
                    }],
                    "responses": common_errors(json!({
                        "200": {
                            "description": "The file, byte for byte as it was added.",
                            "content": {
                                "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } },
                                "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } },
                                "image/jpeg": { "schema": { "type": "string", "contentMediaType": "image/jpeg" } },
                                "text/plain": { "schema": { "type": "string" } }
                            }
                        }
                    }))
                }
            },
            "/api/v1/tasks": {
                "get": {
                    "summary": "Deadlines across the dossiers the user may see, by date",
                    "operationId": "listTasks",
                    "responses": common_errors(json!({
                        "200": ok_json("The tasks.", json!({
                            "type": "object", "required": ["today", "tasks"],
                            "properties": {
                                "today": { "type": "string", "format": "date" },
                                "tasks": { "type": "array", "items": { "$ref": "#/components/schemas/Task" } }
                            }
                        }))
                    }))
                }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http", "scheme": "bearer",
                    "description": "A personal API token: `mr_` followed by 64 hexadecimal digits."
                }
            },
            "responses": {
                "Unauthorized": {
                    "description": "No token (`unauthorized`) or an unknown, expired or revoked token, or a disabled account (`invalid_token`).",
                    "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "NotFound": error_response("Not found, or not allowed for this user (the two are indistinguishable on purpose)."),
                "Unavailable": error_response("The database or the audit log failed; nothing was done (`unavailable`).")
            },
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    let kinds: Vec<&str> = meldroute_domain::EntryKind::ALL.iter().map(|k| k.as_str()).collect();
    let reason = json!({
        "type": "object", "required": ["rule", "args", "text"],
        "properties": {
            "rule": { "type": "string", "description": "A stable rule id of the engine, e.g. `meldnorm_1_unsafety`." },
            "args": { "type": "object", "additionalProperties": { "type": "string" } },
            "text": { "type": "string", "description": "The reason in the user's language." }
        }
    });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {
                "error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {
                        "code": { "type": "string", "description": "Stable: `unauthorized`, `invalid_token`, `not_found`, `malformed_json`, `invalid_body`, `unsupported_media_type`, `payload_too_large`, `stale`, `unavailable`, or a domain error code." },
                        "message": { "type": "string", "description": "For people, in the user's language." },
                        "field": { "type": "string", "description": "The field concerned, when there is one." },
                        "detail": { "type": "string", "description": "The JSON parser's explanation of a malformed body." }
                    }
                }
            }
        },
        "Reason": reason,
        "EntryKind": { "type": "string", "enum": kinds },
        "EntryBody": {
            "type": "object", "required": ["kind"],
            "description": "An entry's content: `kind` plus the fields of that kind (unknown fields are refused). \
                For example an observation: `{\"kind\": \"observation\", \"facts\": \"...\", \"source\": \"own_observation\"}`; \
                an afwegingskader answer: `{\"kind\": \"assessment_answer\", \"question\": \"q1\", \"answer\": \"ja\", \
                \"reasoning\": \"...\", \"answered_by\": \"...\"}`. An attachment entry reads \
                `{\"kind\": \"attachment\", \"attachment_id\": \"<32 hex>\", \"file_name\": \"...\", \"media_type\": \
                \"application/pdf\", \"size_bytes\": 1234, \"sha256\": \"<64 hex>\", \"description\": \"...\"}`; its file \
                is at `/api/v1/dossiers/{id}/attachments/{attachment_id}`. Attachments are added with their file on \
                the dossier page; appending one through this API is refused (`attachment_without_file`).",
            "properties": { "kind": { "$ref": "#/components/schemas/EntryKind" } },
            "additionalProperties": true
        },
        "OpenDossier": {
            "type": "object", "required": ["entry"], "additionalProperties": false,
            "properties": {
                "entry": { "$ref": "#/components/schemas/EntryBody" },
                "occurred_on": { "type": "string", "format": "date" }
            }
        },
        "AppendEntry": {
            "type": "object", "required": ["entry"], "additionalProperties": false,
            "properties": {
                "entry": { "$ref": "#/components/schemas/EntryBody" },
                "occurred_on": { "type": "string", "format": "date" },
                "expected_last_seq": { "type": "integer", "format": "int64" }
            }
        },
        "PupilSummary": {
            "type": "object", "required": ["id", "first_name", "last_name", "location"],
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "first_name": { "type": "string" },
                "last_name": { "type": "string" },
                "location": { "$ref": "#/components/schemas/Named" },
                "group": { "oneOf": [{ "$ref": "#/components/schemas/Named" }, { "type": "null" }] }
            }
        },
        "Named": {
            "type": "object", "required": ["id", "name"],
            "properties": { "id": { "type": "integer", "format": "int64" }, "name": { "type": "string" } }
        },
        "Pupil": {
            "type": "object", "required": ["id", "first_name", "last_name", "dossiers", "siblings_with_open_dossier"],
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "first_name": { "type": "string" },
                "last_name": { "type": "string" },
                "date_of_birth": { "type": ["string", "null"], "format": "date" },
                "location": { "type": "object" },
                "group": { "oneOf": [{ "$ref": "#/components/schemas/Named" }, { "type": "null" }] },
                "dossiers": { "type": "array", "items": { "$ref": "#/components/schemas/DossierSummary" } },
                "siblings_with_open_dossier": { "type": "array", "items": { "type": "object" } }
            }
        },
        "DossierSummary": {
            "type": "object",
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "pupil_id": { "type": "integer", "format": "int64" },
                "opened_at": { "type": "string", "format": "date-time" },
                "step": { "type": "integer", "minimum": 1, "maximum": 6 },
                "closed": { "type": "boolean" },
                "urgent": { "type": "boolean" },
                "next_due": { "type": ["string", "null"], "format": "date" },
                "last_seq": { "type": "integer", "format": "int64" }
            }
        },
        "Dossier": {
            "type": "object",
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "pupil": { "type": "object" },
                "location_id": { "type": "integer", "format": "int64" },
                "opened_at": { "type": "string", "format": "date-time" },
                "opened_by": { "type": "integer", "format": "int64" },
                "updated_at": { "type": "string", "format": "date-time" },
                "last_seq": { "type": "integer", "format": "int64" },
                "limited": { "type": "boolean", "description": "An external partner's view of the shared entry kinds only." },
                "projection": { "type": "object" }
            }
        },
        "Entry": {
            "type": "object", "required": ["id", "seq", "kind", "author_id", "recorded_at", "body"],
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "seq": { "type": "integer" },
                "kind": { "$ref": "#/components/schemas/EntryKind" },
                "author_id": { "type": "integer", "format": "int64" },
                "recorded_at": { "type": "string", "format": "date-time" },
                "occurred_on": { "type": ["string", "null"], "format": "date" },
                "corrected_by": { "type": ["integer", "null"], "description": "The id of the latest correction of this entry." },
                "body": { "$ref": "#/components/schemas/EntryBody" }
            }
        },
        "DossierState": {
            "type": "object", "required": ["dossier_id", "limited", "step", "closed"],
            "properties": {
                "dossier_id": { "type": "integer", "format": "int64" },
                "limited": { "type": "boolean" },
                "step": { "type": "object", "properties": { "number": { "type": "integer" }, "code": { "type": "string" }, "label": { "type": "string" } } },
                "closed": { "type": "boolean" },
                "round": { "type": "integer" },
                "answers": { "type": "object", "additionalProperties": { "type": "string", "enum": ["ja", "nee", "twijfel"] } },
                "afwegingskader": {
                    "type": "object",
                    "properties": {
                        "next_question": { "type": ["object", "null"], "properties": { "code": { "type": "string" }, "number": { "type": "integer" }, "text": { "type": "string" } } },
                        "with_veilig_thuis": { "type": "boolean" },
                        "hulp": { "type": "string", "enum": ["geen", "starten", "afsluiten_met_monitoring"] },
                        "closed": { "type": "boolean" },
                        "reasons": { "type": "array", "items": { "$ref": "#/components/schemas/Reason" } },
                        "conflict": { "type": ["string", "null"] }
                    }
                },
                "meldingen": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "meldnorm": { "type": "integer", "minimum": 1, "maximum": 3 },
                            "after": { "type": "string" },
                            "triggered_by": { "type": ["integer", "null"] },
                            "reported_in": { "type": ["integer", "null"] },
                            "due": { "type": "boolean" },
                            "reason": { "$ref": "#/components/schemas/Reason" }
                        }
                    }
                },
                "deadlines": { "type": "array", "items": { "$ref": "#/components/schemas/Deadline" } },
                "next_actions": {
                    "type": "array",
                    "items": { "type": "object", "properties": { "kind": { "type": "string" }, "reason": { "$ref": "#/components/schemas/Reason" } } }
                },
                "flags": { "type": "object" }
            }
        },
        "Deadline": {
            "type": "object", "required": ["kind", "due", "overdue", "reason"],
            "properties": {
                "kind": { "type": "string", "enum": ["veilig_thuis_decision", "help_term_end", "next_evaluation", "follow_up_conversation"] },
                "due": { "type": "string", "format": "date" },
                "overdue": { "type": "boolean" },
                "source_entry": { "type": "integer", "format": "int64" },
                "reason": { "$ref": "#/components/schemas/Reason" }
            }
        },
        "Task": {
            "allOf": [
                { "$ref": "#/components/schemas/Deadline" },
                { "type": "object", "required": ["dossier_id", "pupil"], "properties": {
                    "dossier_id": { "type": "integer", "format": "int64" },
                    "pupil": { "type": "object" }
                } }
            ]
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_document_lists_exactly_the_api_routes() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object().unwrap().keys().map(move |method| (method.to_uppercase(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = crate::routes::specs()
            .into_iter()
            .filter(|s| s.path.starts_with("/api/v1"))
            .map(|s| (s.method.to_string(), s.path.to_string()))
            .collect();
        assert!(!routed.is_empty());
        assert_eq!(documented, routed, "the OpenAPI document and the route table disagree");
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("\"$ref\":\"#/") {
            let start = i + "\"$ref\":\"#/".len();
            let end = start + rest[start..].find('"').unwrap();
            let pointer = format!("/{}", &rest[start..end]);
            assert!(doc.pointer(&pointer).is_some(), "dangling reference {pointer}");
            rest = &rest[end..];
        }
    }

    #[test]
    fn every_protected_operation_uses_the_bearer_scheme() {
        let doc = document();
        assert_eq!(doc["security"][0]["bearer"], json!([]));
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(doc["paths"]["/api/v1/openapi.json"]["get"]["security"], json!([]));
    }
}
