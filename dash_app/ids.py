"""Component ids, the one place for all pages (callbacks and browser tests refer to these).

Plain strings for single components; pattern-matching ids (dicts) are built from the `*_TYPE` names below, because a
component that exists only in some states of a page (the scoring form, its fields) must be matched with ALL."""

URL = "url"
NAV = "nav"
# The page's own content, where the skip link (跳到正文) takes the keyboard past the navigation.
MAIN = "main-content"
NAV_USER = "nav-user"
NAV_LOGOUT = "nav-logout"
STAMP = "data-stamp"
DATA_AS_OF = "data-as-of"
CENSUS_ROUND = "census-round"
# What a page shows instead of itself: the role may not see it, or the address leads nowhere.
PAGE_REFUSED = "page-refused"
PAGE_NOT_FOUND = "page-not-found"

# The sign-in and sign-out pages (plain HTML forms, outside Dash)
LOGIN_FORM = "login-form"
LOGIN_USERNAME = "login-username"
LOGIN_PASSWORD = "login-password"  # noqa: S105 - the id of the password field, not a password
LOGIN_SUBMIT = "login-submit"
LOGIN_ERROR = "login-error"
LOGOUT_FORM = "logout-form"
NAV_PASSWORD = "nav-password"  # noqa: S105 - the id of a link, not a password
PASSWORD_FORM = "password-form"  # noqa: S105 - ids of the password change form, not passwords
PASSWORD_CURRENT = "password-current"  # noqa: S105
PASSWORD_NEW = "password-new"  # noqa: S105
PASSWORD_REPEAT = "password-repeat"  # noqa: S105
PASSWORD_SUBMIT = "password-submit"  # noqa: S105
PASSWORD_CHANGED = "password-changed"  # noqa: S105
LOGOUT_SUBMIT = "logout-submit"
# A page's own address bar: its filters written into the URL (refresh=False), so a link reproduces the view.
PAGE_URL = "page-url"

# /: the overview
OVERVIEW_METRIC = "overview-metric"
OVERVIEW_MAP = "overview-map"
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_RED = "overview-red"
OVERVIEW_RED_CONDITIONS = "overview-red-conditions"
OVERVIEW_PROVINCE = "overview-province"
OVERVIEW_REGION = "overview-region"
OVERVIEW_DRILL = "overview-drill"
OVERVIEW_LINEAGE = "overview-lineage"
OVERVIEW_TABLE = "overview-table"

# /coverage
COVERAGE_CRUMBS = "coverage-crumbs"
COVERAGE_GRID = "coverage-grid"
COVERAGE_MISSING_GRID = "coverage-missing-grid"
COVERAGE_UNREGISTERED_GRID = "coverage-unregistered-grid"
COVERAGE_GO = "coverage-go"
COVERAGE_NOTICE = "coverage-notice"
OVERVIEW_NOTICE = "overview-notice"
COVERAGE_COUNTY_FIGURES = "coverage-county-figures"
COVERAGE_REGISTER_NOTE = "coverage-register-note"

# /quality
QUALITY_GRID = "quality-grid"
QUALITY_TREND = "quality-trend"
QUALITY_ERRORS_GRID = "quality-errors-grid"
QUALITY_WARNINGS_GRID = "quality-warnings-grid"
QUALITY_DUPLICATES_GRID = "quality-duplicates-grid"
QUALITY_OUTLIERS_GRID = "quality-outliers-grid"

# /inspections
INSPECTIONS_STATUS = "inspections-status"
INSPECTIONS_OVERDUE = "inspections-overdue"
INSPECTIONS_CARDS = "inspections-cards"
INSPECTIONS_CHART = "inspections-chart"
INSPECTIONS_GRID = "inspections-grid"
INSPECTIONS_FINDING = "inspections-finding"
INSPECTIONS_DETAIL = "inspections-detail"
INSPECTIONS_HISTORY_GRID = "inspections-history-grid"
INSPECTIONS_ACTION = "inspections-action"
INSPECTIONS_NOTE = "inspections-note"
INSPECTIONS_MEASURES = "inspections-measures"
INSPECTIONS_EVIDENCE = "inspections-evidence"
INSPECTIONS_EVIDENCE_CHOSEN = "inspections-evidence-chosen"
INSPECTIONS_EVIDENCE_SPEC = "inspections-evidence-spec"
INSPECTIONS_APPLY = "inspections-apply"
INSPECTIONS_RESULT = "inspections-result"
INSPECTIONS_DEADLINE = "inspections-deadline"
INSPECTIONS_ACTION_PREVIEW = "inspections-action-preview"
INSPECTIONS_CORRECT_FIELD = "inspections-correct-field"
INSPECTIONS_CORRECT_VALUE = "inspections-correct-value"
INSPECTIONS_CORRECT_REASON = "inspections-correct-reason"
INSPECTIONS_CORRECT = "inspections-correct"
INSPECTIONS_CORRECT_PREVIEW = "inspections-correct-preview"

# /evaluation
EVALUATION_ARCHIVE = "evaluation-archive"
EVALUATION_RESULTS_GRID = "evaluation-results-grid"
EVALUATION_ROUND_STATE = "evaluation-round-state"
EVALUATION_ASSIGNMENTS_GRID = "evaluation-assignments-grid"
EVALUATION_ITEMS_GRID = "evaluation-items-grid"
EVALUATION_RADAR = "evaluation-radar"
EVALUATION_RADAR_TABLE = "evaluation-radar-table"
EVALUATION_REPORT_LINK = "evaluation-report-link"
EVALUATION_PENDING = "evaluation-pending"
# The bureau's entry of the panel's reconciled values: {"type": EVALUATION_RECONCILED(_NOTE), "item": code} fields.
EVALUATION_RECONCILED = "evaluation-reconciled"
EVALUATION_RECONCILED_NOTE = "evaluation-reconciled-note"
EVALUATION_RECONCILE = "evaluation-reconcile"
EVALUATION_RECONCILE_RESULT = "evaluation-reconcile-result"
EVALUATION_OWN_SHEET_DOWNLOAD = "evaluation-own-sheet-download"
EVALUATION_SELF_NOTE = "evaluation-self-note"
EVALUATION_SELF_SCORE = "evaluation-self-score"
EVALUATION_REQUESTED = "evaluation-requested"
EVALUATION_FORM = "evaluation-form"
EVALUATION_SAVE = "evaluation-save"
EVALUATION_SUBMIT = "evaluation-submit"
EVALUATION_RESULT = "evaluation-result"
EVALUATION_REFUSED = "evaluation-refused"
EVALUATION_PROBLEMS = "evaluation-problems"
EVALUATION_REPORT_DOWNLOAD = "evaluation-report-download"
# The national bureau's form issuing an archive's evaluation problems as findings.
EVALUATION_ISSUE_PREVIEW = "evaluation-issue-preview"
EVALUATION_ISSUE_DATE = "evaluation-issue-date"
EVALUATION_ISSUE_DOC = "evaluation-issue-doc"
EVALUATION_ISSUE_PERSON = "evaluation-issue-person"
EVALUATION_ISSUE_FLOOR = "evaluation-issue-floor"
EVALUATION_ISSUE = "evaluation-issue"
EVALUATION_ISSUE_RESULT = "evaluation-issue-result"
EVALUATION_WITHDRAW_BLOCK = "evaluation-withdraw-block"
EVALUATION_WITHDRAW_PREVIEW = "evaluation-withdraw-preview"
EVALUATION_WITHDRAW_REASON = "evaluation-withdraw-reason"
EVALUATION_WITHDRAW = "evaluation-withdraw"
# Pattern-matching id types of the scoring form: {"type": EVALUATION_SCORE, "item": code}, ...
EVALUATION_SCORE = "evaluation-score"
EVALUATION_VERDICT = "evaluation-verdict"
EVALUATION_SCORE_ERROR = "evaluation-score-error"
EVALUATION_REMARK = "evaluation-remark"
EVALUATION_SUBTOTAL = "evaluation-subtotal"
EVALUATION_TOTAL = "evaluation-total"
EVALUATION_MAXIMA = "evaluation-maxima"
# The sheet's version the open form shows (a save over a sheet saved since, in another tab, is refused).
EVALUATION_SHEET_VERSION = "evaluation-sheet-version"

# /indicators
INDICATORS_CARDS = "indicators-cards"
INDICATORS_CHOICE = "indicators-choice"
INDICATORS_TRAJECTORY = "indicators-trajectory"
INDICATORS_HEATMAP = "indicators-heatmap"
INDICATORS_COMPUTED_NOTE = "indicators-computed-note"
INDICATORS_GRID = "indicators-grid"
INDICATORS_TARGETS_GRID = "indicators-targets-grid"
INDICATORS_REPORT_DOWNLOAD = "indicators-report-download"

# /submissions
SUBMISSIONS_GRID = "submissions-grid"
SUBMISSIONS_REVIEW_ID = "submissions-review-id"
SUBMISSIONS_REVIEW_REASON = "submissions-review-reason"
SUBMISSIONS_ACCEPT = "submissions-accept"
SUBMISSIONS_RETURN = "submissions-return"
SUBMISSIONS_WITHDRAW = "submissions-withdraw"
SUBMISSIONS_CHANGES = "submissions-changes"
SUBMISSIONS_REVIEW_RESULT = "submissions-review-result"
SUBMISSIONS_RETURN_PREVIEW = "submissions-return-preview"
SUBMISSIONS_REVIEW_PROGRESS = "submissions-review-progress"
SUBMISSIONS_DATA_DOCS_LINK = "submissions-data-docs-link"
SUBMISSIONS_REPORT_LINK = "submissions-report-link"
SUBMISSIONS_FAILURES_GRID = "submissions-failures-grid"
SUBMISSIONS_FAILURES_NOTE = "submissions-failures-note"
LINEAGE_USCC = "lineage-uscc"
LINEAGE_GRID = "lineage-grid"

# /lineage
LINEAGE_SUMMARY = "lineage-summary"
LINEAGE_RETURNS_GRID = "lineage-returns-grid"
LINEAGE_ROWS_GRID = "lineage-rows-grid"

# /audit
AUDIT_ACTOR = "audit-actor"
AUDIT_KIND = "audit-kind"
AUDIT_SINCE = "audit-since"
AUDIT_UNTIL = "audit-until"
AUDIT_RANGE_NOTE = "audit-range-note"
AUDIT_GRID = "audit-grid"
AUDIT_DETAIL = "audit-detail"
ACCOUNTS_ROLE = "accounts-role"
ACCOUNTS_STATE = "accounts-state"
ACCOUNTS_GRID = "accounts-grid"
ACCOUNTS_FULL_NAME = "accounts-full-name"
ACCOUNTS_RENAME = "accounts-rename"
ACCOUNTS_NAME = "accounts-name"
ACCOUNTS_NEW_ROLE = "accounts-new-role"
ACCOUNTS_NEW_PROVINCE = "accounts-new-province"
ACCOUNTS_NEW_SCOPE = "accounts-new-scope"
ACCOUNTS_CREATE = "accounts-create"
ACCOUNTS_RESET = "accounts-reset"
ACCOUNTS_DISABLE = "accounts-disable"
ACCOUNTS_ENABLE = "accounts-enable"
ACCOUNTS_PREVIEW = "accounts-preview"
ACCOUNTS_RESULT = "accounts-result"

# /upload
UPLOAD_POLL = "upload-poll"
UPLOAD_STATUS = "upload-status"
UPLOAD_FAILURES_GRID = "upload-failures-grid"
UPLOAD_FAILURES_SECTION = "upload-failures-section"
# The upload form (a plain multipart POST) and the job's outcome
UPLOAD_FORM = "upload-form"
UPLOAD_KIND = "upload-kind"
UPLOAD_FILE = "upload-file"
UPLOAD_FILE_NOTE = "upload-file-note"
UPLOAD_REMOVED_RETURNS = "upload-removed-returns"
UPLOAD_SUBMIT = "upload-submit"
UPLOAD_HELD_ABOVE = "upload-held-above"
UPLOAD_PROGRESS = "upload-progress"
UPLOAD_SUBMISSION_ID = "upload-submission-id"
UPLOAD_OUTCOME = "upload-outcome"
UPLOAD_REPORT_LINK = "upload-report-link"
UPLOAD_DATA_DOCS_LINK = "upload-data-docs-link"
UPLOAD_SHRINK = "upload-shrink"
UPLOAD_DROPPED = "upload-dropped"
UPLOAD_CONFIRM_SHRINK = "upload-confirm-shrink"
UPLOAD_REPLACES_OTHER = "upload-replaces-other"
UPLOAD_CHANGED_SINCE = "upload-changed-since"
UPLOAD_REPLACED = "upload-replaced"
UPLOAD_CURRENT_RETURNS = "upload-current-returns"
UPLOAD_TEMPLATE_SCOPE = "upload-template-scope"
UPLOAD_RETURNED_NOTE = "upload-returned-note"
UPLOAD_REMINDERS = "upload-reminders"


def nav_link(page_name: str) -> str:
    """The id of a page's link in the navigation bar."""
    return f"nav-{page_name}"


def template_link(kind: str) -> str:
    """The id of the download link of a workbook kind's template."""
    return f"template-{kind}"


def export_button(grid_id: str) -> str:
    """The id of a grid's export-to-Excel button."""
    return f"{grid_id}-export"


def export_download(grid_id: str) -> str:
    """The id of a grid's download target."""
    return f"{grid_id}-download"


def breakdown_choice(page: str) -> str:
    """The id of a page's breakdown selector."""
    return f"{page}-breakdown-choice"


def breakdown_graph(page: str) -> str:
    """The id of a page's breakdown chart."""
    return f"{page}-breakdown-graph"


def breakdown_carriers(page: str) -> str:
    """The id of a page's table of the carriers other than paper."""
    return f"{page}-breakdown-carriers"


def grid_count(grid_id: str) -> str:
    """The id of a grid's row count (共 N 条)."""
    return f"{grid_id}-count"


def grid_filtered(grid_id: str) -> str:
    """The id of the count of a grid's rows left by its filters."""
    return f"{grid_id}-filtered"


# The daily reminders panels: reporting reminders on the overview, finding deadlines on /inspections.
OVERVIEW_REMINDERS = "overview-reminders"
OVERVIEW_REMOVED_RETURNS = "overview-removed-returns"
INSPECTIONS_REMINDERS = "inspections-reminders"
INSPECTIONS_RECORDS_GRID = "inspections-records-grid"
