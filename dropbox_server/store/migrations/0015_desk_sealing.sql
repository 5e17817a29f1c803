-- 0015. The desk's links out of the clear (issue 17, insider findings M1 and M2).

-- M1: the force a desk report names was kept in clear (reports.named_force), so a copy of the
-- database told which force each desk report accuses. The named force stays inside the sealed
-- report; what the desk's inbox filters on is named_force_tag, a keyed digest of it under the
-- desk's subject key (custody/subject_key.py), written in a desk member's session
-- (reports/desk_tags.py). Without a desk member's password a copy cannot tell which force a
-- tag stands for, nor test a guess. Known limit: equal tags show which desk reports name
-- the same force (not which force). Statistics never counted by it (0007).
DROP INDEX reports_named_force;
ALTER TABLE reports DROP COLUMN named_force;
ALTER TABLE reports ADD COLUMN named_force_tag BLOB;
CREATE INDEX reports_named_force_tag ON reports(unit_id, named_force_tag, created_day DESC, seq DESC);

-- M2: a draft kept its receiving unit and its package (package_id, package_seq) in clear
-- beside its source report (source_seq), so a force holding the database could tie a
-- package in its inbox to the desk report it came from, and read which force each desk
-- report went to. A draft now keeps the receiving unit and package id only sealed to its
-- own desk-only key pair (link_ciphertext, link_key, as its body), and package_tag, a keyed
-- digest of the package id under the desk's subject key, to find a package's drafts in a
-- desk session. source_seq stays (the desk report's deletion still deletes its drafts, and
-- the desk state triggers still read it): without the package side it links nothing a
-- force holds. Drafts written before this migration keep their clear columns until a desk
-- member's session seals them (reports/desk_tags.py); new drafts never have them.
CREATE TABLE package_drafts_new (
    id                 INTEGER PRIMARY KEY,
    source_seq         INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    to_unit_id         TEXT REFERENCES units(id),
    package_id         TEXT,
    package_seq        INTEGER REFERENCES reports(seq) ON DELETE SET NULL,
    link_ciphertext    BLOB,
    link_key           BLOB,
    package_tag        BLOB,
    state              TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'approved')),
    author_staff_id    INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    approver_staff_id  INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    public_key         BLOB NOT NULL,
    desk_key_id        INTEGER NOT NULL REFERENCES unit_keys(id),
    key_for_desk       BLOB NOT NULL,
    body_ciphertext    BLOB NOT NULL,
    body_key           BLOB NOT NULL,
    include_contact    INTEGER NOT NULL DEFAULT 0 CHECK (include_contact IN (0, 1)),
    rejection_ciphertext BLOB,
    rejection_key      BLOB,
    created_day        TEXT NOT NULL,
    updated_day        TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    is_update          INTEGER NOT NULL DEFAULT 0 CHECK (is_update IN (0, 1)),
    certificate        BLOB,  -- the draft key's certificate (0013, custody/certify.py)
    -- Security: a draft is either sealed (link and tag) or a legacy row in clear, never both.
    CHECK ((link_ciphertext IS NULL) = (link_key IS NULL)
           AND (link_ciphertext IS NULL) = (package_tag IS NULL)
           AND (link_ciphertext IS NULL) = (package_id IS NOT NULL)
           AND (package_id IS NULL) = (to_unit_id IS NULL)
           AND (package_id IS NOT NULL OR package_seq IS NULL))
);
INSERT INTO package_drafts_new (id, source_seq, to_unit_id, package_id, package_seq, state,
    author_staff_id, approver_staff_id, public_key, desk_key_id, key_for_desk, body_ciphertext,
    body_key, include_contact, rejection_ciphertext, rejection_key, created_day, updated_day,
    version, is_update, certificate)
    SELECT id, source_seq, to_unit_id, package_id, package_seq, state, author_staff_id,
        approver_staff_id, public_key, desk_key_id, key_for_desk, body_ciphertext, body_key,
        include_contact, rejection_ciphertext, rejection_key, created_day, updated_day, version,
        is_update, certificate FROM package_drafts;
DROP TRIGGER desk_hears_from_reporter;  -- reads package_drafts: made again below
DROP TABLE package_drafts;
ALTER TABLE package_drafts_new RENAME TO package_drafts;
CREATE INDEX package_drafts_source ON package_drafts(source_seq, id);
CREATE INDEX package_drafts_package_tag ON package_drafts(package_tag) WHERE package_tag IS NOT NULL;
CREATE INDEX package_drafts_legacy ON package_drafts(package_seq, id) WHERE package_id IS NOT NULL;
CREATE INDEX package_drafts_state ON package_drafts(state, updated_day);
CREATE TRIGGER package_drafts_two_people BEFORE UPDATE OF state ON package_drafts
WHEN NEW.state = 'approved'
    AND (NEW.approver_staff_id IS NULL OR NEW.approver_staff_id IS OLD.author_staff_id
         OR OLD.state <> 'submitted')
BEGIN SELECT RAISE(ABORT, 'a package is approved by a second desk member, after submission'); END;
CREATE TRIGGER desk_hears_from_reporter AFTER INSERT ON items
WHEN NEW.kind = 'reporter_message'
BEGIN
    UPDATE reports SET desk_state = CASE
            WHEN EXISTS (SELECT 1 FROM package_drafts WHERE source_seq = NEW.report_seq
                         AND state = 'approved') THEN 'disseminated'
            WHEN EXISTS (SELECT 1 FROM package_drafts WHERE source_seq = NEW.report_seq
                         AND state = 'submitted') THEN 'awaiting'
            WHEN EXISTS (SELECT 1 FROM package_drafts WHERE source_seq = NEW.report_seq) THEN 'drafted'
            ELSE 'new' END
        WHERE seq = NEW.report_seq AND desk_state = 'waiting';
END;
