-- Grain: one row per submission a reviewer ever returned (已退回, census_schema's review state RETURNED): its latest
-- return, that is why it was returned (the reason its uploader is told), by whom, when and at which review level.
-- Whether it is still returned is the submission's review_state; every reader of a return's reason takes it here.
CREATE VIEW latest_returns AS
SELECT DISTINCT ON (submission_id) submission_id, reason, changed_by, changed_at, review_level
FROM submission_reviews
WHERE to_state = '已退回'
ORDER BY submission_id, changed_at DESC;
