"""The domain rules of supervision: the rectification lifecycle, inspection grading, evaluation scoring, indicator
progress. Plain typed functions over the declarations in `census_schema.supervision`."""
