-- Casework: TOTP replay guard, per-staff read markers, outcome history, transfers
-- and the hash-chained audit log. Clear columns are routing metadata and days only;
-- every reason a member of staff types is ciphertext.

-- The last TOTP time-step accepted for an account: a code is never accepted twice,
-- even across a restart.
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER;

-- What each member of staff has read: the newest item they had seen when they last
-- opened the report. A report is unread when it was never opened or the reporter wrote since.
CREATE TABLE report_reads (
    staff_id     INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    report_seq   INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    seen_item_id INTEGER NOT NULL,
    PRIMARY KEY (staff_id, report_seq)
) WITHOUT ROWID;

-- Every outcome a report has had, per unit. outcome/unit/day are clear for statistics;
-- the reason is encrypted under an item key sealed to the report key.
CREATE TABLE outcome_history (
    id                INTEGER PRIMARY KEY,
    report_seq        INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    unit_id           TEXT NOT NULL REFERENCES units(id),
    outcome           TEXT NOT NULL,
    previous          TEXT NOT NULL,
    day               TEXT NOT NULL,
    staff_id          INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    reason_ciphertext BLOB,
    reason_key        BLOB
);
CREATE INDEX outcome_history_report ON outcome_history(report_seq, id);
CREATE INDEX outcome_history_stats ON outcome_history(unit_id, outcome, day);

-- A report passed from one unit to another. The reason's item key is sealed twice: to the
-- report key (the receiving unit reads it with the report) and to the sending unit's key at
-- the time (the sender's read-only record, which opens nothing else of the report).
CREATE TABLE transfers (
    id                    INTEGER PRIMARY KEY,
    report_seq            INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    from_unit_id          TEXT NOT NULL REFERENCES units(id),
    to_unit_id            TEXT NOT NULL REFERENCES units(id),
    day                   TEXT NOT NULL,
    staff_id              INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    conflict_override     INTEGER NOT NULL DEFAULT 0 CHECK (conflict_override IN (0, 1)),
    contact_passed        INTEGER NOT NULL DEFAULT 0 CHECK (contact_passed IN (0, 1)),
    sender_unit_key_id    INTEGER NOT NULL REFERENCES unit_keys(id),
    reason_ciphertext     BLOB NOT NULL,
    reason_key_for_report BLOB NOT NULL,
    reason_key_for_sender BLOB NOT NULL
);
CREATE INDEX transfers_from ON transfers(from_unit_id, id);
CREATE INDEX transfers_report ON transfers(report_seq, id);

-- Running counts per unit of reports by outcome, conduct and channel, kept by triggers in
-- the same transaction as every change, so the inbox's counts cost a few rows, not a scan
-- of the unit. Clear metadata only (the same columns reports already holds in clear).
CREATE TABLE report_facets (
    unit_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    conduct TEXT NOT NULL,
    channel TEXT NOT NULL,
    reports INTEGER NOT NULL CHECK (reports >= 0),
    PRIMARY KEY (unit_id, outcome, conduct, channel)
) WITHOUT ROWID;
INSERT INTO report_facets (unit_id, outcome, conduct, channel, reports)
    SELECT unit_id, outcome, conduct, channel, count(*) FROM reports
    GROUP BY unit_id, outcome, conduct, channel;

CREATE TRIGGER report_facets_insert AFTER INSERT ON reports
BEGIN
    INSERT OR IGNORE INTO report_facets VALUES (NEW.unit_id, NEW.outcome, NEW.conduct, NEW.channel, 0);
    UPDATE report_facets SET reports = reports + 1
        WHERE unit_id = NEW.unit_id AND outcome = NEW.outcome
        AND conduct = NEW.conduct AND channel = NEW.channel;
END;
CREATE TRIGGER report_facets_update AFTER UPDATE OF unit_id, outcome, conduct, channel ON reports
WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.outcome IS NOT NEW.outcome
    OR OLD.conduct IS NOT NEW.conduct OR OLD.channel IS NOT NEW.channel
BEGIN
    UPDATE report_facets SET reports = reports - 1
        WHERE unit_id = OLD.unit_id AND outcome = OLD.outcome
        AND conduct = OLD.conduct AND channel = OLD.channel;
    INSERT OR IGNORE INTO report_facets VALUES (NEW.unit_id, NEW.outcome, NEW.conduct, NEW.channel, 0);
    UPDATE report_facets SET reports = reports + 1
        WHERE unit_id = NEW.unit_id AND outcome = NEW.outcome
        AND conduct = NEW.conduct AND channel = NEW.channel;
END;
CREATE TRIGGER report_facets_delete AFTER DELETE ON reports
BEGIN
    UPDATE report_facets SET reports = reports - 1
        WHERE unit_id = OLD.unit_id AND outcome = OLD.outcome
        AND conduct = OLD.conduct AND channel = OLD.channel;
END;

-- Staff actions, append-only and hash-chained. No reporter content; no foreign keys,
-- because the log must outlive the accounts and reports it names.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    action    TEXT NOT NULL,
    staff_id  INTEGER,
    username  TEXT,
    unit_id   TEXT,
    report_id TEXT,
    detail    TEXT NOT NULL DEFAULT '',
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
