-- Units, their key rings, staff, reports and their encrypted items.
-- Only routing metadata needed for statistics is in clear; times are days.

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('force', 'hub')),
    created_day TEXT NOT NULL
);

CREATE TABLE unit_keys (
    id          INTEGER PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    public_key  BLOB NOT NULL,
    created_day TEXT NOT NULL,
    retired_day TEXT
);
CREATE INDEX unit_keys_unit ON unit_keys(unit_id, id);

-- The escrow key of security staff: private key wrapped under their passphrase.
CREATE TABLE custodian (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    public_key          BLOB NOT NULL,
    wrapped_private_key BLOB NOT NULL
);

CREATE TABLE staff (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    unit_id             TEXT NOT NULL REFERENCES units(id),
    role                TEXT NOT NULL
                        CHECK (role IN ('investigator', 'supervisor', 'call_handler')),
    public_key          BLOB NOT NULL,
    wrapped_private_key BLOB NOT NULL,
    totp_secret_sealed  BLOB,
    created_day         TEXT NOT NULL,
    last_sign_in_day    TEXT
);

-- A unit private key sealed to a staff member (staff_id) or to the custodian (staff_id NULL).
CREATE TABLE unit_key_grants (
    id                 INTEGER PRIMARY KEY,
    unit_key_id        INTEGER NOT NULL REFERENCES unit_keys(id),
    staff_id           INTEGER REFERENCES staff(id) ON DELETE CASCADE,
    sealed_private_key BLOB NOT NULL,
    UNIQUE (unit_key_id, staff_id)
);
CREATE UNIQUE INDEX unit_key_grants_custodian ON unit_key_grants(unit_key_id)
    WHERE staff_id IS NULL;

CREATE TABLE reports (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    unit_id             TEXT NOT NULL REFERENCES units(id),
    first_unit_id       TEXT NOT NULL REFERENCES units(id),
    channel             TEXT NOT NULL CHECK (channel IN ('online', 'phone')),
    conduct             TEXT NOT NULL,
    outcome             TEXT NOT NULL DEFAULT 'new',
    conflict            INTEGER NOT NULL DEFAULT 0 CHECK (conflict IN (0, 1)),
    contact_scope       TEXT NOT NULL
                        CHECK (contact_scope IN ('none', 'unit', 'investigating_force')),
    created_day         TEXT NOT NULL,
    last_activity_day   TEXT NOT NULL,
    lookup_id           BLOB NOT NULL UNIQUE,
    reporter_public_key BLOB NOT NULL,
    report_public_key   BLOB NOT NULL,
    contact_public_key  BLOB
);
CREATE INDEX reports_unit_order ON reports(unit_id, seq DESC);

-- A report's content (or contact) private key sealed to a unit key.
CREATE TABLE report_key_grants (
    report_seq         INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    purpose            TEXT NOT NULL CHECK (purpose IN ('content', 'contact')),
    unit_key_id        INTEGER NOT NULL REFERENCES unit_keys(id),
    sealed_private_key BLOB NOT NULL,
    PRIMARY KEY (report_seq, purpose, unit_key_id)
);

-- Every piece of a report: the form, contact details, messages, replies and notes.
CREATE TABLE items (
    id               INTEGER PRIMARY KEY,
    report_seq       INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    kind             TEXT NOT NULL
                     CHECK (kind IN ('report', 'contact', 'reporter_message', 'unit_reply', 'note')),
    created_day      TEXT NOT NULL,
    author_staff_id  INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    ciphertext       BLOB NOT NULL,
    key_for_unit     BLOB NOT NULL,
    key_for_reporter BLOB
);
CREATE INDEX items_report ON items(report_seq, id);
