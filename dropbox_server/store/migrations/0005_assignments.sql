-- Who in a unit is handling a report: set by the unit's supervisor. At most one assignee per
-- report. Clear routing metadata only (a unit, two staff ids and a day), like report_reads.

CREATE TABLE report_assignments (
    report_seq  INTEGER PRIMARY KEY REFERENCES reports(seq) ON DELETE CASCADE,
    unit_id     TEXT NOT NULL,
    staff_id    INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    assigned_by INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    day         TEXT NOT NULL
);
-- "Assigned to me" pages by keyset on the assignee; a unit's caseload counts by member.
CREATE INDEX report_assignments_staff ON report_assignments(staff_id, report_seq);
CREATE INDEX report_assignments_unit ON report_assignments(unit_id, staff_id);

-- Security: an assignee is always a case-holding member of the unit that holds the report,
-- whatever code path writes the row.
CREATE TRIGGER report_assignments_same_unit BEFORE INSERT ON report_assignments
WHEN NEW.unit_id IS NOT (SELECT unit_id FROM reports WHERE seq = NEW.report_seq)
    OR NOT EXISTS (SELECT 1 FROM staff WHERE id = NEW.staff_id AND unit_id = NEW.unit_id
                   AND role IN ('investigator', 'supervisor'))
BEGIN SELECT RAISE(ABORT, 'an assignee must hold the keys of the unit that holds the report'); END;
-- Not on assigned_by: removing the supervisor who assigned sets it NULL through the foreign key.
CREATE TRIGGER report_assignments_no_update
BEFORE UPDATE OF report_seq, unit_id, staff_id, day ON report_assignments
BEGIN SELECT RAISE(ABORT, 'replace an assignment, do not edit it'); END;

-- A report passed to another force arrives unassigned; a person moved to another unit (or
-- to a role without unit keys) leaves their cases behind. Removing a person cascades
-- through staff(id).
CREATE TRIGGER report_assignments_follow_report AFTER UPDATE OF unit_id ON reports
WHEN OLD.unit_id IS NOT NEW.unit_id
BEGIN DELETE FROM report_assignments WHERE report_seq = NEW.seq; END;
CREATE TRIGGER report_assignments_follow_staff AFTER UPDATE OF unit_id, role ON staff
WHEN OLD.unit_id IS NOT NEW.unit_id OR NEW.role NOT IN ('investigator', 'supervisor')
BEGIN DELETE FROM report_assignments WHERE staff_id = NEW.id; END;

-- Each member's caseload, kept by triggers in the same transaction as every assignment
-- change (including cascades), so the inbox shows it without counting a unit's reports.
CREATE TABLE caseloads (
    unit_id  TEXT NOT NULL,
    staff_id INTEGER NOT NULL,
    reports  INTEGER NOT NULL CHECK (reports >= 0),
    PRIMARY KEY (unit_id, staff_id)
) WITHOUT ROWID;
CREATE TRIGGER caseloads_insert AFTER INSERT ON report_assignments
BEGIN
    INSERT INTO caseloads (unit_id, staff_id, reports) VALUES (NEW.unit_id, NEW.staff_id, 1)
        ON CONFLICT (unit_id, staff_id) DO UPDATE SET reports = reports + 1;
END;
CREATE TRIGGER caseloads_delete AFTER DELETE ON report_assignments
BEGIN
    UPDATE caseloads SET reports = reports - 1 WHERE unit_id = OLD.unit_id AND staff_id = OLD.staff_id;
    DELETE FROM caseloads WHERE unit_id = OLD.unit_id AND staff_id = OLD.staff_id AND reports = 0;
END;
