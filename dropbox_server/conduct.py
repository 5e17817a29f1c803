"""The kinds of conduct the service takes, and the outcomes a report can reach."""

from __future__ import annotations

from dropbox_server.i18n import lazy

CONDUCT_KINDS: dict[str, str] = {
    "sexual-purpose": lazy("Abuse of position for a sexual purpose"),
    "sexual-misconduct": lazy("Sexual misconduct or harassment"),
    "domestic-abuse": lazy("Domestic abuse or controlling behaviour"),
    "discrimination": lazy("Discrimination"),
    "corruption": lazy("Corruption or abuse of position for gain"),
    "organised-crime": lazy("Links to organised crime"),
    "misuse-of-systems": lazy("Misuse of police systems or information"),
    "other-criminality": lazy("Other serious criminality"),
}

OUTCOMES: dict[str, str] = {
    "new": lazy("New"),
    "assessing": lazy("Being assessed"),
    "investigation": lazy("Investigation opened"),
    "safeguarding": lazy("Safeguarding action"),
    "intelligence": lazy("Recorded as intelligence"),
    "transferred": lazy("Passed to another force"),
    "no-further-action": lazy("No further action"),
    "out-of-scope": lazy("Out of scope (redirected to the complaints procedure)"),
}

# What the reporter sees on check-back: plain words, no internal detail.
REPORTER_STATUS: dict[str, str] = {
    "new": lazy("Your report has arrived and is waiting to be read."),
    "assessing": lazy("Your report is being assessed by the specialist unit."),
    "investigation": lazy("Your report has led to an investigation."),
    "safeguarding": lazy("Action has been taken to keep someone safe."),
    "intelligence": lazy("Your information has been recorded and will be used."),
    "transferred": lazy("Your report has been passed to the force best placed to act on it."),
    "no-further-action": lazy("Your report has been assessed; no further action will be taken."),
    "out-of-scope": lazy(
        "Your report is outside what this service deals with. Please use the force's complaints procedure."
    ),
}

# What a reporter whose report went to the independent desk sees: three states only.
DESK_REPORTER_STATUS: dict[str, str] = {
    "received": lazy("The independent desk has received your report."),
    "passed": lazy("Information from your report has been passed to the police."),
    "closed": lazy("Your report is closed."),
}

# Where a report stands at the desk (clear metadata, filterable in the desk's inbox).
DESK_STATES: dict[str, str] = {
    "new": lazy("New"),
    "drafted": lazy("Package drafted"),
    "awaiting": lazy("Awaiting approval"),
    "disseminated": lazy("Disseminated"),
    "waiting": lazy("Waiting for the reporter"),
    "closed": lazy("Closed"),
}
