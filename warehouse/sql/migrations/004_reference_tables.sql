-- Reference data; the migration runner (re)loads the rows from census_schema whenever they change.

-- Grain: one row per current GB/T 2260 division (plus the XPCC pseudo-province and its divisions).
CREATE TABLE divisions (
    division_code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    level VARCHAR NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent_code VARCHAR,
    province_code VARCHAR NOT NULL,
    longitude DOUBLE,
    latitude DOUBLE
);

-- Grain: one row per comprehensive archive at sub-provincial level and above (47).
CREATE TABLE comprehensive_archives (
    archive_code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    division_code VARCHAR NOT NULL,
    level VARCHAR NOT NULL
);

-- Grain: one row per reference table: the fingerprint of the rows last loaded into it.
CREATE TABLE reference_data_versions (
    table_name VARCHAR PRIMARY KEY,
    content_sha256 VARCHAR NOT NULL,
    refreshed_at TIMESTAMP NOT NULL
);
