-- Certificates of every public key the server seals to (issue 18, insider review K1-K3, S2,
-- S4, S6): a MAC under a key made from the outside seed (`audit.key`, not in the database)
-- binding the key to its row (ids, unit, role). Whoever can write the database but does not
-- hold that file cannot swap in a key of their own: the check fails and the action is refused.
ALTER TABLE custodian ADD COLUMN certificate BLOB;
ALTER TABLE unit_keys ADD COLUMN certificate BLOB;
ALTER TABLE staff ADD COLUMN certificate BLOB;
-- A report's certificate covers its current key pair, the unit holding it, the reporter's
-- key, where signing began (and a digest of the unsigned items before that line), and how
-- many earlier keys it has: so its custody history is covered too.
ALTER TABLE reports ADD COLUMN certificate BLOB;
ALTER TABLE reports ADD COLUMN below_line BLOB;
-- Which unit held each earlier key of a passed-on report (replies in that stretch verify
-- only under that unit's signing key), certified like the rest.
ALTER TABLE report_key_history ADD COLUMN unit_id TEXT REFERENCES units(id);
ALTER TABLE report_key_history ADD COLUMN certificate BLOB;
-- A package draft's own key pair (the desk's drafts and rejection reasons are sealed to it).
ALTER TABLE package_drafts ADD COLUMN certificate BLOB;
-- Earlier keys made under 0012 with a single hand-over: the unit it came from held them.
UPDATE report_key_history SET unit_id = (
    SELECT t.from_unit_id FROM transfers t WHERE t.report_seq = report_key_history.report_seq)
WHERE (SELECT count(*) FROM transfers t WHERE t.report_seq = report_key_history.report_seq) = 1
  AND (SELECT count(*) FROM report_key_history h WHERE h.report_seq = report_key_history.report_seq) = 1;

-- Rows stored before this migration get their certificates once, at the first start with
-- the outside seed (that start is the trust point), and only while the custodian pin file
-- beside the database does not exist yet. A new data directory certifies as it goes.
CREATE TABLE certification_owed (id INTEGER PRIMARY KEY CHECK (id = 1));
INSERT INTO certification_owed (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM units);
