-- Reporting scopes and review at two levels (census_schema.scopes; docs/interfaces-supplement.md, "Scopes").
-- A census return or register is for a scope: a whole province, a prefecture or county inside it (province_code
-- stays the province), or a central channel (province_code NULL). An accepted upload supersedes only the current
-- one of its kind, scope and round. review_stage says who acts next on a return awaiting review, or who returned
-- it: 'province' (a prefecture's or county's return its province has not accepted yet) or 'national'.
-- Plain columns (DuckDB cannot add a column with a constraint in place); loads and reviews keep them consistent.
-- Uploads recorded before scopes existed were whole-province returns reviewed by the national bureau.
ALTER TABLE submissions ADD COLUMN scope_kind VARCHAR;
ALTER TABLE submissions ADD COLUMN scope_code VARCHAR;
ALTER TABLE submissions ADD COLUMN review_stage VARCHAR;
UPDATE submissions SET scope_kind = 'province', scope_code = province_code WHERE province_code IS NOT NULL;
UPDATE submissions SET review_stage = 'national' WHERE review_state IS NOT NULL;

-- Which level made each review change (province or national); earlier changes were all national.
ALTER TABLE submission_reviews ADD COLUMN review_level VARCHAR;
UPDATE submission_reviews SET review_level = 'national';
