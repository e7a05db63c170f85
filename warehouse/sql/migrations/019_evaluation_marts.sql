-- The evaluation results are materialised marts: computed from the submitted scores by supervision.scoring and
-- replaced, for the whole round, in the transaction of any change of scores, assignments or reconciliations. They
-- take mart_ names, and what were "、"-joined strings are lists. Rows are carried over.

-- Grain: one row per round and comprehensive archive. status: 已完成 (scored, graded, ranked), 待合议 (experts
-- differ beyond 20 % of an item's maximum without a reconciled value), 未完成 (self-evaluation incomplete or
-- fewer experts than required). Rank among the archives 已完成 (equal scores share a rank). veto_failures: the
-- failed veto items of a completed evaluation (empty when none; NULL when not completed); unreconciled: the
-- items awaiting a reconciled value.
CREATE TABLE mart_evaluation_results (
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
    veto_failures VARCHAR[],
    deviation_count INTEGER,
    unreconciled VARCHAR[] NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (round_id, archive_code)
);
INSERT INTO mart_evaluation_results
SELECT
    round_id, archive_code, status, experts, assigned, total, bonus_claimed, bonus, final_score, grade, rank,
    CASE WHEN total IS NULL THEN NULL ELSE coalesce(string_split(veto_failures, '、'), []) END,
    deviation_count,
    coalesce(string_split(unreconciled, '、'), []),
    computed_at
FROM evaluation_results;
DROP TABLE evaluation_results;

-- Grain: one row per round, archive (已完成) and first-level area.
CREATE TABLE mart_evaluation_area_results (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    subtotal DECIMAL(7, 1) NOT NULL,
    max_points DECIMAL(7, 1) NOT NULL,
    PRIMARY KEY (round_id, archive_code, area_code)
);
INSERT INTO mart_evaluation_area_results SELECT * FROM evaluation_area_results;
DROP TABLE evaluation_area_results;

-- Grain: one row per round, archive (已完成) and scoring item: the experts' scores (in scorer order), the score
-- that counts and the self-vs-expert deviation flag.
CREATE TABLE mart_evaluation_item_results (
    round_id VARCHAR NOT NULL,
    archive_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    self_score DECIMAL(6, 1) NOT NULL,
    expert_scores DECIMAL(6, 1)[] NOT NULL,
    expert_mean DECIMAL(6, 1) NOT NULL,
    spread DECIMAL(6, 1) NOT NULL,
    needs_reconciliation BOOLEAN NOT NULL,
    score DECIMAL(6, 1) NOT NULL,
    is_reconciled BOOLEAN NOT NULL,
    reconciliation_note VARCHAR,
    is_deviation BOOLEAN NOT NULL,
    PRIMARY KEY (round_id, archive_code, item_code)
);
INSERT INTO mart_evaluation_item_results
SELECT
    round_id, archive_code, item_code, self_score,
    list_transform(string_split(expert_scores, '、'), s -> s::DECIMAL(6, 1)),
    expert_mean, spread, needs_reconciliation, score, is_reconciled, reconciliation_note, is_deviation
FROM evaluation_item_results;
DROP TABLE evaluation_item_results;
