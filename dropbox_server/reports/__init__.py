"""Use cases on reports, one module per concept: submission (online and phone), reporter access
(check back, reply files, withdrawal), casework, case actions, case file, case files, transfer,
inbox, retention; access and content are what they share."""
