-- People who sign in to the web app. Passwords are stored only as KDF hashes (werkzeug scrypt).
-- Grain: one row per user.
CREATE TABLE users (
    user_name VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('planner', 'province', 'evaluator', 'admin')),
    province_code VARCHAR,
    created_at TIMESTAMP NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK ((role = 'province') = (province_code IS NOT NULL))
);
