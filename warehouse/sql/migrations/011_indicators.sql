-- Reported values of the five-year plan's indicators. Computed indicators are not stored: they are derived from
-- the census marts whenever asked for.

-- Grain: one row per loaded value of an indicator, year and province (NULL: national). A later upload of the same
-- indicator, year and province supersedes it: is_current is false on the earlier row, which stays as history.
CREATE TABLE indicator_values (
    indicator_code VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    province_code VARCHAR,
    value DECIMAL(18, 2) NOT NULL,
    note VARCHAR,
    is_current BOOLEAN NOT NULL,
    submission_id VARCHAR NOT NULL,
    sheet_name VARCHAR NOT NULL,
    excel_row BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
