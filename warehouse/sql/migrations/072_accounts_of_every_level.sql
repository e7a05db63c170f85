-- Accounts of every reporting level: beside a province's office, a prefecture's or county's archives office (its
-- division in scope_code, its province in province_code) and a central channel's (its channel key in scope_code,
-- no province). DuckDB cannot change a table's CHECK constraints, so the table is built again and its rows copied;
-- the grain of users is unchanged (one row per user) and every account keeps its role, province and password.
CREATE TABLE users_next (
    user_name VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL
        CHECK (role IN ('planner', 'province', 'prefecture', 'county', 'central', 'evaluator', 'admin')),
    province_code VARCHAR,
    created_at TIMESTAMP NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    password_set_at TIMESTAMP,
    must_change_password BOOLEAN,
    scope_code VARCHAR,
    CHECK ((role IN ('province', 'prefecture', 'county')) = (province_code IS NOT NULL)),
    CHECK ((role IN ('prefecture', 'county', 'central')) = (scope_code IS NOT NULL))
);
INSERT INTO users_next (
    user_name, password_hash, role, province_code, created_at, is_active, password_set_at, must_change_password
)
SELECT user_name, password_hash, role, province_code, created_at, is_active, password_set_at, must_change_password
FROM users;
DROP TABLE users;
ALTER TABLE users_next RENAME TO users;
