-- Reported holders as a share of expected ones, in percent, never above 100; NULL without expected holders (no
-- register: 0 of 0 is not 0 %).
CREATE MACRO coverage_pct(reported, expected) AS
    CASE WHEN coalesce(expected, 0) = 0 THEN NULL
         ELSE least(100.0, round(coalesce(reported, 0) * 100.0 / expected, 2)) END;
