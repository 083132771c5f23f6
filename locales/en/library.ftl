# Naslagwerk (reference library) and emergency numbers. The library content itself lives in
# crates/guidance/content/; these are only the texts around it.

nav-library = Reference library
nav-main = Main menu
library-title = Reference library
library-intro = Practical explanations of the meldcode for domestic violence and child abuse: what you may see, what you do, how to hold the conversation and when to report. Open to everyone, also without an account.
library-sections = Sections
library-search-label = Search the reference library
library-search-hint = For example: parent signals, secrecy, meldnormen
library-search-submit = Search
library-search-title = Search the reference library
library-search-results = Results
library-search-count = Parts found:
library-search-none = Nothing found. Try another or a shorter word.
library-search-empty = Enter a search word.
library-search-too-long = Your search is too long. Use at most 100 characters.
library-search-no-words = Use at least one word of two or more letters or digits.
library-search-limited = Only the best results are shown. Make your search more specific to narrow it down.
library-contents = On this page
library-previous = Previous
library-next = Next
library-print-hint = To print, use Ctrl+P (Cmd+P on a Mac); the page is laid out for it.
library-note-note = Good to know
library-note-tip = Tip
library-note-warning = Take care
library-heading-link = Link to this part
library-disclaimer = This reference library is an aid and does not replace consultation. Also follow the meldcode and the route map of your own school.
library-more = More on this in the reference library
library-language = Language

emergency-bar-label = Emergency numbers
emergency-112-short = acute danger
emergency-vt-short = free, day and night
emergency-more = Emergency numbers and contacts
emergency-title = Emergency numbers and contacts
emergency-intro = In doubt about a child's safety? Don't wait, call.
emergency-112-title = 112: acute danger
emergency-112-when = Call 112 when someone's life or health is in danger right now, or when violence is being used now. You get police, ambulance or fire brigade straight away.
emergency-vt-title = Veilig Thuis: 0800-2000
emergency-vt-when = Call Veilig Thuis to ask for advice or to make a report when you are worried about domestic violence or child abuse. Free and available day and night; asking for advice can also be anonymous.
emergency-call = Call
emergency-school-title = Your school's numbers
emergency-school-empty = Your school's numbers, such as the regional Veilig Thuis number for professionals and your partners' contacts, appear here once your school's route map is set.
emergency-school-anonymous = After logging in you also see your own school's numbers here.
emergency-vt-professionals = Veilig Thuis, number for professionals
emergency-library = What to do when you are worried about a child? Read it in the reference library.
