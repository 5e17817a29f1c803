-- Security staff may have a staff-site account (role 'security') to see the service's health
-- page. The role holds no unit key, reads no report and is never an assignee, like a call
-- handler. SQLite cannot alter a CHECK, so the staff table is rebuilt with the role added;
-- the triggers on staff (and the assignment trigger that names it) are dropped first and made
-- again afterwards, unchanged from 0007 and 0008 (the new role is not in the lists of key
-- holders; staff ids are still never reused).

DROP TRIGGER report_assignments_same_unit;
DROP TRIGGER report_assignments_follow_staff;
DROP TRIGGER staff_ids_never_reused;
DROP TRIGGER staff_ids_remembered;

CREATE TABLE staff_new (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    unit_id             TEXT NOT NULL REFERENCES units(id),
    role                TEXT NOT NULL
                        CHECK (role IN ('investigator', 'supervisor', 'call_handler',
                                        'desk_analyst', 'desk_supervisor', 'security')),
    public_key          BLOB NOT NULL,
    wrapped_private_key BLOB NOT NULL,
    totp_secret_sealed  BLOB,
    created_day         TEXT NOT NULL,
    last_sign_in_day    TEXT,
    totp_last_step      INTEGER
);
INSERT INTO staff_new SELECT id, username, unit_id, role, public_key, wrapped_private_key,
    totp_secret_sealed, created_day, last_sign_in_day, totp_last_step FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;

CREATE TRIGGER report_assignments_same_unit BEFORE INSERT ON report_assignments
WHEN NEW.unit_id IS NOT (SELECT unit_id FROM reports WHERE seq = NEW.report_seq)
    OR NOT EXISTS (SELECT 1 FROM staff WHERE id = NEW.staff_id AND unit_id = NEW.unit_id
                   AND role IN ('investigator', 'supervisor', 'desk_analyst', 'desk_supervisor'))
BEGIN SELECT RAISE(ABORT, 'an assignee must hold the keys of the unit that holds the report'); END;
CREATE TRIGGER report_assignments_follow_staff AFTER UPDATE OF unit_id, role ON staff
WHEN OLD.unit_id IS NOT NEW.unit_id
    OR NEW.role NOT IN ('investigator', 'supervisor', 'desk_analyst', 'desk_supervisor')
BEGIN DELETE FROM report_assignments WHERE staff_id = NEW.id; END;
CREATE TRIGGER staff_ids_never_reused BEFORE INSERT ON staff
WHEN NEW.id IN (SELECT id FROM staff_ids_used)
BEGIN SELECT RAISE(ABORT, 'staff ids are never reused'); END;
CREATE TRIGGER staff_ids_remembered AFTER INSERT ON staff
BEGIN INSERT OR IGNORE INTO staff_ids_used (id) VALUES (NEW.id); END;
