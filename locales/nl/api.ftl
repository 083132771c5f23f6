## The JSON API: error messages (the codes are stable; these texts are for people).

api-error-unauthorized = Log in met een persoonlijke API-sleutel: stuur de kopregel Authorization: Bearer met uw sleutel mee.
api-error-invalid_token = Deze API-sleutel werkt niet (meer): hij is onbekend, verlopen of ingetrokken, of het account is geblokkeerd.
api-error-not_found = Niet gevonden.
api-error-malformed_json = De inhoud van het verzoek is geen geldige JSON.
api-error-invalid_body = De inhoud van het verzoek klopt niet: een veld ontbreekt, is onbekend of heeft de verkeerde vorm.
api-error-unsupported_media_type = Stuur de inhoud als JSON (Content-Type: application/json).
api-error-payload_too_large = De inhoud van het verzoek is te groot (maximaal 256 KiB).
api-error-stale = Intussen is er iets aan dit dossier toegevoegd. Haal de tijdlijn opnieuw op en probeer het dan nog eens.
api-error-unavailable = Er ging iets mis met de opslag of het logboek. Er is niets gewijzigd; probeer het later opnieuw.

## Personal API tokens (/account/tokens).

api-tokens-title = API-sleutels
api-tokens-intro = Met een persoonlijke API-sleutel kan een ander programma namens u met meldroute werken, met precies dezelfde rechten als u. Elk gebruik wordt vastgelegd. Geef een sleutel nooit door en trek hem in zodra u hem niet meer nodig hebt.
api-tokens-new-heading = Uw nieuwe sleutel
api-tokens-new-once = Kopieer de sleutel nu en bewaar hem veilig. Hij wordt maar één keer getoond; meldroute bewaart alleen een onherleidbare vingerafdruk ervan.
api-tokens-list-heading = Uw sleutels
api-tokens-none = U hebt nog geen API-sleutels.
api-tokens-name = Naam
api-tokens-name-hint = Waarvoor gebruikt u de sleutel? Bijvoorbeeld: koppeling met het leerlingvolgsysteem.
api-tokens-days = Geldig (dagen)
api-tokens-days-hint = Van 1 tot en met 365 dagen. Daarna werkt de sleutel niet meer.
api-tokens-created = Aangemaakt
api-tokens-expires = Verloopt
api-tokens-last-used = Laatst gebruikt
api-tokens-never = nog niet
api-tokens-status = Status
api-tokens-status-active = actief
api-tokens-status-expired = verlopen
api-tokens-status-revoked = ingetrokken
api-tokens-revoke = Intrekken
api-tokens-create-heading = Nieuwe sleutel maken
api-tokens-create = Sleutel maken
api-tokens-error-name = Geef de sleutel een naam van hoogstens 100 tekens.
api-tokens-error-days = Vul een aantal dagen in van 1 tot en met 365.
