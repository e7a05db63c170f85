-- Grain: one row per holder row of a current accepted census return that counts in the figures: every current
-- accepted return except one a reviewer returned (已退回), which leaves the figures until a corrected return of its
-- scope replaces it or a reviewer accepts it after all. province_code is the reporting province (NULL for a central
-- channel); central_channel the channel's key (organs, enterprises, archives) for central returns.
CREATE VIEW stg_census_returns AS
SELECT
    s.round_id,
    s.province_code,
    s.scope_kind,
    s.scope_code,
    CASE WHEN s.scope_kind = 'central' THEN s.scope_code END AS central_channel,
    s.review_state,
    s.form_version,
    r.* EXCLUDE (loaded_at)
FROM raw_census_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.kind = 'census' AND s.status = 'accepted' AND s.is_current AND s.review_state IS DISTINCT FROM '已退回';
