"""Values far from their peers, ranked by how much they move the national total: a read-side check on loaded data.

Peers are the holders of the same type and tier (层级). A value is compared on the log scale, x = ln(1 + value),
because holdings, staff and areas spread over orders of magnitude: its modified z-score is 0.6745 (x − median) / MAD
(Iglewicz and Hoaglin), with 1.253314 × the mean absolute deviation in place of a MAD of 0 (a group where most
values are equal). |z| > 3.5 among at least 8 peers flags it. Only positive values are judged: a 0 is an absence
(no full-time staff, no electronic records), which the form's own rules judge, not a size. Outliers are ranked by impact: how much the national
total of the field would change if the value were its peers' median, as a share of that total. They are warnings
for a person to look at, never errors: nothing is refused or changed.
"""

from __future__ import annotations

from typing import Any

import duckdb

from census_schema.breakdowns import OUTLIER_FIELDS, OUTLIER_MIN_PEERS, OUTLIER_Z
from census_schema.census_form import ROUND_ID
from warehouse.transactions import quote_identifier

# The consistency constant of the MAD for a normal distribution, and of the mean absolute deviation.
MAD_SCALE, MEAN_AD_SCALE = 0.6745, 1.253314


def _outlier_sql() -> str:
    columns = ", ".join(f"CAST({quote_identifier(f)} AS DOUBLE) AS {quote_identifier(f)}" for f in OUTLIER_FIELDS)
    fields = ", ".join(quote_identifier(f) for f in OUTLIER_FIELDS)
    return f"""
    WITH wide AS (
        SELECT province_code, central_channel, division_code, uscc, unit_name, holder_type, level_tier,
               submission_id, excel_row, {columns}
        FROM mart_holder_returns WHERE round_id = ?
    ),
    v AS (
        SELECT *, ln(1 + value) AS x
        FROM wide UNPIVOT (value FOR field IN ({fields}))
        WHERE value > 0
    ),
    peers AS (
        SELECT holder_type, level_tier, field, count(*) AS peer_count, median(x) AS median_x,
               median(value) AS peer_median
        FROM v GROUP BY ALL
    ),
    deviations AS (
        SELECT v.*, p.peer_count, p.median_x, p.peer_median, abs(v.x - p.median_x) AS deviation
        FROM v JOIN peers AS p USING (holder_type, level_tier, field)
    ),
    spread AS (
        SELECT holder_type, level_tier, field, median(deviation) AS mad, avg(deviation) AS mean_ad
        FROM deviations GROUP BY ALL
    ),
    totals AS (SELECT field, sum(value) AS national_total FROM v GROUP BY field),
    scored AS (
        SELECT d.*, t.national_total,
               CASE WHEN s.mad > 0 THEN {MAD_SCALE} * (d.x - d.median_x) / s.mad
                    WHEN s.mean_ad > 0 THEN (d.x - d.median_x) / ({MEAN_AD_SCALE} * s.mean_ad) END AS modified_z
        FROM deviations AS d
        JOIN spread AS s USING (holder_type, level_tier, field)
        JOIN totals AS t USING (field)
    )
    SELECT province_code, central_channel, division_code, uscc, unit_name, holder_type, level_tier, submission_id,
           (SELECT s.file_name FROM submissions AS s WHERE s.submission_id = scored.submission_id) AS file_name,
           excel_row, field, value, peer_median, peer_count, round(modified_z, 2) AS modified_z,
           value - peer_median AS excess,
           CASE WHEN national_total > 0 THEN round(100 * abs(value - peer_median) / national_total, 4) END AS impact_pct
    FROM scored
    WHERE peer_count >= ? AND abs(modified_z) > ? AND (? IS NULL OR province_code = ?)
    ORDER BY abs(value - peer_median) / nullif(national_total, 0) DESC NULLS LAST, abs(modified_z) DESC, uscc, field
    LIMIT ?
    """  # noqa: S608 -- identifiers from the declared outlier fields, values bound


def query_outliers(
    con: duckdb.DuckDBPyConnection,
    province_code: str | None = None,
    round_id: str = ROUND_ID,
    *,
    limit: int = 500,
    min_peers: int = OUTLIER_MIN_PEERS,
    threshold: float = OUTLIER_Z,
) -> list[dict[str, Any]]:
    """Outlying values of the current returns (of one province, or all), largest impact on the national total first;
    peers are always national. Each row: the holder, the field and its Chinese label and unit, the value, the peer
    median and count, the modified z-score and the impact in percent of the national total."""
    cursor = con.execute(_outlier_sql(), [round_id, min_peers, threshold, province_code, province_code, limit])
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        label, unit = OUTLIER_FIELDS[row["field"]]
        row |= {"field_label": label, "unit": unit, "direction": "偏高" if row["excess"] > 0 else "偏低"}
    return rows
