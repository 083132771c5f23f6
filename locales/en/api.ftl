## The JSON API: error messages (the codes are stable; these texts are for people).

api-error-unauthorized = Authenticate with a personal API token: send the header Authorization: Bearer with your token.
api-error-invalid_token = This API token does not work (any more): it is unknown, expired or revoked, or the account is disabled.
api-error-not_found = Not found.
api-error-malformed_json = The request body is not valid JSON.
api-error-invalid_body = The request body is not right: a field is missing, unknown or of the wrong shape.
api-error-unsupported_media_type = Send the body as JSON (Content-Type: application/json).
api-error-payload_too_large = The request body is too large (at most 256 KiB).
api-error-stale = Something was added to this dossier in the meantime. Fetch the chronology again and then try once more.
api-error-unavailable = Something went wrong with the storage or the audit log. Nothing was changed; please try again later.

## Personal API tokens (/account/tokens).

api-tokens-title = API tokens
api-tokens-intro = With a personal API token another program can work with meldroute on your behalf, with exactly your rights. Every use is recorded. Never pass a token on, and revoke it as soon as you no longer need it.
api-tokens-new-heading = Your new token
api-tokens-new-once = Copy the token now and keep it safe. It is shown only this once; meldroute keeps only a fingerprint it cannot be recovered from.
api-tokens-list-heading = Your tokens
api-tokens-none = You have no API tokens yet.
api-tokens-name = Name
api-tokens-name-hint = What is the token for? For example: link with the pupil administration system.
api-tokens-days = Valid (days)
api-tokens-days-hint = From 1 to 365 days. After that the token stops working.
api-tokens-created = Created
api-tokens-expires = Expires
api-tokens-last-used = Last used
api-tokens-never = not yet
api-tokens-status = Status
api-tokens-status-active = active
api-tokens-status-expired = expired
api-tokens-status-revoked = revoked
api-tokens-revoke = Revoke
api-tokens-create-heading = Create a new token
api-tokens-create = Create token
api-tokens-error-name = Give the token a name of at most 100 characters.
api-tokens-error-days = Enter a number of days from 1 to 365.
