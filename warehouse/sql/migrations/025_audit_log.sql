-- The audit log: every state change (submissions, reviews, finding transitions, evaluation scores, rounds and
-- assignments, users and roles) and every sign-in, sign-in failure and throttling, with who, when, from where,
-- what, before, after and why. Append-only: the code only INSERTs (a test checks that no UPDATE or DELETE of it
-- exists), in the same transaction as the change it records; sign-ins are recorded by the web server in batches.
-- Grain: one row per recorded event.
CREATE TABLE audit_log (
    event_id VARCHAR PRIMARY KEY,          -- random, so a batch written twice adds nothing the second time
    occurred_at TIMESTAMP NOT NULL,        -- UTC; shown in Beijing time
    actor VARCHAR,                         -- the user name (for a failed sign-in: the name that was tried)
    via VARCHAR NOT NULL,                  -- web | command (names in census_schema/audit.py, checked in code)
    source_address VARCHAR,                -- the remote address (web) or user@host (command line)
    kind VARCHAR NOT NULL,                 -- census_schema.audit.AuditKind (checked in code: new kinds need no migration)
    action VARCHAR NOT NULL,
    target VARCHAR,                        -- what changed: a submission, finding, archive, user ...
    before_state VARCHAR,                  -- JSON: the state before the change (NULL when there was none)
    after_state VARCHAR,                   -- JSON: the state after it
    reason VARCHAR                         -- the why given with it (a return's reason, a transition's note)
);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);
