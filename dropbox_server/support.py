"""Who runs the service and where a reporter can get support: the deployment's own words.

A deployment puts `support.toml` in its data directory to name its operator and list the
support services it signposts, each in English and Welsh; without one, UK-wide defaults
are used, translated from the message catalogue like any other page text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dropbox_server.i18n import LANGUAGES, lazy

SUPPORT_FILE = "support.toml"
# What each listed service is for; the page groups services under these headings.
TOPICS = {
    "emergency": lazy("In an emergency"),
    "police-abuse": lazy("Abuse by someone in the police"),
    "domestic-abuse": lazy("Domestic abuse"),
    "sexual-violence": lazy("Rape and sexual violence"),
    "mental-health": lazy("If you are struggling to cope"),
    "victims": lazy("Support for any victim of crime"),
}


class SupportFileError(ValueError):
    """The deployment's support file cannot be used (said at start-up, never on a page)."""


@dataclass(frozen=True)
class Wording:
    """Text in each language: the deployment's own (`by_language`), or a catalogue message."""

    message: str = ""  # a catalogue message id (the defaults), translated when rendered
    by_language: tuple[tuple[str, str], ...] = ()

    def text(self, language: str, gettext: Any) -> str:
        """The words for `language`; the deployment's English when it gave no translation."""
        if self.message:
            return str(gettext(self.message))
        given = dict(self.by_language)
        return given.get(language) or given["en"]


@dataclass(frozen=True)
class SupportService:
    topic: str  # a key of TOPICS
    name: Wording
    contact: Wording  # a phone number, text number or web address, with its hours
    about: Wording


@dataclass(frozen=True)
class Support:
    operator: Wording  # who runs the service, as a sentence subject ("Example Charity")
    services: tuple[SupportService, ...]


def _default(topic: str, name: str, contact: str, about: str) -> SupportService:
    return SupportService(topic, Wording(name), Wording(contact), Wording(about))


DEFAULT_SUPPORT = Support(
    operator=Wording(lazy("an independent reporting charity")),
    services=(
        _default(
            "emergency",
            lazy("Police, ambulance or fire: 999"),
            lazy("Call 999. If you cannot speak, call 999, listen, then press 55 when asked."),
            lazy("If you or someone else is in danger now, or a crime is happening."),
        ),
        _default(
            "police-abuse",
            lazy("Centre for Women's Justice"),
            lazy("centreforwomensjustice.org.uk"),
            lazy("Advice for women abused by a partner or ex-partner who works for the police."),
        ),
        _default(
            "domestic-abuse",
            lazy("National Domestic Abuse Helpline (England)"),
            lazy("0808 2000 247, free, any time of day or night"),
            lazy("Confidential help for anyone experiencing domestic abuse."),
        ),
        _default(
            "domestic-abuse",
            lazy("Live Fear Free (Wales)"),
            lazy("0808 80 10 800, free, any time of day or night"),
            lazy("Help and advice about domestic abuse and sexual violence, in Welsh or English."),
        ),
        _default(
            "sexual-violence",
            lazy("Rape Crisis 24/7 Support Line"),
            lazy("0808 500 2222, free, any time of day or night"),
            lazy("For anyone aged 16 or over affected by rape or sexual abuse, at any time in their life."),
        ),
        _default(
            "mental-health",
            lazy("Samaritans"),
            lazy("116 123, free, any time of day or night"),
            lazy("Someone to talk to if you are struggling, whatever it is about."),
        ),
        _default(
            "mental-health",
            lazy("NHS 111"),
            lazy("Call 111 (in England, choose the mental health option)"),
            lazy("Urgent help for your mental health when it is not an emergency."),
        ),
        _default(
            "victims",
            lazy("Victim Support"),
            lazy("08 08 16 89 111, free, any time of day or night"),
            lazy("Free, confidential support for anyone affected by crime, whether or not it was reported."),
        ),
    ),
)


def _wording(raw: Any, where: str) -> Wording:
    """A `{ en = "...", cy = "..." }` table; English is required, other languages optional."""
    if not isinstance(raw, dict) or not isinstance(raw.get("en"), str) or not raw["en"].strip():
        raise SupportFileError(f'{where} needs English text: {where} = {{ en = "...", cy = "..." }}')
    unknown = set(raw) - set(LANGUAGES)
    if unknown or not all(isinstance(v, str) for v in raw.values()):
        raise SupportFileError(f"{where}: give text for {', '.join(LANGUAGES)} only")
    return Wording(by_language=tuple((k, v.strip()) for k, v in sorted(raw.items())))


def _service(raw: Any, n: int) -> SupportService:
    where = f"service {n}"
    if not isinstance(raw, dict) or raw.get("topic") not in TOPICS:
        raise SupportFileError(f"{where}: topic must be one of {', '.join(TOPICS)}")
    parts = {k: _wording(raw.get(k), f"{where} {k}") for k in ("name", "contact", "about")}
    return SupportService(raw["topic"], parts["name"], parts["contact"], parts["about"])


def parse_support(text: str) -> Support:
    """The support settings a file gives; its services, when listed, replace the defaults."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SupportFileError(f"{SUPPORT_FILE} is not valid TOML: {exc}") from None
    unknown = set(raw) - {"operator", "service"}
    if unknown:
        raise SupportFileError(f"{SUPPORT_FILE}: unknown setting {', '.join(sorted(unknown))}")
    operator = _wording(raw["operator"], "operator") if "operator" in raw else DEFAULT_SUPPORT.operator
    services = DEFAULT_SUPPORT.services
    if "service" in raw:
        if not isinstance(raw["service"], list) or not raw["service"]:
            raise SupportFileError(f"{SUPPORT_FILE}: list services as [[service]] tables")
        services = tuple(_service(s, n) for n, s in enumerate(raw["service"], start=1))
    return Support(operator, services)


def load_support(data_dir: Path) -> Support:
    """The data directory's support file, or the defaults when there is none."""
    path = data_dir / SUPPORT_FILE
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return DEFAULT_SUPPORT
    return parse_support(text)
