-- The staging views first created here now live in warehouse/sql/models/ (stg_*.sql), re-created on every
-- migrate. Views hold no data, so this step was emptied; it keeps its number so that old warehouses line up.
SELECT 1;
