-- Inspections, their findings and every change of a finding. Codes (types, severities, states, actions) are the
-- census_schema code lists; loads check them, so they are not repeated here as CHECK constraints.
-- Lineage: every loaded row keeps the submission, sheet and Excel row it came from.

-- Grain: one row per inspection (检查). compliance_pct and grade are derived once, when the record is loaded,
-- by the checklist grading (grade only for 综合检查).
CREATE TABLE inspections (
    inspection_id VARCHAR PRIMARY KEY,
    year INTEGER NOT NULL,
    inspection_type VARCHAR NOT NULL,
    organiser VARCHAR NOT NULL,
    unit_uscc VARCHAR NOT NULL,
    unit_name VARCHAR NOT NULL,
    unit_class VARCHAR NOT NULL,
    division_code VARCHAR NOT NULL,
    -- The province of the inspected unit's division.
    province_code VARCHAR NOT NULL,
    notice_date DATE NOT NULL,
    onsite_start DATE NOT NULL,
    onsite_end DATE NOT NULL,
    inspectors VARCHAR NOT NULL,
    inspector_count INTEGER NOT NULL,
    checklist_version VARCHAR NOT NULL,
    items_applicable INTEGER NOT NULL,
    items_compliant INTEGER NOT NULL,
    failed_veto_items INTEGER NOT NULL,
    has_security_incident BOOLEAN NOT NULL,
    compliance_pct DECIMAL(5, 2),
    grade VARCHAR,
    grade_reason VARCHAR,
    feedback_date DATE NOT NULL,
    feedback_doc_no VARCHAR NOT NULL,
    remarks VARCHAR,
    submission_id VARCHAR NOT NULL,
    sheet_name VARCHAR NOT NULL,
    excel_row BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- Grain: one row per finding (问题): what was found and where its rectification stands now (status, current
-- deadline). Overdue is never stored: it is derived from deadline and status for the day a query asks about.
CREATE TABLE findings (
    finding_id VARCHAR PRIMARY KEY,
    inspection_id VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    area_name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    is_immediate BOOLEAN NOT NULL,
    requirement VARCHAR NOT NULL,
    -- The deadline when issued (given, or 30 working days after feedback; 立行立改: the feedback day) ...
    original_deadline DATE NOT NULL,
    -- ... and now, after any extension.
    deadline DATE NOT NULL,
    responsible_unit VARCHAR NOT NULL,
    responsible_person VARCHAR NOT NULL,
    remarks VARCHAR,
    status VARCHAR NOT NULL,
    issued_on DATE NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    submission_id VARCHAR NOT NULL,
    sheet_name VARCHAR NOT NULL,
    excel_row BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    CHECK (deadline >= original_deadline),
    CHECK (original_deadline >= issued_on)
);

-- Grain: one row per change of a finding, in order (seq): who, when, in which role, from, to, by which action,
-- with the note, evidence and new deadline given. An uploaded change keeps its submission, sheet and row; a change
-- made through the command line or the web app has none (recorded_via says which).
CREATE TABLE finding_transitions (
    finding_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    from_status VARCHAR NOT NULL,
    to_status VARCHAR NOT NULL,
    note VARCHAR,
    evidence VARCHAR,
    new_deadline DATE,
    recorded_at TIMESTAMP NOT NULL,
    recorded_via VARCHAR NOT NULL CHECK (recorded_via IN ('upload', 'command', 'web')),
    submission_id VARCHAR,
    sheet_name VARCHAR,
    excel_row BIGINT,
    PRIMARY KEY (finding_id, seq),
    CHECK ((recorded_via = 'upload') = (submission_id IS NOT NULL))
);
