# Teksten van de meldcode-engine: redenen bij regels en foutmeldingen van het domein.
# Sleutels: rule-<regel-id> en error-<foutcode>. Houd deze lijst gelijk met locales/en/domain.ftl.

## Meldnormen

rule-meldnorm_1_disclosure = Melden is nodig: de leerling heeft zelf verteld over geweld (meldnorm 1). Meld aan Veilig Thuis en bespreek met hen het vervolg.
rule-meldnorm_1_unsafety = Melden is nodig: er is sprake van acute of structurele onveiligheid (meldnorm 1). Beantwoord de vragen 3 tot en met 5 samen met Veilig Thuis.
rule-meldnorm_1_doubt = Melden is nodig: er is twijfel over de veiligheid, en twijfel is nooit een reden om te wachten (meldnorm 1).
rule-meldnorm_1_doubt_education = Melden is nodig: bij ja of twijfel over de veiligheid meldt de school direct, telefonisch, bij Veilig Thuis (meldnorm 1).
rule-meldnorm_2_help_not_possible = Melden is nodig: de school of een partner kan geen hulp bieden of organiseren die de dreiging wegneemt (meldnorm 2).
rule-meldnorm_2_help_not_accepted = Melden is nodig: de betrokkenen aanvaarden de hulp niet of zetten zich er niet actief voor in (meldnorm 2).
rule-meldnorm_3_no_result = Opnieuw melden is nodig: de hulp leidt binnen de afgesproken termijn niet tot het afgesproken resultaat, of de onveiligheid keert terug (meldnorm 3).

## Antwoorden in het afwegingskader

rule-q1_no_close = Er is geen vermoeden van huiselijk geweld of kindermishandeling. Sluit de meldcode-route af en leg de conclusie vast. Hulp voor andere zorgen blijft mogelijk.
rule-q1_suspicion = Er is een vermoeden van (dreiging van) huiselijk geweld of kindermishandeling. Ga verder met vraag 2.
rule-q1_action_needed_education = Handelen is nodig: er is een sterk vermoeden. Het bevoegd gezag wordt geïnformeerd. Ga verder met vraag 2.
rule-q1_doubt_continue = Er is twijfel over het vermoeden. Twijfel telt als ja: ga verder met vraag 2.
rule-q2_no_unsafety = Er is geen acute of structurele onveiligheid. Ga verder met vraag 3.
rule-q3_help_possible = Passende hulp die de veiligheid voorop zet is mogelijk. Ga verder met vraag 4.
rule-q4_help_accepted = De betrokkenen aanvaarden de hulp. Start de hulp, spreek een termijn af en wijs een casemanager aan; beantwoord daarna vraag 5.
rule-q5_results_reached = De hulp heeft binnen de termijn het afgesproken resultaat. Sluit de hulp af met afspraken over het blijven volgen van de veiligheid.

## Wat nog nodig is

rule-next_question = Beantwoord vraag { $question } van het afwegingskader, met onderbouwing.
rule-inform_board_education = Informeer het bevoegd gezag over het vermoeden.
rule-q2_with_board = Beantwoord vraag 2 samen met het bevoegd gezag.
rule-answer_with_veilig_thuis = Na de melding worden de vragen 3 tot en met 5 samen met Veilig Thuis beantwoord.
rule-agree_safety_term_with_veilig_thuis = Spreek eerst met Veilig Thuis af binnen welke termijn welke veiligheidsresultaten bereikt moeten zijn.
rule-help_needs_term_and_case_manager = Leg een hulpplan vast met een termijn en een casemanager voordat vraag 5 beantwoord wordt.
rule-record_monitoring_agreements = Leg vast hoe de veiligheid van alle betrokkenen gevolgd blijft, met de betrokkenen en de partners.
rule-record_closing_conclusion = Leg de conclusie vast en sluit het dossier af.
rule-report_needs_conversation_or_exception = Voor een melding is een gesprek met de leerling of de ouders nodig. Zonder gesprek mag het alleen als de veiligheid in gevaar is of als het contact dan verbroken zou worden; leg dat met uitleg vast.
rule-record_observations = Leg concrete signalen vast: wat heb je gezien of gehoord, wanneer en waar. Houd feiten en zorgen uit elkaar.
rule-consult_colleague = Overleg met een collega of de aandachtsfunctionaris; vraag zo nodig (anoniem) advies aan Veilig Thuis.
rule-hold_conversation = Voer een gesprek met de leerling en/of de ouders over wat je hebt gezien.
rule-weigh_together = Weeg samen in het ondersteuningsteam de aard, de ernst en het risico, en ook de beschermende factoren.
rule-record_decision = Het afwegingskader is doorlopen. Leg het besluit vast: wie meldt, wie de ouders en de leerling informeert en wat de school daarna doet.
rule-veilig_thuis_decision_due = Veilig Thuis laat uiterlijk { $due } weten hoe het verdergaat (binnen 5 werkdagen na de melding).
rule-help_term_ends = De termijn van de hulp loopt af op { $due }. Beantwoord dan vraag 5.
rule-evaluation_due = De volgende evaluatie staat gepland op { $due }.
rule-follow_up_conversation_due = Het afgesproken vervolggesprek staat gepland op { $due }.
rule-staff_misconduct_klachtenregeling = Seksueel grensoverschrijdend gedrag door een medewerker valt buiten de meldcode. Volg de klachtenregeling van de school, met de meld- en aangifteplicht.
rule-pass_new_signal_to_veilig_thuis = Er is na de melding een nieuw signaal vastgelegd. Geef dit nieuwe signaal door aan Veilig Thuis en leg dat vast als overleg (advies Veilig Thuis).

## Foutmeldingen

error-question_out_of_order = Vraag { $question } kan nog niet beantwoord worden: beantwoord eerst vraag { $expected }.
error-doubt_not_allowed = Twijfel is bij vraag { $question } niet mogelijk. Neem de twijfel eerst weg, bijvoorbeeld door Veilig Thuis te raadplegen.
error-answered_after_end = Vraag { $question } hoort niet meer bij de route: die eindigde bij vraag { $ended_at }.
error-question_already_answered = Vraag { $question } is al beantwoord. Wil je het antwoord wijzigen, leg dan een correctie vast.
error-reasoning_required = Schrijf bij het antwoord de onderbouwing op.
error-veilig_thuis_must_take_part = Na een melding bij vraag 2 worden de vragen 3 tot en met 5 samen met Veilig Thuis beantwoord.
error-board_must_take_part = Vraag 2 wordt samen met het bevoegd gezag beantwoord.
error-help_plan_required_before_q5 = Vraag 5 kan pas beantwoord worden als er een hulpplan is met een termijn en een casemanager.
error-report_needs_conversation_or_exception = Er is geen gesprek met de leerling of de ouders vastgelegd. Leg eerst het gesprek vast, of geef aan waarom melden zonder gesprek hier nodig is.
error-exception_needs_explanation = Leg uit waarom melden zonder gesprek hier nodig is.
error-report_parents_informed_missing = Geef aan of de ouders vooraf over de melding zijn ingelicht.
error-report_parents_not_informed_reason_missing = Geef aan waarom de ouders niet vooraf zijn ingelicht.
error-report_pupil_informed_missing = Geef aan of de melding met de leerling (12 jaar of ouder) is besproken.
error-report_pupil_not_informed_reason_missing = Geef aan waarom de melding niet met de leerling is besproken.
error-report_board_not_informed = Het bevoegd gezag moet van elke melding op de hoogte zijn. Informeer het eerst.
error-confidentiality_questions_missing = Bij melden zonder toestemming horen antwoorden op de vijf vragen over het doorbreken van het beroepsgeheim; vraag { $number } is nog niet beantwoord.
error-shield_identity_needs_arguments = Geef de argumenten waarom Veilig Thuis de naam van de melder niet aan het gezin zou moeten noemen.
error-feedback_without_report = Er is nog geen melding vastgelegd waarop Veilig Thuis kan terugkoppelen.
error-decision_contradicts_meldnorm = Volgens meldnorm { $meldnorm } is melden nodig; het besluit kan niet zijn om niet te melden.
error-correction_target_missing = De aantekening die je wilt corrigeren bestaat niet in dit dossier.
error-correction_reason_required = Geef aan waarom de aantekening gecorrigeerd wordt.
error-correction_of_correction = Corrigeer de oorspronkelijke aantekening, niet een eerdere correctie.
error-correction_kind_mismatch = Een correctie moet van dezelfde soort zijn als de aantekening die ze corrigeert.
error-dossier_closed = Het dossier is afgesloten. Heropen het eerst als er nieuwe zorgen zijn.
error-reopen_not_closed = Het dossier is niet afgesloten en hoeft dus niet heropend te worden.
error-closing_with_report_due = Het dossier kan niet worden afgesloten: volgens meldnorm { $meldnorm } moet eerst gemeld worden.
error-field_required = Dit veld is verplicht ({ $field }).
error-date_in_future = Deze datum ligt in de toekomst ({ $field }).
error-date_too_early = Deze datum ligt te vroeg ({ $field }).
error-term_invalid = Geef een termijn van minstens één dag, week of maand ({ $field }).
error-author_unknown = De schrijver van de aantekening is onbekend.
error-attachment_empty = Het gekozen bestand is leeg. Kies het bestand opnieuw.
error-attachment_too_large = Het bestand is te groot. Een bijlage mag hoogstens { $limit } zijn.
error-attachment_name_missing = Het bestand heeft geen bruikbare naam. Geef het een naam die eindigt op .pdf, .png, .jpg, .jpeg of .txt.
error-attachment_type_not_allowed = Alleen PDF-, PNG-, JPEG- en tekstbestanden kunnen worden toegevoegd: de naam moet eindigen op .pdf, .png, .jpg, .jpeg of .txt.
error-attachment_content_mismatch = Dit bestand is geen { $claimed }-bestand, hoewel de naam op .{ $extension } eindigt. Kies het juiste bestand, of sla het op in het juiste formaat.
error-attachment_invalid = De gegevens van deze bijlage kloppen niet. Voeg het bestand opnieuw toe.
error-attachment_without_file = Een bijlage wordt altijd samen met het bestand toegevoegd, via het formulier voor bijlagen.
error-attachment_file_fixed = Bij een correctie van een bijlage kan alleen de omschrijving veranderen. Voeg een nieuwe bijlage toe voor een ander bestand.

## Het afwegingskader: vragen en meldnormen

afwegingskader-title = Afwegingskader: vijf vragen, in deze volgorde, zonder er een over te slaan
question-q1 = Vraag 1, vermoeden: is er op basis van de stappen 1 tot en met 3 een vermoeden van (dreiging van) huiselijk geweld of kindermishandeling? In onderwijs en leerplicht: is handelen nodig?
question-q2 = Vraag 2, veiligheid: is er sprake van acute of structurele onveiligheid?
question-q3 = Vraag 3, hulp mogelijk: kan ik (of iemand in mijn organisatie of een ketenpartner) passende hulp bieden of organiseren die de dreiging wegneemt?
question-q4 = Vraag 4, hulp aanvaard: aanvaarden de betrokkenen die hulp en zetten zij zich er actief voor in?
question-q5 = Vraag 5, resultaat: leidt de hulp binnen de afgesproken termijn tot het afgesproken resultaat voor veiligheid, welzijn en herstel?
meldnorm-1 = Meldnorm 1: melden bij elke acute of structurele onveiligheid, en als een leerling zelf over geweld vertelt.
meldnorm-2 = Meldnorm 2: melden als je, binnen je taak en grenzen, geen voldoende passende hulp kunt bieden of organiseren, of als de hulp niet aanvaard wordt.
meldnorm-3 = Meldnorm 3: (opnieuw) melden als je hulp biedt en ziet dat de onveiligheid niet stopt of terugkomt.

## Toegang: waarom iets niet mag

deny-no_role = Je hebt in deze organisatie geen rol. Vraag de beheerder om je een rol te geven.
deny-not_your_location = Je hebt geen rol op deze locatie, dus je kunt hier niets inzien of doen.
deny-not_involved = Je ziet alleen dossiers die je zelf hebt geopend of waarin je hebt geschreven.
deny-admin_no_content = Als beheerder regel je gebruikers en instellingen; de inhoud van dossiers is niet voor jou.
deny-board_aggregates_only = Het bestuur ziet alleen totaalcijfers, geen gegevens over personen.
deny-partner_not_shared = Dit dossier is niet met je gedeeld.
deny-partner_share_expired = Het delen van dit dossier met jou is beëindigd of de einddatum is verstreken.
deny-partner_kind_not_shared = Er zijn geen onderdelen van dit dossier met je gedeeld.
deny-partner_read_only = Als externe partner kun je een gedeeld dossier lezen, maar er niets in vastleggen.
deny-role_cannot_record_kind = Dit soort aantekening is voor de intern begeleider, de aandachtsfunctionaris of de directeur.
deny-role_not_permitted = Je rol geeft je geen toegang tot deze handeling.
deny-wrong_resource = Deze handeling past niet bij dit onderdeel.

## De routekaart van een locatie
routemap-error-step_without_actor = Stap { $step } heeft niemand die hem uitvoert. Kies een rol of noem een persoon.
routemap-error-steps_incomplete = De routekaart moet de zes stappen in volgorde bevatten.
routemap-error-phone_invalid = Dit is geen geldig telefoonnummer. Gebruik bijvoorbeeld 030-123 45 67, 06-12345678 of +31 30 123 4567.
routemap-error-email_invalid = Dit is geen geldig e-mailadres. Gebruik de vorm naam@domein.nl.
routemap-error-required = Vul dit veld in.
routemap-error-too_long = Deze tekst is te lang (hoogstens { $max } tekens).
routemap-error-too_many = Deze lijst is te lang (hoogstens { $max }).
routemap-error-partner_unreachable = Geef een telefoonnummer of een e-mailadres van deze partner.
route-actor-medewerker = Leerkracht of mentor
route-actor-intern_begeleider = Intern begeleider of zorgcoördinator
route-actor-aandachtsfunctionaris = Aandachtsfunctionaris
route-actor-directeur = Directeur of leidinggevende
route-actor-ondersteuningsteam = Ondersteuningsteam (zorgteam, MDO)
partner-kind-veilig_thuis = Veilig Thuis
partner-kind-wijkteam = Wijkteam of CJG
partner-kind-jeugdarts = Jeugdarts of jeugdverpleegkundige
partner-kind-schoolmaatschappelijk_werk = Schoolmaatschappelijk werk
partner-kind-leerplicht = Leerplichtambtenaar
partner-kind-other = Andere partner

## Retention and erasure: why a step is refused (crates/domain/src/retention.rs)
erasure-refusal-not_closed = Het dossier is open. Alleen een gesloten dossier kan worden gewist; sluit het eerst af met een afsluiting.
erasure-refusal-no_ground = Dit dossier is nog niet over de bewaartermijn en er is geen toegewezen verzoek om te wissen.
erasure-refusal-already_proposed = Er ligt al een voorstel om dit dossier te wissen. Bevestig of trek dat voorstel in.
erasure-refusal-no_proposal = Dit voorstel bestaat niet meer: het is ingetrokken of al afgehandeld. Er is niets veranderd; bekijk de actuele stand.
erasure-refusal-own_proposal = U hebt dit voorstel zelf gedaan. Een tweede persoon moet het bevestigen.
erasure-refusal-proposer_without_right = Wie dit voorstel deed, heeft geen actief account meer of mag dit dossier niet meer wissen. Het voorstel telt daarom niet als eerste van twee personen: trek het in en doe zelf een nieuw voorstel.
erasure-refusal-stale_proposal = Het dossier is veranderd sinds het voorstel (bijvoorbeeld heropend of aangevuld). Trek het voorstel in en doe zo nodig een nieuw voorstel.
erasure-refusal-reason_required = Geef een reden op.
erasure-refusal-not_confirmed = Typ het dossiernummer over en vink aan dat u begrijpt dat wissen niet terug te draaien is.
erasure-refusal-pupil_too_young = De leerling was op de dag van het verzoek jonger dan 16 jaar. Een verzoek van een leerling onder de 16 loopt via de ouders.
erasure-refusal-pupil_age_unknown = De geboortedatum van de leerling is niet bekend, dus de leeftijd kan niet worden nagegaan. Laat de geboortedatum eerst vastleggen.
erasure-refusal-request_date_in_future = De datum van ontvangst ligt in de toekomst.
