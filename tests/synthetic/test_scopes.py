"""The synthetic scopes: central channels' units, provinces split into prefecture and county returns."""

from __future__ import annotations

import polars as pl

from census_schema.census_form import CENSUS_FORM
from census_schema.scopes import ScopeKind, central_scope
from checks.context import build_check_context
from checks.validate import validate_return
from synthetic.census import generate_national_dataset
from synthetic.scopes import CENTRAL_UNREGISTERED, DEMO_PROVINCE, generate_central_dataset, plan_scope_splits


def test_central_channels_hold_central_units_only_with_codes_of_their_own():
    central = generate_central_dataset(7)
    assert list(central) == ["organs", "enterprises", "archives"]
    national = generate_national_dataset(600, 7)
    provincial = pl.concat([p.register.get_column("uscc") for p in national.provinces.values()])
    for channel, data in central.items():
        assert set(data.census.get_column("admin_level")) == {"中央"}
        assert data.census.get_column("uscc").is_unique().all()
        registered = set(data.register.get_column("uscc"))
        reported = set(data.census.get_column("uscc"))
        assert len(registered - reported) == 1, "one registered unit of each channel has not reported"
        assert not (reported | registered) & set(provincial)
        failures = validate_return(
            CENSUS_FORM,
            data.census.with_row_index("excel_row", 3).with_columns(sheet=pl.lit("普查表")),
            build_check_context(None, scope=central_scope(channel)),
        )
        assert [f for f in failures if f.severity == "error"] == []
    unregistered = central[CENTRAL_UNREGISTERED[0]]
    names = set(unregistered.census.get_column("unit_name")) - set(unregistered.register.get_column("unit_name"))
    assert names == {CENTRAL_UNREGISTERED[1][0]}


def test_split_provinces_partition_their_return_by_scope():
    dataset = generate_national_dataset(600, 11)
    splits = plan_scope_splits(dataset)
    assert len(splits) == 3 and splits[-1].province_code == DEMO_PROVINCE
    for split in splits:
        census = dataset.provinces[split.province_code].census
        parts = split.rows_by_scope(census)
        assert [scope.kind for scope in parts] == [ScopeKind.PROVINCE, ScopeKind.PREFECTURE, ScopeKind.COUNTY]
        assert sum(rows.height for rows in parts.values()) == census.height
        assert all(rows.height > 0 for rows in parts.values())
        assert pl.concat(list(parts.values())).get_column("uscc").sort().equals(census.get_column("uscc").sort())
        for scope, rows in parts.items():
            assert all(scope.contains_division(code) for code in rows.get_column("division_code"))
