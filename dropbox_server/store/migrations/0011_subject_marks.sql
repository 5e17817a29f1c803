-- Repeat subjects: keyed hashes of the identifiers a report names (a collar number with its
-- force, a person's name), so a unit sees that several reports name the same person without
-- anything being decrypted and without any identifier being stored.
--
-- Security: the hashing key ("subject key") is random, one per unit, and stored only sealed
-- to that unit's key ring (one copy per ring key), like a unit's private key. Someone holding
-- the database and every file of the data directory but no member's password cannot compute
-- a digest, so cannot test a guess ("does anyone name collar KT 4417?"). The kind of an
-- identifier is not stored (it is inside the hashed message), and every marked report gets
-- the same number of rows (a missing identifier is a random filler), so the rows do not say
-- whether a report named anyone.

CREATE TABLE subject_keys (
    id          INTEGER PRIMARY KEY,
    unit_id     TEXT NOT NULL UNIQUE REFERENCES units(id),
    created_day TEXT NOT NULL
);

CREATE TABLE subject_key_grants (
    subject_key_id INTEGER NOT NULL REFERENCES subject_keys(id),
    unit_key_id    INTEGER NOT NULL REFERENCES unit_keys(id),
    sealed_key     BLOB NOT NULL,
    PRIMARY KEY (subject_key_id, unit_key_id)
) WITHOUT ROWID;

CREATE TABLE subject_marks (
    subject_key_id INTEGER NOT NULL REFERENCES subject_keys(id),
    digest         BLOB NOT NULL CHECK (length(digest) = 32),
    report_seq     INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    PRIMARY KEY (subject_key_id, digest, report_seq)
) WITHOUT ROWID;
-- "Is this report marked yet?" and the cascade when retention deletes a report.
CREATE INDEX subject_marks_report ON subject_marks(report_seq, subject_key_id);
