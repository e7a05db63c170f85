-- What an expert found wrong with an item (扣分说明: why points were taken off), typed beside the score on the web
-- form. It travels into the finding the item becomes (warehouse.evaluation_findings) and the feedback report. NULL
-- where none was given, for every score saved before this step, and for self-evaluations; the grain of
-- evaluation_scores is unchanged.
ALTER TABLE evaluation_scores ADD COLUMN remark VARCHAR;
