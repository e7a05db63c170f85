-- Grain: one row per expected holder of a current accepted register that counts (not returned by a reviewer).
-- province_code is the registering province (NULL for a central channel); central_channel the channel's key.
-- annual_stats_year, annual_stats_vol, annual_stats_item: the holder's annual statistics (统计年报), given together or
-- not at all (NULL on registers of GYDA-2024.1), compared with its census return by the checks, not counted here.
CREATE VIEW stg_register AS
SELECT
    s.round_id,
    s.province_code,
    s.scope_kind,
    s.scope_code,
    scope_channel(s.scope_kind, s.scope_code) AS central_channel,
    s.form_version,
    r.* EXCLUDE (loaded_at)
FROM raw_register_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.kind = 'register' AND s.status = 'accepted' AND s.is_current AND s.review_state IS DISTINCT FROM '已退回';
