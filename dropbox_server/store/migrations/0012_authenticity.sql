-- Signed replies, authenticated follow-ups, and report keys that rotate when passed on.

-- The Ed25519 public key of each unit key. Its private half is made from the unit's X25519
-- private key (custody/signing.py), so exactly the unit's key holders can sign. The
-- certificate is a MAC under a key kept outside the database: a planted public key is refused.
CREATE TABLE unit_signing_keys (
    unit_key_id INTEGER PRIMARY KEY REFERENCES unit_keys(id),
    public_key  BLOB NOT NULL,
    certificate BLOB NOT NULL
);

-- A unit reply's Ed25519 signature, or a reporter follow-up's Box authenticator.
ALTER TABLE items ADD COLUMN authenticator BLOB;

-- Items stored before this migration were neither signed nor authenticated. They are shown
-- as "sent before replies were signed", never as forged. Item keys are random (0006), so
-- where that ends is kept per report, as a position in the report (`items.n`): a report
-- stored after this migration has no row here and every one of its items must carry an
-- authenticator. A planted item takes the next position, past the line.
CREATE TABLE authenticity_began (
    report_seq INTEGER PRIMARY KEY REFERENCES reports(seq) ON DELETE CASCADE,
    first_n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO authenticity_began (report_seq, first_n)
    SELECT r.seq, coalesce((SELECT max(i.n) FROM items i WHERE i.report_seq = r.seq), 0) + 1 FROM reports r;
CREATE TRIGGER authenticity_began_no_update BEFORE UPDATE ON authenticity_began
BEGIN SELECT RAISE(ABORT, 'where signing began is fixed'); END;
CREATE TRIGGER authenticity_began_no_insert BEFORE INSERT ON authenticity_began
BEGIN SELECT RAISE(ABORT, 'where signing began is fixed'); END;

-- The earlier key pairs of a report passed on: each private key sealed to the key pair that
-- replaced it, so the receiving unit (which holds the newest) reads everything, while an old
-- key opens nothing added after position `last_n` of the report (item keys are random, 0006).
CREATE TABLE report_key_history (
    report_seq     INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    generation     INTEGER NOT NULL,
    public_key     BLOB NOT NULL,
    sealed_to_next BLOB NOT NULL,
    last_n         INTEGER NOT NULL,
    PRIMARY KEY (report_seq, generation)
) WITHOUT ROWID;
