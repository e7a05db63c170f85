-- Reminders written once a day by the daily-reminders flow (warehouse.reminders): who has to be chased today.
-- Grain: one row per reminder and day; a day's run replaces that day's rows, so the app shows the latest day.
-- kind: 未报送 (a province has no current accepted return or register), 已退回 (its current one was returned in
-- review), 即将逾期 (an open finding reaches its deadline within the warning window).
CREATE TABLE reminders (
    generated_on DATE NOT NULL,
    kind VARCHAR NOT NULL,
    -- The province the reminder is for (the inspected unit's province for a finding); NULL for central units.
    province_code VARCHAR,
    scope_name VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    due_on DATE,
    submission_id VARCHAR,
    finding_id VARCHAR,
    generated_at TIMESTAMP NOT NULL
);
