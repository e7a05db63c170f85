-- The business-construction evaluation of the 47 comprehensive archives: rounds, who may score what, the scores
-- (self and per expert, drafts and submitted), reconciled values, and the results derived from them.

-- Grain: one row per evaluation round. Only an open round accepts scores.
CREATE TABLE evaluation_rounds (
    round_id VARCHAR PRIMARY KEY,
    standard_version VARCHAR NOT NULL,
    is_open BOOLEAN NOT NULL,
    opened_at TIMESTAMP,
    opened_by VARCHAR,
    closed_at TIMESTAMP,
    closed_by VARCHAR
);

-- Grain: one row per expert assigned to an archive in a round.
CREATE TABLE evaluation_assignments (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    evaluator VARCHAR NOT NULL,
    assigned_at TIMESTAMP NOT NULL,
    assigned_by VARCHAR NOT NULL,
    PRIMARY KEY (round_id, archive_code, evaluator)
);

-- Grain: one row per round, archive, scorer and item (scoring item or bonus item): the scorer's current score.
-- scorer is '自评' for the archive's self-evaluation, else the expert's user name. A draft (saved in the web app,
-- is_submitted false) never counts; submitting replaces the scorer's sheet for the archive. Uploaded rows keep
-- their lineage.
CREATE TABLE evaluation_scores (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    scorer VARCHAR NOT NULL,
    is_self BOOLEAN NOT NULL,
    item_code VARCHAR NOT NULL,
    score DECIMAL(6, 1),
    veto_passed BOOLEAN,
    evidence VARCHAR,
    is_submitted BOOLEAN NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    saved_by VARCHAR NOT NULL,
    submission_id VARCHAR,
    sheet_name VARCHAR,
    excel_row BIGINT,
    PRIMARY KEY (round_id, archive_code, scorer, item_code)
);

-- Grain: one row per round, archive and item given a reconciled value (合议分) by the expert panel.
CREATE TABLE evaluation_reconciliations (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    value DECIMAL(6, 1) NOT NULL,
    note VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR NOT NULL,
    submission_id VARCHAR,
    sheet_name VARCHAR,
    excel_row BIGINT,
    PRIMARY KEY (round_id, archive_code, item_code)
);

-- Results are derived from the submitted scores and recomputed, for the whole round (ranks depend on all),
-- in the same transaction as any change of scores; they are never edited by hand.

-- Grain: one row per round and comprehensive archive. status: 已完成 (scored, graded, ranked), 待合议 (experts
-- differ beyond 20 % of an item's maximum without a reconciled value), 未完成 (self-evaluation incomplete or
-- fewer experts than required). Rank among the archives 已完成 (equal scores share a rank).
CREATE TABLE evaluation_results (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    experts INTEGER NOT NULL,
    assigned INTEGER NOT NULL,
    total DECIMAL(7, 1),
    bonus_claimed DECIMAL(6, 1),
    bonus DECIMAL(6, 1),
    final_score DECIMAL(7, 1),
    grade VARCHAR,
    rank INTEGER,
    veto_failures VARCHAR,
    deviation_count INTEGER,
    unreconciled VARCHAR,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (round_id, archive_code)
);

-- Grain: one row per round, archive (已完成) and first-level area.
CREATE TABLE evaluation_area_results (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    subtotal DECIMAL(7, 1) NOT NULL,
    max_points DECIMAL(7, 1) NOT NULL,
    PRIMARY KEY (round_id, archive_code, area_code)
);

-- Grain: one row per round, archive (已完成) and scoring item: the experts' scores, the score that counts and
-- the self-vs-expert deviation flag.
CREATE TABLE evaluation_item_results (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    self_score DECIMAL(6, 1) NOT NULL,
    expert_scores VARCHAR NOT NULL,
    expert_mean DECIMAL(6, 1) NOT NULL,
    spread DECIMAL(6, 1) NOT NULL,
    needs_reconciliation BOOLEAN NOT NULL,
    score DECIMAL(6, 1) NOT NULL,
    is_reconciled BOOLEAN NOT NULL,
    reconciliation_note VARCHAR,
    is_deviation BOOLEAN NOT NULL,
    PRIMARY KEY (round_id, archive_code, item_code)
);
