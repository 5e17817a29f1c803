-- 0021. No two units whose names look alike (issue 18's follow-up).
--
-- The reporter's, the phone form's and the passing-on lists show unit names: a second unit
-- called "Kent  Police", "KENT POLICE" or "Kеnt Police" (a Cyrillic е) would be taken for
-- Kent's. name_key is what the name looks like (dropbox_server/unit_names.py: NFKC, case and
-- accents folded, look-alike letters folded, spaces and punctuation dropped), computed here
-- by the function the store registers for its migrations, and unique.
--
-- Names that already look alike must not stop the upgrade: the unit stored first (by its day,
-- then its row) keeps the key; a later look-alike keeps its name and gets NULL, which the
-- unique index lets through. `keys list-units` names such units until one is renamed
-- (`rename-unit`, K custodian shares); new names are checked against every unit's name,
-- keyed or not, so the clash cannot grow.
ALTER TABLE units ADD COLUMN name_key TEXT;
UPDATE units SET name_key = unit_name_key(name)
    WHERE NOT EXISTS (
        SELECT 1 FROM units AS older
        WHERE unit_name_key(older.name) = unit_name_key(units.name)
          AND (older.created_day, older.rowid) < (units.created_day, units.rowid)
    );
CREATE UNIQUE INDEX units_name_key ON units (name_key);
