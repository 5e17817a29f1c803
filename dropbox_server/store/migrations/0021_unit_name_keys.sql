-- 0021. No two units whose names look alike (issue 18's follow-up).
--
-- The reporter's, the phone form's and the passing-on lists show unit names: a second unit
-- called "Kent  Police", "KENT POLICE" or "Kеnt Police" (a Cyrillic е) would be taken for
-- Kent's. name_key is what the name looks like (dropbox_server/unit_names.py: NFKC, case and
-- accents folded, look-alike letters folded, spaces and punctuation dropped), computed here
-- by the function the store registers for its migrations, and unique.
--
-- Names that already look alike must not stop the upgrade: EVERY unit of a group whose names
-- look alike gets NULL (which the unique index lets through), none keeps a place a database
-- writer could choose by the created_day they wrote (insider finding U3). Such units are not
-- offered on any form and `keys list-units` and health name them until renamed
-- (`rename-unit`, K custodian shares); custody/unit_check.py also compares the short names
-- the form shows for seeded forces and re-applies the character rule. New names are checked
-- against every unit's name, keyed or not, so the clash cannot grow.
ALTER TABLE units ADD COLUMN name_key TEXT;
UPDATE units SET name_key = unit_name_key(name)
    WHERE NOT EXISTS (
        SELECT 1 FROM units AS other
        WHERE unit_name_key(other.name) = unit_name_key(units.name) AND other.rowid != units.rowid
    );
CREATE UNIQUE INDEX units_name_key ON units (name_key);

-- Insider finding U2: a unit's id, name, kind and retired day are certified under the outside
-- key (custody/certify.py, like unit keys), written at create, rename and retire, checked by
-- health and before a unit is offered on a form or a passing-on list. Units already there are
-- certified once as found (certify.certify_units_upgrade) while this marker is set and the
-- file units.certified beside the database (written with the first unit certificate) is not.
ALTER TABLE units ADD COLUMN certificate BLOB;
CREATE TABLE unit_certification_owed (id INTEGER PRIMARY KEY CHECK (id = 1));
INSERT INTO unit_certification_owed (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM units);
