-- Indicator values: the uploaded rows (raw_indicator_values_rows, with their lineage) are the record, and which
-- value is current is derived by the model stg_indicator_values instead of being stored and updated. Values loaded
-- before the raw tables existed move there with their submission, sheet and row.
INSERT INTO raw_indicator_values_rows
    (submission_id, sheet_name, excel_row, loaded_at, indicator_code, year, province_code, value, note)
SELECT v.submission_id, v.sheet_name, v.excel_row, v.loaded_at, v.indicator_code, v.year, v.province_code,
    v.value::DOUBLE, v.note
FROM indicator_values AS v
WHERE NOT EXISTS (
    SELECT 1 FROM raw_indicator_values_rows AS r WHERE r.submission_id = v.submission_id AND r.excel_row = v.excel_row
);
DROP TABLE indicator_values;
