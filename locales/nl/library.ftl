# Naslagwerk (reference library) and emergency numbers. The library content itself lives in
# crates/guidance/content/; these are only the texts around it.

nav-library = Naslagwerk
nav-main = Hoofdmenu
library-title = Naslagwerk
library-intro = Praktische uitleg bij de meldcode huiselijk geweld en kindermishandeling: wat u kunt zien, wat u doet, hoe u het gesprek voert en wanneer u meldt. Voor iedereen te lezen, ook zonder account.
library-sections = Onderdelen
library-search-label = Zoeken in het naslagwerk
library-search-hint = Bijvoorbeeld: oudersignalen, geheimhouding, meldnormen
library-search-submit = Zoeken
library-search-title = Zoeken in het naslagwerk
library-search-results = Resultaten
library-search-count = Gevonden onderdelen:
library-search-none = Niets gevonden. Probeer een ander of een korter woord.
library-search-empty = Vul een zoekwoord in.
library-search-too-long = Uw zoekvraag is te lang. Gebruik hooguit 100 tekens.
library-search-no-words = Gebruik minstens één woord van twee of meer letters of cijfers.
library-search-limited = Alleen de beste resultaten worden getoond. Maak uw zoekvraag specifieker om gerichter te zoeken.
library-contents = Op deze pagina
library-previous = Vorige
library-next = Volgende
library-print-hint = Afdrukken kan met Ctrl+P (Cmd+P op een Mac); de pagina is daarop ingericht.
library-note-note = Goed om te weten
library-note-tip = Tip
library-note-warning = Let op
library-heading-link = Link naar dit onderdeel
library-disclaimer = Dit naslagwerk is een hulpmiddel en vervangt geen overleg. Volg ook de meldcode en de routekaart van uw eigen school.
library-more = Meer hierover in het naslagwerk
library-language = Taal

emergency-bar-label = Noodnummers
emergency-112-short = acuut gevaar
emergency-vt-short = gratis, dag en nacht
emergency-more = Noodnummers en contacten
emergency-title = Noodnummers en contacten
emergency-intro = Twijfelt u aan de veiligheid van een kind? Wacht niet, bel.
emergency-112-title = 112: acuut gevaar
emergency-112-when = Bel 112 als iemands leven of gezondheid op dit moment in gevaar is, of als er nu geweld wordt gebruikt. U krijgt direct politie, ambulance of brandweer.
emergency-vt-title = Veilig Thuis: 0800-2000
emergency-vt-when = Bel Veilig Thuis om advies te vragen of een melding te doen bij zorgen over huiselijk geweld of kindermishandeling. Gratis en dag en nacht bereikbaar; advies vragen kan ook anoniem.
emergency-call = Bel
emergency-school-title = Nummers van uw school
emergency-school-empty = De nummers van uw school, zoals het regionale nummer van Veilig Thuis voor professionals en de contacten van uw partners, verschijnen hier zodra de routekaart van uw school is ingesteld.
emergency-school-anonymous = Na het inloggen ziet u hier ook de nummers van uw eigen school.
emergency-vt-professionals = Veilig Thuis, nummer voor professionals
emergency-library = Wat doet u bij zorgen over een kind? Lees het in het naslagwerk.
