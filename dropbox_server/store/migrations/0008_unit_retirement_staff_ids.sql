-- A unit can be retired: no new reports are routed to it; what it holds stays readable.
ALTER TABLE units ADD COLUMN retired_day TEXT;

-- Staff ids are never reused: a removed account's id stays in the audit log, and the next
-- account must not inherit its history. Every id ever used is remembered here, including
-- ids the audit log names from before this migration (accounts already removed).
CREATE TABLE staff_ids_used (id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO staff_ids_used (id) SELECT id FROM staff;
INSERT OR IGNORE INTO staff_ids_used (id)
    SELECT DISTINCT staff_id FROM audit_log WHERE staff_id IS NOT NULL;

CREATE TRIGGER staff_ids_never_reused BEFORE INSERT ON staff
WHEN NEW.id IN (SELECT id FROM staff_ids_used)
BEGIN SELECT RAISE(ABORT, 'staff ids are never reused'); END;

CREATE TRIGGER staff_ids_remembered AFTER INSERT ON staff
BEGIN INSERT OR IGNORE INTO staff_ids_used (id) VALUES (NEW.id); END;
