-- Every recorded upload (accepted or rejected; dry runs are never stored), its failures and its review history.
-- All timestamps are UTC.

-- Grain: one row per uploaded file that was validated and recorded.
CREATE TABLE submissions (
    submission_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('census', 'register')),
    province_code VARCHAR NOT NULL,
    round_id VARCHAR NOT NULL,
    form_version VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    file_bytes BIGINT NOT NULL,
    submitted_by VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('accepted', 'rejected')),
    -- The accepted submission that counts for its kind, province and round; rejected ones are never current.
    is_current BOOLEAN NOT NULL,
    superseded_by VARCHAR,
    superseded_at TIMESTAMP,
    review_state VARCHAR CHECK (review_state IN ('待审核', '已审核', '已退回')),
    row_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    warning_count BIGINT NOT NULL,
    CHECK ((status = 'accepted') = (review_state IS NOT NULL)),
    CHECK (status = 'accepted' OR NOT is_current)
);

-- Grain: one row per error or warning of a recorded submission.
CREATE TABLE submission_failures (
    submission_id VARCHAR NOT NULL REFERENCES submissions (submission_id),
    sheet VARCHAR NOT NULL,
    excel_row BIGINT,
    field VARCHAR,
    label VARCHAR,
    value VARCHAR,
    rule VARCHAR NOT NULL,
    severity VARCHAR NOT NULL CHECK (severity IN ('error', 'warning')),
    message VARCHAR NOT NULL
);

-- Grain: one row per review state change.
CREATE TABLE submission_reviews (
    submission_id VARCHAR NOT NULL REFERENCES submissions (submission_id),
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    from_state VARCHAR NOT NULL,
    to_state VARCHAR NOT NULL,
    reason VARCHAR
);
