-- 0014. Insider review K4 and K5 (issue 18): the newcomer makes their own key.
--
-- Security staff now make only a pending enrolment with a one-time enrolment code, stored as
-- a keyed hash. The newcomer redeems the code on the staff site: their password, their
-- authenticator and their key pair never pass through security staff. Each row carries MACs
-- under a key made from the outside seed (audit.key), bound to its audit entry, so a row
-- written straight into the database is shown as tampered and cannot be approved.
--
-- Requests still waiting from before this version were made under a password security staff
-- typed: they are dropped, not carried over. Security staff make them again (a new code).
DROP TABLE pending_enrolments;
CREATE TABLE pending_enrolments (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    unit_id             TEXT NOT NULL REFERENCES units(id),
    role                TEXT NOT NULL,
    code_hash           BLOB NOT NULL UNIQUE,
    requested_by        TEXT NOT NULL,
    requested_day       TEXT NOT NULL,
    expires_day         TEXT NOT NULL,
    audit_seq           INTEGER NOT NULL,
    request_mac         BLOB NOT NULL,
    -- Filled by the newcomer's own redemption, with a MAC over them and the request's MAC.
    public_key          BLOB,
    wrapped_private_key BLOB,
    totp_secret_sealed  BLOB,
    redeemed_day        TEXT,
    key_mac             BLOB,
    CHECK ((public_key IS NULL) = (redeemed_day IS NULL))
);
CREATE INDEX pending_enrolments_unit ON pending_enrolments(unit_id);
