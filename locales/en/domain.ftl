# Texts of the meldcode engine: rule reasons and domain errors.
# Keys: rule-<rule id> and error-<error code>. Keep this list equal to locales/nl/domain.ftl.

## Meldnormen

rule-meldnorm_1_disclosure = A report is required: the pupil has told about violence (meldnorm 1). Report to Veilig Thuis and agree the next steps with them.
rule-meldnorm_1_unsafety = A report is required: there is acute or structural unsafety (meldnorm 1). Answer questions 3 to 5 together with Veilig Thuis.
rule-meldnorm_1_doubt = A report is required: there is doubt about safety, and doubt is never a reason to wait (meldnorm 1).
rule-meldnorm_1_doubt_education = A report is required: with yes or doubt about safety the school reports directly, by phone, to Veilig Thuis (meldnorm 1).
rule-meldnorm_2_help_not_possible = A report is required: the school or a partner cannot offer or arrange help that removes the threat (meldnorm 2).
rule-meldnorm_2_help_not_accepted = A report is required: those involved do not accept the help or do not commit to it (meldnorm 2).
rule-meldnorm_3_no_result = A new report is required: the help does not reach the agreed result within the agreed term, or the unsafety returns (meldnorm 3).

## Answers in the assessment framework

rule-q1_no_close = There is no suspicion of domestic violence or child abuse. Close the meldcode route and record the conclusion. Help for other concerns is still possible.
rule-q1_suspicion = There is a suspicion of (a threat of) domestic violence or child abuse. Continue with question 2.
rule-q1_action_needed_education = Action is needed: there is a strong suspicion. The competent authority (bevoegd gezag) is informed. Continue with question 2.
rule-q1_doubt_continue = There is doubt about the suspicion. Doubt counts as yes: continue with question 2.
rule-q2_no_unsafety = There is no acute or structural unsafety. Continue with question 3.
rule-q3_help_possible = Suitable help that puts safety first is possible. Continue with question 4.
rule-q4_help_accepted = Those involved accept the help. Start the help, agree a term and name a case manager; then answer question 5.
rule-q5_results_reached = The help reached the agreed result within the term. Close the help with agreements on keeping an eye on safety.

## What is still needed

rule-next_question = Answer question { $question } of the assessment framework, with your reasoning.
rule-inform_board_education = Inform the competent authority (bevoegd gezag) about the suspicion.
rule-q2_with_board = Answer question 2 together with the competent authority (bevoegd gezag).
rule-answer_with_veilig_thuis = After the report, questions 3 to 5 are answered together with Veilig Thuis.
rule-agree_safety_term_with_veilig_thuis = First agree with Veilig Thuis within which term which safety results must be reached.
rule-help_needs_term_and_case_manager = Record a help plan with a term and a case manager before question 5 is answered.
rule-record_monitoring_agreements = Record how the safety of everyone involved stays monitored, with those involved and the partners.
rule-record_closing_conclusion = Record the conclusion and close the dossier.
rule-report_needs_conversation_or_exception = A report needs a conversation with the pupil or the parents. Without one it is only allowed when safety is at stake or when contact would be broken off; record that with an explanation.
rule-record_observations = Record concrete signals: what you saw or heard, when and where. Keep facts and concerns apart.
rule-consult_colleague = Talk it over with a colleague or the designated lead (aandachtsfunctionaris); ask Veilig Thuis for (anonymous) advice if needed.
rule-hold_conversation = Talk with the pupil and/or the parents about what you noticed.
rule-weigh_together = Weigh the nature, severity and risk together in the support team, and the protective factors as well.
rule-record_decision = The assessment framework is complete. Record the decision: who reports, who informs the parents and the pupil, and what the school does next.
rule-veilig_thuis_decision_due = Veilig Thuis tells you by { $due } how it will proceed (within 5 working days after the report).
rule-help_term_ends = The term of the help ends on { $due }. Answer question 5 then.
rule-evaluation_due = The next evaluation is planned for { $due }.
rule-follow_up_conversation_due = The agreed follow-up conversation is planned for { $due }.
rule-staff_misconduct_klachtenregeling = Sexual misconduct by a staff member is outside the meldcode. Follow the school's complaints regulation, with its duty to report and press charges.
rule-pass_new_signal_to_veilig_thuis = A new signal was recorded after the report. Pass this new signal on to Veilig Thuis and record that as a consultation (Veilig Thuis advice).

## Errors

error-question_out_of_order = Question { $question } cannot be answered yet: answer question { $expected } first.
error-doubt_not_allowed = Doubt is not possible on question { $question }. Resolve the doubt first, for example by consulting Veilig Thuis.
error-answered_after_end = Question { $question } is no longer part of the route: it ended at question { $ended_at }.
error-question_already_answered = Question { $question } has already been answered. To change the answer, record a correction.
error-reasoning_required = Write down the reasoning for the answer.
error-veilig_thuis_must_take_part = After a report at question 2, questions 3 to 5 are answered together with Veilig Thuis.
error-board_must_take_part = Question 2 is answered together with the competent authority (bevoegd gezag).
error-help_plan_required_before_q5 = Question 5 can only be answered once there is a help plan with a term and a case manager.
error-report_needs_conversation_or_exception = No conversation with the pupil or the parents has been recorded. Record the conversation first, or state why reporting without one is necessary here.
error-exception_needs_explanation = Explain why reporting without a conversation is necessary here.
error-report_parents_informed_missing = State whether the parents were told about the report beforehand.
error-report_parents_not_informed_reason_missing = State why the parents were not told beforehand.
error-report_pupil_informed_missing = State whether the report was discussed with the pupil (12 or older).
error-report_pupil_not_informed_reason_missing = State why the report was not discussed with the pupil.
error-report_board_not_informed = The competent authority (bevoegd gezag) must know about every report. Inform them first.
error-confidentiality_questions_missing = Reporting without consent needs answers to the five questions on breaking confidentiality; question { $number } is not answered yet.
error-shield_identity_needs_arguments = Give the arguments why Veilig Thuis should not tell the family who reported.
error-feedback_without_report = No report has been recorded yet for Veilig Thuis to give feedback on.
error-decision_contradicts_meldnorm = Meldnorm { $meldnorm } requires a report; the decision cannot be not to report.
error-correction_target_missing = The entry you want to correct does not exist in this dossier.
error-correction_reason_required = State why the entry is corrected.
error-correction_of_correction = Correct the original entry, not an earlier correction.
error-correction_kind_mismatch = A correction must be of the same kind as the entry it corrects.
error-dossier_closed = The dossier is closed. Reopen it first if there are new concerns.
error-reopen_not_closed = The dossier is not closed, so it does not need to be reopened.
error-closing_with_report_due = The dossier cannot be closed: meldnorm { $meldnorm } requires a report first.
error-field_required = This field is required ({ $field }).
error-date_in_future = This date lies in the future ({ $field }).
error-date_too_early = This date is too early ({ $field }).
error-term_invalid = Give a term of at least one day, week or month ({ $field }).
error-author_unknown = The author of the entry is unknown.
error-attachment_empty = The chosen file is empty. Please choose the file again.
error-attachment_too_large = The file is too large. An attachment may be at most { $limit }.
error-attachment_name_missing = The file has no usable name. Give it a name ending in .pdf, .png, .jpg, .jpeg or .txt.
error-attachment_type_not_allowed = Only PDF, PNG, JPEG and text files can be added: the name must end in .pdf, .png, .jpg, .jpeg or .txt.
error-attachment_content_mismatch = This file is not a { $claimed } file, although its name ends in .{ $extension }. Choose the right file, or save it in the right format.
error-attachment_invalid = The details of this attachment are not right. Please add the file again.
error-attachment_without_file = An attachment is always added together with its file, through the attachment form.
error-attachment_file_fixed = A correction of an attachment can only change its description. Add a new attachment for a different file.

## The assessment framework: questions and meldnormen

afwegingskader-title = Assessment framework (afwegingskader): five questions, in this order, none skipped
question-q1 = Question 1, suspicion: based on steps 1 to 3, is there a suspicion of (a threat of) domestic violence or child abuse? In education and leerplicht: is action needed?
question-q2 = Question 2, safety: is there acute or structural unsafety?
question-q3 = Question 3, help possible: can I (or someone in my organisation, or a partner) offer or arrange suitable help that removes the threat?
question-q4 = Question 4, help accepted: do those involved accept that help and commit to it?
question-q5 = Question 5, result: does the help reach the agreed result for safety, well-being and recovery within the agreed term?
meldnorm-1 = Meldnorm 1: report in every case of acute or structural unsafety, and when a pupil tells about violence.
meldnorm-2 = Meldnorm 2: report when, within your role and limits, you cannot offer or arrange help that is effective enough, or when the help is not accepted.
meldnorm-3 = Meldnorm 3: report (again) when you offer help and see that the unsafety does not stop or comes back.

## Access: why something is not allowed

deny-no_role = You have no role in this organisation. Ask the administrator to give you one.
deny-not_your_location = You have no role at this location, so you cannot see or do anything here.
deny-not_involved = You only see dossiers that you opened yourself or wrote in.
deny-admin_no_content = As administrator you manage users and settings; the content of dossiers is not for you.
deny-board_aggregates_only = The board sees aggregate figures only, no data about persons.
deny-partner_not_shared = This dossier has not been shared with you.
deny-partner_share_expired = Sharing this dossier with you has ended or its end date has passed.
deny-partner_kind_not_shared = No part of this dossier has been shared with you.
deny-partner_read_only = As an external partner you can read a shared dossier, but not record anything in it.
deny-role_cannot_record_kind = This kind of entry is for the intern begeleider, the aandachtsfunctionaris or the director.
deny-role_not_permitted = Your role does not give you access to this action.
deny-wrong_resource = This action does not apply to this item.

## A location's route map
routemap-error-step_without_actor = Nobody acts in step { $step }. Choose a role or name a person.
routemap-error-steps_incomplete = The route map must hold the six steps in order.
routemap-error-phone_invalid = This is not a valid phone number. Use for example 030-123 45 67, 06-12345678 or +31 30 123 4567.
routemap-error-email_invalid = This is not a valid e-mail address. Use the form name@domain.nl.
routemap-error-required = Please fill in this field.
routemap-error-too_long = This text is too long (at most { $max } characters).
routemap-error-too_many = This list is too long (at most { $max }).
routemap-error-partner_unreachable = Give a phone number or an e-mail address for this partner.
route-actor-medewerker = Teacher or mentor
route-actor-intern_begeleider = Internal counsellor or care coordinator
route-actor-aandachtsfunctionaris = Designated lead (aandachtsfunctionaris)
route-actor-directeur = Director or manager
route-actor-ondersteuningsteam = Support team (care team, multidisciplinary meeting)
partner-kind-veilig_thuis = Veilig Thuis
partner-kind-wijkteam = Neighbourhood team or CJG
partner-kind-jeugdarts = Youth doctor or youth nurse
partner-kind-schoolmaatschappelijk_werk = School social work
partner-kind-leerplicht = Attendance officer (leerplicht)
partner-kind-other = Other partner

## Retention and erasure: why a step is refused (crates/domain/src/retention.rs)
erasure-refusal-not_closed = The dossier is open. Only a closed dossier can be erased; close it first with a closing entry.
erasure-refusal-no_ground = This dossier is not yet past the retention period and no request to erase it was granted.
erasure-refusal-already_proposed = There already is a proposal to erase this dossier. Confirm or withdraw that proposal.
erasure-refusal-no_proposal = This proposal no longer exists: it was withdrawn or already dealt with. Nothing was changed; look at the current state.
erasure-refusal-own_proposal = You made this proposal yourself. A second person has to confirm it.
erasure-refusal-proposer_without_right = The person who made this proposal no longer has an active account or may no longer erase this dossier, so the proposal does not count as the first of two people. Withdraw it and make a new proposal yourself.
erasure-refusal-stale_proposal = The dossier changed since the proposal (for example it was reopened or added to). Withdraw the proposal and make a new one if still needed.
erasure-refusal-reason_required = Give a reason.
erasure-refusal-not_confirmed = Type the dossier number and tick that you understand erasure cannot be undone.
erasure-refusal-pupil_too_young = The pupil was younger than 16 on the day of the request. A request for a pupil under 16 comes from the parents.
erasure-refusal-pupil_age_unknown = The pupil's date of birth is not known, so the age cannot be checked. Have the date of birth recorded first.
erasure-refusal-request_date_in_future = The date of receipt lies in the future.
