-- Statistics that outlive the reports they count, and the record of withdrawn reports.
-- Clear columns only: a unit, a month or a day, a measure name and a count. No report id.

-- Monthly counters per unit, kept by triggers in the same transaction as each submission,
-- outcome change and transfer (and by store.stats for follow-up calls). Deleting a report
-- (retention, withdrawal) never touches them, so published figures stay right.
CREATE TABLE stats_monthly (
    month   TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    unit_id TEXT NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN (
        'phone_report', 'phone_follow_up', 'online_report', 'received',
        'investigation', 'safeguarding', 'intelligence', 'no-further-action',
        'out-of-scope', 'passed_on')),
    count   INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (unit_id, month, measure)
) WITHOUT ROWID;

-- Reports already stored count from the month they arrived (history before this migration
-- is rebuilt from what is still in the database; nothing had been deleted yet).
INSERT INTO stats_monthly (month, unit_id, measure, count)
    SELECT substr(created_day, 1, 7), first_unit_id,
           CASE channel WHEN 'phone' THEN 'phone_report' ELSE 'online_report' END, count(*)
    FROM reports GROUP BY 1, 2, 3;
INSERT INTO stats_monthly (month, unit_id, measure, count)
    SELECT substr(created_day, 1, 7), first_unit_id, 'received', count(*)
    FROM reports GROUP BY 1, 2;
INSERT INTO stats_monthly (month, unit_id, measure, count)
    SELECT substr(day, 1, 7), to_unit_id, 'received', count(*) FROM transfers WHERE true GROUP BY 1, 2
    ON CONFLICT (unit_id, month, measure) DO UPDATE SET count = count + excluded.count;
INSERT INTO stats_monthly (month, unit_id, measure, count)
    SELECT substr(day, 1, 7), from_unit_id, 'passed_on', count(*) FROM transfers GROUP BY 1, 2;
INSERT INTO stats_monthly (month, unit_id, measure, count)
    SELECT substr(first.day, 1, 7), first.unit_id, first.outcome, count(*)
    FROM (SELECT unit_id, outcome, min(day) AS day FROM outcome_history
          WHERE outcome IN ('investigation', 'safeguarding', 'intelligence',
                            'no-further-action', 'out-of-scope')
          GROUP BY report_seq, unit_id, outcome) AS first
    GROUP BY 1, 2, 3;

CREATE TRIGGER stats_report_arrived AFTER INSERT ON reports
BEGIN
    INSERT INTO stats_monthly (month, unit_id, measure, count)
        VALUES (substr(NEW.created_day, 1, 7), NEW.unit_id,
                CASE NEW.channel WHEN 'phone' THEN 'phone_report' ELSE 'online_report' END, 1),
               (substr(NEW.created_day, 1, 7), NEW.unit_id, 'received', 1)
        ON CONFLICT (unit_id, month, measure) DO UPDATE SET count = count + 1;
END;

-- A report counts once per final outcome and unit, even when reopened and decided again.
CREATE TRIGGER stats_outcome_reached AFTER INSERT ON outcome_history
WHEN NEW.outcome IN ('investigation', 'safeguarding', 'intelligence', 'no-further-action', 'out-of-scope')
    AND NOT EXISTS (SELECT 1 FROM outcome_history h
                    WHERE h.report_seq = NEW.report_seq AND h.unit_id = NEW.unit_id
                    AND h.outcome = NEW.outcome AND h.id <> NEW.id)
BEGIN
    INSERT INTO stats_monthly (month, unit_id, measure, count)
        VALUES (substr(NEW.day, 1, 7), NEW.unit_id, NEW.outcome, 1)
        ON CONFLICT (unit_id, month, measure) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER stats_passed_on AFTER INSERT ON transfers
BEGIN
    INSERT INTO stats_monthly (month, unit_id, measure, count)
        VALUES (substr(NEW.day, 1, 7), NEW.from_unit_id, 'passed_on', 1),
               (substr(NEW.day, 1, 7), NEW.to_unit_id, 'received', 1)
        ON CONFLICT (unit_id, month, measure) DO UPDATE SET count = count + 1;
END;

-- A report its reporter deleted from check-back: the unit keeps only that it happened.
CREATE TABLE withdrawn_reports (
    report_id TEXT PRIMARY KEY,
    unit_id   TEXT NOT NULL,
    day       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX withdrawn_reports_unit ON withdrawn_reports(unit_id, day);

-- Retention looks reports up by outcome and last activity.
CREATE INDEX reports_retention ON reports(outcome, last_activity_day);
