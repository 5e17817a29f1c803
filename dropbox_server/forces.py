"""The units reports are routed to: every UK police force's specialist unit and the national hub."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dropbox_server.i18n import lazy

HUB_ID = "national-hub"

# The four Welsh forces have official Welsh names, shown on Welsh pages through the catalogue.
_FORCE_NAMES = (
    "Avon and Somerset Police",
    "Bedfordshire Police",
    "Cambridgeshire Constabulary",
    "Cheshire Constabulary",
    "City of London Police",
    "Cleveland Police",
    "Cumbria Constabulary",
    "Derbyshire Constabulary",
    "Devon and Cornwall Police",
    "Dorset Police",
    "Durham Constabulary",
    lazy("Dyfed-Powys Police"),
    "Essex Police",
    "Gloucestershire Constabulary",
    "Greater Manchester Police",
    lazy("Gwent Police"),
    "Hampshire and Isle of Wight Constabulary",
    "Hertfordshire Constabulary",
    "Humberside Police",
    "Kent Police",
    "Lancashire Constabulary",
    "Leicestershire Police",
    "Lincolnshire Police",
    "Merseyside Police",
    "Metropolitan Police Service",
    "Norfolk Constabulary",
    lazy("North Wales Police"),
    "North Yorkshire Police",
    "Northamptonshire Police",
    "Northumbria Police",
    "Nottinghamshire Police",
    lazy("South Wales Police"),
    "South Yorkshire Police",
    "Staffordshire Police",
    "Suffolk Constabulary",
    "Surrey Police",
    "Sussex Police",
    "Thames Valley Police",
    "Warwickshire Police",
    "West Mercia Police",
    "West Midlands Police",
    "West Yorkshire Police",
    "Wiltshire Police",
    "Police Scotland",
    "Police Service of Northern Ireland",
    "British Transport Police",
    "Civil Nuclear Constabulary",
    "Ministry of Defence Police",
)


@dataclass(frozen=True)
class Force:
    """A force and the id of the unit (its PSD / anti-corruption unit) that receives its reports."""

    unit_id: str
    name: str

    @property
    def unit_name(self) -> str:
        return f"{self.name}: Professional Standards and Anti-Corruption"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


FORCES: tuple[Force, ...] = tuple(Force(_slug(n), n) for n in _FORCE_NAMES)
FORCES_BY_ID: dict[str, Force] = {f.unit_id: f for f in FORCES}
HUB_NAME = "National hub (reports whose force is unknown or conflicted)"
DESK_ID = "desk"
DESK_NAME = "Independent reporting desk"
