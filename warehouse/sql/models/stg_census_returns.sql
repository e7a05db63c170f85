-- Grain: one row per holder row of a current accepted census return that counts in the figures: every current
-- accepted return except one a reviewer returned (已退回), which leaves the figures until a corrected return of its
-- scope replaces it or a reviewer accepts it after all. province_code is the reporting province (NULL for a central
-- channel); central_channel the channel's key (organs, enterprises, archives) for central returns.
-- Fields a later form version added are 0 in returns of the versions before it (GYDA-2024.1 had no 长期/短期
-- retention classes).
CREATE VIEW stg_census_returns AS
SELECT
    s.round_id,
    s.province_code,
    s.scope_kind,
    s.scope_code,
    scope_channel(s.scope_kind, s.scope_code) AS central_channel,
    s.review_state,
    s.form_version,
    r.* EXCLUDE (loaded_at, vol_long, vol_short, item_long, item_short),
    coalesce(r.vol_long, 0) AS vol_long,
    coalesce(r.vol_short, 0) AS vol_short,
    coalesce(r.item_long, 0) AS item_long,
    coalesce(r.item_short, 0) AS item_short
FROM raw_census_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.kind = 'census' AND s.status = 'accepted' AND s.is_current AND s.review_state IS DISTINCT FROM '已退回';
