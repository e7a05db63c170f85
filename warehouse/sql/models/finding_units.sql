-- Grain: one row per finding: where it was found (an inspection, or the evaluation of a comprehensive archive) and
-- the unit that must rectify it, with the province and class it is counted under and the division it lies in. An
-- evaluation's "inspection type" is 业务建设评价, its organiser the national bureau, its year the round's, its unit
-- the archive (class 省级 or 副省级, counted under the province of its division) and its document the feedback's.
-- The words are those of census_schema.supervision.codes (FindingSource, EVALUATION_ORGANISER);
-- tests/warehouse/test_evaluation_findings.py reads them back against those.
CREATE VIEW finding_units AS
SELECT
    f.finding_id,
    '监督检查' AS source,
    i.year,
    i.inspection_type,
    i.organiser,
    i.unit_name,
    i.unit_class,
    i.province_code,
    i.division_code,
    i.feedback_doc_no
FROM findings AS f
JOIN inspections AS i USING (inspection_id)
UNION ALL
SELECT
    f.finding_id,
    '业务建设评价' AS source,
    coalesce(TRY_CAST(f.round_id AS INTEGER), year(e.feedback_date)) AS year,
    '业务建设评价' AS inspection_type,
    '国家档案局' AS organiser,
    a.name AS unit_name,
    a.level AS unit_class,
    d.province_code,
    a.division_code,
    e.feedback_doc_no
FROM findings AS f
JOIN evaluation_feedbacks AS e USING (round_id, archive_code)
JOIN comprehensive_archives AS a USING (archive_code)
JOIN divisions AS d ON d.division_code = a.division_code
WHERE f.inspection_id IS NULL;
