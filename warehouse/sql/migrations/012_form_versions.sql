-- Which form versions built the warehouse. The runner creates `form_versions` before any migration and records
-- every raw-table migration from now on; the census and register raw tables (migrations 002 and 003) were built
-- before it existed, at GYDA-2024.1, so they are recorded here when missing.
INSERT INTO form_versions
SELECT kind, 'GYDA-2024.1', 'raw_' || kind || '_rows', version, (now() AT TIME ZONE 'UTC')
FROM (VALUES ('census', 2), ('register', 3)) AS built(kind, version)
WHERE NOT EXISTS (SELECT 1 FROM form_versions AS f WHERE f.form_kind = built.kind);
