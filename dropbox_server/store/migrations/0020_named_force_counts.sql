-- 0020. The desk's "force named" count from kept counts (benchmarking, issue 17).
--
-- The desk inbox filtered by force named shows how many reports match. Counted from the
-- reports' index, that read one index entry per matching report: 20 ms with 100,000 desk
-- reports naming one force, on every page view. Triggers keep the count per unit and keyed
-- tag, as report_quiet_days does per day. It holds nothing the reports table does not: each
-- report's tag is there already (a keyed digest under the desk's subject key, never the
-- force), only summed.
CREATE TABLE report_named_force_counts (
    unit_id TEXT NOT NULL,
    tag     BLOB NOT NULL,
    reports INTEGER NOT NULL CHECK (reports >= 0),
    PRIMARY KEY (unit_id, tag)
) WITHOUT ROWID;
INSERT INTO report_named_force_counts (unit_id, tag, reports)
    SELECT unit_id, named_force_tag, count(*) FROM reports
    WHERE named_force_tag IS NOT NULL GROUP BY unit_id, named_force_tag;
CREATE TRIGGER report_named_force_counts_insert AFTER INSERT ON reports
WHEN NEW.named_force_tag IS NOT NULL
BEGIN
    INSERT INTO report_named_force_counts (unit_id, tag, reports) VALUES (NEW.unit_id, NEW.named_force_tag, 1)
        ON CONFLICT (unit_id, tag) DO UPDATE SET reports = reports + 1;
END;
CREATE TRIGGER report_named_force_counts_update AFTER UPDATE OF unit_id, named_force_tag ON reports
WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.named_force_tag IS NOT NEW.named_force_tag
BEGIN
    UPDATE report_named_force_counts SET reports = reports - 1
        WHERE unit_id = OLD.unit_id AND tag = OLD.named_force_tag;
    DELETE FROM report_named_force_counts
        WHERE unit_id = OLD.unit_id AND tag = OLD.named_force_tag AND reports = 0;
    INSERT INTO report_named_force_counts (unit_id, tag, reports)
        SELECT NEW.unit_id, NEW.named_force_tag, 1 WHERE NEW.named_force_tag IS NOT NULL
        ON CONFLICT (unit_id, tag) DO UPDATE SET reports = reports + 1;
END;
CREATE TRIGGER report_named_force_counts_delete AFTER DELETE ON reports
WHEN OLD.named_force_tag IS NOT NULL
BEGIN
    UPDATE report_named_force_counts SET reports = reports - 1
        WHERE unit_id = OLD.unit_id AND tag = OLD.named_force_tag;
    DELETE FROM report_named_force_counts
        WHERE unit_id = OLD.unit_id AND tag = OLD.named_force_tag AND reports = 0;
END;
