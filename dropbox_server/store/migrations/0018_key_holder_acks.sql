-- 0018. Insider finding F10 (issue 18): a database writer could mark a "new key holder"
-- notice read, or delete it.
--
-- Since this version a notice is the `key_holder_added` entry of the keyed audit chain (which
-- names the members told), and a member's acknowledgement is a row here carrying a MAC under a
-- key made from audit.key over (member, entry, entry hash): a writer can delete one (the notice
-- shows again) but cannot make or move one. key_holder_notices keeps the notices written
-- before this version, shown until acknowledged as before.
CREATE TABLE key_holder_acks (
    staff_id   INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    audit_seq  INTEGER NOT NULL,
    mac        BLOB NOT NULL,
    PRIMARY KEY (staff_id, audit_seq)
);
CREATE INDEX audit_log_action ON audit_log(action);
