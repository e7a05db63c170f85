-- Password hygiene (the usual 等级保护 rule): when each account's password was last set, and whether its owner must
-- replace it at the next sign-in because an administrator set it (a new account's, or one reset with
-- `users add --replace`). Accounts of before this step count from their creation and are not made to change; the
-- grain of users is unchanged.
ALTER TABLE users ADD COLUMN password_set_at TIMESTAMP;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN;  -- NULL read as false (DuckLake adds no computed default)
UPDATE users SET password_set_at = created_at, must_change_password = false;
