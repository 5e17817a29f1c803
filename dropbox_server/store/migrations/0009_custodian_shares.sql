-- Issue 18 (part A): the custodian key is held offline as SLIP-39 shares, and adding a key
-- holder to a unit with members takes a second person.

-- The custodian's private key is no longer kept here. A data directory made with a
-- passphrase keeps its wrapped key until `keys split-custodian` splits it and sets it NULL;
-- until then every other command refuses to run.
CREATE TABLE custodian_new (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    public_key          BLOB NOT NULL,
    wrapped_private_key BLOB
);
INSERT INTO custodian_new (id, public_key, wrapped_private_key)
    SELECT id, public_key, wrapped_private_key FROM custodian;
DROP TABLE custodian;
ALTER TABLE custodian_new RENAME TO custodian;

-- An account waiting for a current member of its unit to approve it. It is not a member of
-- staff yet (it cannot sign in and no key is sealed to it); approving moves it into `staff`
-- with the unit's keys sealed to its public key by the approver.
CREATE TABLE pending_enrolments (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    unit_id             TEXT NOT NULL REFERENCES units(id),
    role                TEXT NOT NULL
                        CHECK (role IN ('investigator', 'supervisor', 'desk_analyst', 'desk_supervisor')),
    public_key          BLOB NOT NULL,
    wrapped_private_key BLOB NOT NULL,
    totp_secret_sealed  BLOB NOT NULL,
    requested_by        TEXT NOT NULL,
    requested_day       TEXT NOT NULL
);
CREATE INDEX pending_enrolments_unit ON pending_enrolments(unit_id);

-- "A new key holder was added to your unit on DAY by X and approved by Y": one row per member
-- told, shown on each sign-in until that member acknowledges it.
CREATE TABLE key_holder_notices (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    unit_id      TEXT NOT NULL,
    key_holder   TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    day          TEXT NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1))
);
CREATE INDEX key_holder_notices_staff ON key_holder_notices(staff_id, acknowledged);
