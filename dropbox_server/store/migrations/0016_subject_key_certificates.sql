-- 0016. Insider finding F8 (issue 18): the subject key is certified.
--
-- A unit's subject key (0011) was whatever its grants opened to, and sealing to a unit's ring
-- needs only public keys: a database writer could seal a key of their own to the desk's ring,
-- clear the tags, and read from a later copy which force each desk report names. Now each
-- subject key carries a certificate under the outside key (custody/certify.py) binding its
-- id, its unit and a digest of the key itself, made when the key is made and checked every
-- time it is opened; a key that fails is refused (key_check_failed), never used.
--
-- Keys made before this migration cannot be certified by the key itself at the upgrade (the
-- key is sealed; no member is signed in). The upgrade's trust point (certify_upgrade, with the
-- other rows) certifies their grants as they stand (grants_certificate); the first member
-- session that opens such a key checks the grants against it and then certifies the key.
ALTER TABLE subject_keys ADD COLUMN certificate BLOB;
ALTER TABLE subject_keys ADD COLUMN grants_certificate BLOB;
