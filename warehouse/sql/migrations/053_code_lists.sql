-- Code lists and groupings as reference data (reloaded from census_schema whenever they change), and the mark on
-- codes of the census's own numbering: the census scheme has not fixed them yet, so they are provisional.

-- The Corps' reporting code 660000 is not a GB/T 2260 code. (No DEFAULT: a DuckLake adds a column only with a
-- literal default and rejects `false`; the reference data reload right after the migrations sets every row.)
ALTER TABLE divisions ADD COLUMN is_provisional BOOLEAN;
UPDATE divisions SET is_provisional = false;

-- Grain: one row per value of a code list used by a form.
CREATE TABLE code_lists (
    list_name VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    -- A list of this platform's own (no published standard or scheme yet).
    is_provisional BOOLEAN NOT NULL,
    source VARCHAR,
    PRIMARY KEY (list_name, value)
);

-- Grain: one row per grouping and value: the group a value counts in (administrative level -> tier, holder type ->
-- the basis of the indicators).
CREATE TABLE code_groups (
    grouping VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    group_value VARCHAR NOT NULL,
    group_position INTEGER NOT NULL,
    PRIMARY KEY (grouping, value)
);
