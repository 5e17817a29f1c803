-- 0017. Insider review K4 for lost passwords and authenticators (issue 18).
--
-- A member who lost their password or authenticator is re-keyed through the enrolment flow:
-- security staff make a one-time re-key code, the member redeems it and makes a new key pair
-- in their own session, and a second person approves it by typing the fingerprint. A re-key
-- request is a pending enrolment naming the account it replaces the key of (rekey_staff_id;
-- NULL for a newcomer), covered by the row's MAC.
--
-- totp_step: the authenticator time-step the code typed at redemption belonged to. It is
-- copied into the account's totp_last_step, so that code is spent and cannot sign in again.
ALTER TABLE pending_enrolments ADD COLUMN rekey_staff_id INTEGER;
ALTER TABLE pending_enrolments ADD COLUMN totp_step INTEGER;
