-- Problems found by the business-construction evaluation become findings in the rectification tracker
-- (supervision.md §2), beside those of inspections. A finding comes from an inspection (inspection_id, with the
-- upload lineage of its 发现问题 row) or from the evaluation of an archive in a round (round_id, archive_code: the
-- scoring item's result, whose expert score rows carry their own lineage); exactly one of the two is set, which
-- warehouse.evaluation_findings and the loads guarantee (DuckDB cannot add a CHECK to an existing table).
ALTER TABLE findings ADD COLUMN round_id VARCHAR;
ALTER TABLE findings ADD COLUMN archive_code VARCHAR;
ALTER TABLE findings ALTER COLUMN inspection_id DROP NOT NULL;
ALTER TABLE findings ALTER COLUMN submission_id DROP NOT NULL;
ALTER TABLE findings ALTER COLUMN sheet_name DROP NOT NULL;
ALTER TABLE findings ALTER COLUMN excel_row DROP NOT NULL;

-- Grain: one row per round and archive whose evaluation problems were issued as findings: the feedback (its date
-- starts the deadlines, its document number is quoted), who issued it and when, and how many findings it made.
-- Issuing is once per archive and round; a round with issued feedback cannot be opened again.
CREATE TABLE evaluation_feedbacks (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    feedback_date DATE NOT NULL,
    feedback_doc_no VARCHAR NOT NULL,
    findings INTEGER NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_by VARCHAR NOT NULL,
    PRIMARY KEY (round_id, archive_code)
);
