-- Reported holders as a share of expected ones, in percent: 0 without expected holders, never above 100.
CREATE MACRO coverage_pct(reported, expected) AS
    CASE WHEN coalesce(expected, 0) = 0 THEN 0.0
         ELSE least(100.0, round(coalesce(reported, 0) * 100.0 / expected, 2)) END;
