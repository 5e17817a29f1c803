-- Attachments: each file belongs to one item of a report (the report itself, a reporter's
-- follow-up or a unit's reply). The ciphertext lives in files/<id> under the data
-- directory; here are only its padded size and keys. Name, type and real size are
-- ciphertext (meta_ciphertext) under the file's key.
CREATE TABLE files (
    id               TEXT PRIMARY KEY CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
    report_seq       INTEGER NOT NULL REFERENCES reports(seq) ON DELETE CASCADE,
    item_id          INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    stored_bytes     INTEGER NOT NULL,
    meta_ciphertext  BLOB NOT NULL,
    key_for_unit     BLOB NOT NULL,
    key_for_reporter BLOB,
    UNIQUE (item_id, position)
);
CREATE INDEX files_report ON files(report_seq, item_id, position);
