-- The rectification measures (整改措施: what the unit does or did to fix the problem) a rectifier states with an
-- action (开始整改, 提交整改报告, 报告阶段进展; supervision.lifecycle). NULL where none were given, and for every
-- change recorded before this step (their measures, if any, are in the note). A finding's current measures are the
-- latest given (warehouse.inspections); the grain of finding_transitions is unchanged.
ALTER TABLE finding_transitions ADD COLUMN measures VARCHAR;
