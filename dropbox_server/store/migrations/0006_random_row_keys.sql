-- Row keys that carry no order or time (issue 14, items 1 and 16).
-- reports.seq and items.id counted across every unit, so a copy of the database could place
-- one unit's reporter follow-up between another unit's notes, and SQLite reused the highest
-- deleted report number for the next report. From this version both are random 62-bit keys
-- chosen by the store (never a counter, so never handed out again in order), and items are
-- ordered within their report by a per-report counter `n`. Existing rows are renumbered
-- here, children first through a mapping, with foreign keys checked at the commit.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE report_keys (old INTEGER PRIMARY KEY, new INTEGER NOT NULL UNIQUE);
INSERT INTO report_keys (old, new)
    SELECT seq, (random() & 0x3FFFFFFFFFFFFFFF) + 1 FROM reports;
CREATE TEMP TABLE item_keys (old INTEGER PRIMARY KEY, new INTEGER NOT NULL UNIQUE, n INTEGER NOT NULL);
INSERT INTO item_keys (old, new, n)
    SELECT id, (random() & 0x3FFFFFFFFFFFFFFF) + 1,
           row_number() OVER (PARTITION BY report_seq ORDER BY id) FROM items;

-- Which items each member of staff had seen, as a position in the report from now on.
ALTER TABLE report_reads RENAME COLUMN seen_item_id TO seen_n;
UPDATE report_reads SET seen_n = coalesce(
    (SELECT max(k.n) FROM item_keys k JOIN items i ON i.id = k.old
     WHERE i.report_seq = report_reads.report_seq AND i.id <= report_reads.seen_n), 0);

ALTER TABLE items ADD COLUMN n INTEGER NOT NULL DEFAULT 0;
UPDATE items SET n = (SELECT n FROM item_keys WHERE old = items.id);
UPDATE files SET item_id = (SELECT new FROM item_keys WHERE old = files.item_id);
UPDATE items SET id = (SELECT new FROM item_keys WHERE old = items.id);

-- An assignment is replaced, never edited; renumbering is the one exception.
DROP TRIGGER report_assignments_no_update;
UPDATE report_assignments SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
CREATE TRIGGER report_assignments_no_update
BEFORE UPDATE OF report_seq, unit_id, staff_id, day ON report_assignments
BEGIN SELECT RAISE(ABORT, 'replace an assignment, do not edit it'); END;

UPDATE report_key_grants SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
UPDATE items SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
UPDATE report_reads SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
UPDATE outcome_history SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
UPDATE transfers SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
UPDATE files SET report_seq = (SELECT new FROM report_keys WHERE old = report_seq);
UPDATE reports SET seq = (SELECT new FROM report_keys WHERE old = seq);

DROP TABLE temp.report_keys;
DROP TABLE temp.item_keys;

-- Items in a report, in order; a new item takes the next position of its own report.
DROP INDEX items_report;
CREATE UNIQUE INDEX items_report ON items(report_seq, n) WHERE n > 0;
CREATE TRIGGER items_position AFTER INSERT ON items WHEN NEW.n = 0
BEGIN
    UPDATE items SET n = (SELECT coalesce(max(n), 0) + 1 FROM items WHERE report_seq = NEW.report_seq)
        WHERE id = NEW.id;
END;

-- A unit's inbox runs newest day first; within a day there is no order to show.
DROP INDEX reports_unit_order;
CREATE INDEX reports_unit_order ON reports(unit_id, created_day DESC, seq DESC);
