"""The synthetic dataset: valid, clean returns of a realistic national shape, and manifests that tell the truth."""

import json
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import polars as pl
import pytest

from census_schema.breakdowns import BASES
from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, REGISTER_FORM, SIGN_OFF_FORM
from census_schema.codes import (
    ADMIN_LEVEL,
    ARCHIVE_ROOM_KINDS,
    HOLDER_TYPE,
    UNIT_NATURE,
    USCC_PREFIX_NATURE,
    YES_NO,
)
from census_schema.divisions import SUB_PROVINCIAL_CITIES, allowed_admin_levels, load_divisions
from census_schema.fields import FieldType
from census_schema.layout import FIRST_DATA_ROW, HEADER_ROW
from census_schema.uscc import is_valid_uscc
from synthetic.census import (
    INJECTABLE_RULES,
    SUMMARY_SUM_FIELDS,
    generate_national_dataset,
    generate_province_rows,
    inject_census_errors,
    plan_province_holders,
    write_dataset,
)

SEED = 11
SMALL_UNITS = 2_000
INJECTED_PROVINCES = 3
DECIMAL_SUMS = tuple(name for name in SUMMARY_SUM_FIELDS if CENSUS_FORM.field(name).type is FieldType.DECIMAL)

# ------------------------------------------------------------------------------------------- the spec, as polars
# Every E and W row rule of the census form, written here from the spec (census-form.md), keyed by rule id.
HOLDINGS = pl.col("vol_total") + pl.col("item_total")
SHELF_E = 0.03 * pl.col("vol_total") + 0.0015 * pl.col("item_total")
IS_ROOM = pl.col("holder_type").is_in(list(ARCHIVE_ROOM_KINDS))
INTEGER_FIELDS = [f.name for f in CENSUS_FORM.fields if f.type is FieldType.INTEGER]
DECIMAL_FIELDS = [f.name for f in CENSUS_FORM.fields if f.type is FieldType.DECIMAL]
REQUIRED_FIELDS = [f.name for f in CENSUS_FORM.fields if f.name not in ("parent_uscc", "remarks")]
PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


def parts_sum(*names: str) -> pl.Expr:
    return pl.sum_horizontal(*names)


ROW_RULES: dict[str, pl.Expr] = {
    "vol_total_sum": pl.col("vol_total")
    == parts_sum("vol_permanent", "vol_30y", "vol_10y", "vol_long", "vol_short", "vol_unassigned"),
    "item_total_sum": pl.col("item_total")
    == parts_sum("item_permanent", "item_30y", "item_10y", "item_long", "item_short", "item_unassigned"),
    "categories_sum": parts_sum("cat_ws", "cat_kj", "cat_ku", "cat_rs", "cat_zy", "cat_other") == HOLDINGS,
    "vol_unassigned_share": pl.col("vol_unassigned") <= 0.05 * pl.col("vol_total"),
    "item_unassigned_share": pl.col("item_unassigned") <= 0.05 * pl.col("item_total"),
    "shelf_plausible": pl.col("shelf_m").is_between(SHELF_E / 3, SHELF_E * 3),
    "e_items_zero_together": (pl.col("e_items") == 0) == (pl.col("e_gb") == 0),
    "e_gb_per_item": (pl.col("e_items") == 0) | (pl.col("e_gb") / pl.col("e_items")).is_between(0.00001, 50),
    "digitized_vol_le_total": pl.col("digitized_vol") <= pl.col("vol_total"),
    "digitized_item_le_total": pl.col("digitized_item") <= pl.col("item_total"),
    "digitized_gb_positive": (pl.col("digitized_vol") + pl.col("digitized_item") == 0) | (pl.col("digitized_gb") > 0),
    "pre1949_le_holdings": pl.col("pre1949") <= HOLDINGS,
    "red_archives_le_pre1949": pl.col("red_archives") <= pl.col("pre1949"),
    "opened_le_holdings": pl.col("opened") <= HOLDINGS,
    "opened_zero_for_rooms": ~IS_ROOM | (pl.col("opened") == 0),
    "fonds_count_archives": IS_ROOM | (pl.col("fonds_count") >= 1),
    "storage_le_building": pl.col("storage_m2") <= pl.col("building_m2"),
    "staff_with_holdings": (HOLDINGS == 0) | (pl.col("staff_fulltime") + pl.col("staff_parttime") > 0),
    "staff_range": pl.col("staff_fulltime").is_between(0, 5000) & pl.col("staff_parttime").is_between(0, 5000),
    "non_negative": pl.all_horizontal(pl.col(*INTEGER_FIELDS, *DECIMAL_FIELDS) >= 0),
    "parent_uscc_not_self": pl.col("parent_uscc").is_null() | (pl.col("parent_uscc") != pl.col("uscc")),
    "unit_nature_in_list": pl.col("unit_nature").is_in(list(UNIT_NATURE.values)),
    "holder_type_in_list": pl.col("holder_type").is_in(list(HOLDER_TYPE.values)),
    "admin_level_in_list": pl.col("admin_level").is_in(list(ADMIN_LEVEL.values)),
    "yes_no_in_list": pl.col("has_climate_control").is_in(list(YES_NO.values))
    & pl.col("has_fire_alarm").is_in(list(YES_NO.values)),
    "contact_phone_format": pl.col("contact_phone").str.contains(PHONE),
    "unit_name_required": pl.col("unit_name").str.len_chars().is_between(1, 100),
    "required": pl.all_horizontal(pl.col(*REQUIRED_FIELDS).is_not_null()),
    "decimal_places": pl.all_horizontal(
        *(
            ((pl.col(f.name) * 10**f.decimals).round() - pl.col(f.name) * 10**f.decimals).abs() < 1e-6
            for f in CENSUS_FORM.fields
            if f.type is FieldType.DECIMAL
        )
    ),
}


def broken_rules(frame: pl.DataFrame) -> dict[str, int]:
    """Rule id → number of rows that break it."""
    counts = frame.select(*((~expr).sum().alias(rule) for rule, expr in ROW_RULES.items())).row(0, named=True)
    return {rule: count for rule, count in counts.items() if count}


# ----------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dataset():
    return generate_national_dataset(SMALL_UNITS, seed=SEED)


@pytest.fixture(scope="module")
def registers(dataset):
    return pl.concat([p.register.with_columns(province=pl.lit(code)) for code, p in dataset.provinces.items()])


@pytest.fixture(scope="module")
def returns(dataset):
    return pl.concat([p.census.with_columns(province=pl.lit(code)) for code, p in dataset.provinces.items()])


@pytest.fixture(scope="module")
def written(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    manifest = write_dataset(dataset, out, inject_errors=INJECTED_PROVINCES)
    return out, manifest, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def read_sheet(path, form):
    """A written workbook's data sheet with field names, read the way a warehouse would read it."""
    frame = pl.read_excel(
        path, sheet_name=form.sheet_name, engine="calamine", read_options={"header_row": HEADER_ROW - 1}
    )
    assert frame.columns == [f.label for f in form.fields]
    return frame.rename({f.label: f.name for f in form.fields})


def typed(frame):
    """Cast a read-back return to the form's types (every cell of a clean return is of its field's type)."""
    casts = {name: pl.Int64 for name in INTEGER_FIELDS} | {name: pl.Float64 for name in DECIMAL_FIELDS}
    return frame.with_columns(pl.col(name).cast(dtype, strict=True) for name, dtype in casts.items())


def coverage(reported, expected):
    if not expected:
        return None  # no holder expected: no coverage (0 of 0 is not 0 %)
    return float((Decimal(100 * reported) / Decimal(expected)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def figures_of(register, census, *, bases=True):
    """The summary figures recomputed from a register and an accepted return (None: nothing loaded)."""
    reported = census.filter(pl.col("uscc").is_in(register["uscc"].implode())).height if census is not None else 0
    figures = {
        "units_expected": register.height,
        "units_reported": reported,
        "units_unregistered": census.height - reported if census is not None else 0,
        "coverage_pct": coverage(reported, register.height),
    }
    for name in SUMMARY_SUM_FIELDS:
        total = census[name].sum() if census is not None else 0
        figures[name] = round(float(total), 2) if name in DECIMAL_SUMS else int(total)
    if bases:
        figures["bases"] = {
            basis: figures_of(
                register.filter(pl.col("holder_type").is_in(list(types))),
                None if census is None else census.filter(pl.col("holder_type").is_in(list(types))),
                bases=False,
            )
            for basis, types in BASES.items()
        }
    return figures


# ------------------------------------------------------------------------------------------------------- tests


def test_same_seed_same_dataset_other_seed_other_dataset():
    first, again, other = (generate_national_dataset(600, seed=s) for s in (5, 5, 6))
    assert list(first.provinces) == [p.code for p in load_divisions().census_provinces()]
    for code, province in first.provinces.items():
        assert province.register.equals(again.provinces[code].register)
        assert province.census.equals(again.provinces[code].census)
    assert not all(p.census.equals(other.provinces[c].census) for c, p in first.provinces.items())


def test_columns_and_types_are_the_forms():
    province = generate_province_rows("330000", 300, seed=SEED)
    assert province.register.columns == list(REGISTER_FORM.field_names)
    assert province.census.columns == list(CENSUS_FORM.field_names)
    for field in CENSUS_FORM.fields:
        expected = {FieldType.INTEGER: pl.Int64, FieldType.DECIMAL: pl.Float64}.get(field.type, pl.String)
        assert province.census.schema[field.name] == expected, field.name


@pytest.mark.parametrize(("code", "holders"), [("440000", 1), ("440000", 250), ("660000", 120), ("110000", 4000)])
def test_a_province_has_the_holders_asked_for(code, holders):
    province = generate_province_rows(code, holders, seed=SEED)
    assert province.register.height == holders
    assert province.register["uscc"].is_unique().all()
    # The provincial comprehensive archives always exists and always reports.
    own = province.census.filter(pl.col("division_code") == code, pl.col("holder_type") == "综合档案馆")
    assert own["unit_name"].to_list() == [f"{province.province_name}档案馆"]


def test_plan_covers_every_province_and_the_total():
    plan = plan_province_holders(100_000)
    assert list(plan) == [p.code for p in load_divisions().census_provinces()]
    assert sum(plan.values()) == 100_000
    assert plan["440000"] > plan["370000"] > plan["640000"] > plan["660000"] > 0
    assert min(plan_province_holders(10).values()) == 1


def test_every_uscc_is_valid_and_unique_nationally(registers, returns):
    for frame in (registers, returns):
        assert frame["uscc"].is_unique().all()
        assert all(is_valid_uscc(code) for code in frame["uscc"])
    parents = returns["parent_uscc"].drop_nulls()
    assert parents.len() > 0 and all(is_valid_uscc(code) for code in parents)
    # Characters 3-8 are the division code; characters 1-2 carry the unit nature.
    assert (returns["uscc"].str.slice(2, 6) == returns["division_code"]).all()
    nature = returns["uscc"].str.slice(0, 2).replace_strict(USCC_PREFIX_NATURE, default=None)
    assert (nature == returns["unit_nature"]).all()


def test_divisions_belong_to_the_province_and_match_the_admin_level(registers, returns):
    divisions = load_divisions()
    for frame in (registers, returns):
        for province, code, admin_level in (
            frame.select("province", "division_code", "admin_level").unique().iter_rows()
        ):
            division = divisions.get(code)
            assert division.province_code == province
            assert admin_level in allowed_admin_levels(division)


def test_every_rule_holds_on_every_row(returns):
    assert broken_rules(returns) == {}
    assert broken_rules(generate_province_rows("510000", 20_000, seed=3).census) == {}


def test_registered_holders_that_do_not_report_and_reporters_not_registered(dataset):
    big = generate_province_rows("370000", 10_000, seed=SEED)
    registered = big.register["uscc"].implode()
    missing = big.register.filter(~pl.col("uscc").is_in(big.census["uscc"].implode()))
    unregistered = big.census.filter(~pl.col("uscc").is_in(registered))
    assert 0.02 <= missing.height / big.register.height <= 0.05
    assert 1 <= unregistered.height <= 0.01 * big.census.height
    assert "综合档案馆" not in missing["holder_type"].to_list()
    national_unregistered = sum(
        p.census.filter(~pl.col("uscc").is_in(p.register["uscc"].implode())).height for p in dataset.provinces.values()
    )
    assert national_unregistered >= 1


def test_names_are_realistic_and_rarely_repeat(registers):
    names = registers["unit_name"]
    assert names.n_unique() / names.len() > 0.99
    archives = registers.filter(pl.col("holder_type") == "综合档案馆")["unit_name"]
    assert archives.str.ends_with("档案馆").all()
    # Every name carries its place: 广东省…, 广州市越秀区…, 新疆生产建设兵团第一师…, 中国邮政集团有限公司广东省分公司.
    divisions = load_divisions()
    assert all(
        divisions.name(code) in name for name, code in registers.select("unit_name", "division_code").iter_rows()
    )
    assert "广东省档案馆" in archives.to_list()


def comprehensive_shape(census):
    """Holdings, county share, opened share and full-time staff of the comprehensive archives of returns."""
    levels = pl.DataFrame(
        {"division_code": list(load_divisions().by_code), "level": [d.level for d in load_divisions().by_code.values()]}
    )
    archives = census.filter(pl.col("holder_type") == "综合档案馆").join(levels, on="division_code")
    archives = archives.with_columns(holdings=HOLDINGS)
    total = archives["holdings"].sum()
    county = archives.filter(pl.col("level") == "county", pl.col("admin_level") == "县级")["holdings"].sum()
    return total, county / total, archives["opened"].sum() / total, archives["staff_fulltime"].sum()


def test_the_default_demo_has_the_nations_archives_at_published_magnitudes():
    # 12,000 holders (the default demo): every archive of the country, then archive rooms.
    dataset = generate_national_dataset(12_000, seed=2024)
    register = pl.concat([p.register for p in dataset.provinces.values()])
    census = pl.concat([p.census for p in dataset.provinces.values()])
    counts = dict(register.group_by("holder_type").len().iter_rows())
    assert (counts["综合档案馆"], counts["专门档案馆"], counts["部门档案馆"], counts["企事业单位档案馆"]) == (
        3_301,
        261,
        106,
        486,
    )
    total, county_share, opened_share, staff = comprehensive_shape(census)
    # 10.47亿 at end-2022 with the central archives (reported nationally); about 63 % at county level, 22 % opened,
    # 36,582 full-time staff (353 of them central).
    assert 9.9e8 <= total <= 10.6e8
    assert 0.58 <= county_share <= 0.68
    assert 0.19 <= opened_share <= 0.25
    assert 34_500 <= staff <= 37_500
    rooms = census.filter(pl.col("holder_type").is_in(list(ARCHIVE_ROOM_KINDS))).with_columns(holdings=HOLDINGS)
    courts = rooms.filter(pl.col("unit_name").str.ends_with("人民法院"), pl.col("admin_level") == "县级")
    # A county court keeps tens of thousands of case files.
    assert courts.height >= 10 and 10_000 <= courts["holdings"].median() <= 100_000
    assert 2_000 <= rooms.filter(pl.col("admin_level") == "县级")["holdings"].median() <= 20_000


def test_national_shape_at_full_scale():
    dataset = generate_national_dataset(1_000_000)
    census = pl.concat([p.census for p in dataset.provinces.values()])
    register = pl.concat([p.register for p in dataset.provinces.values()])
    assert register.height == 1_000_000
    assert register["uscc"].is_unique().all() and census["uscc"].is_unique().all()
    assert (register["holder_type"] == "综合档案馆").sum() == 3_301
    total, county_share, opened_share, _ = comprehensive_shape(census)
    assert 9.9e8 <= total <= 10.6e8 and 0.58 <= county_share <= 0.68 and 0.19 <= opened_share <= 0.25


def test_central_branches_are_provincial_and_development_zones_are_not_sub_provincial(returns):
    # A central enterprise's provincial branch reports with the province, at 省级; only headquarters are 中央.
    branches = returns.filter(pl.col("unit_name").str.contains("分公司"))
    assert branches.height > 0 and set(branches["admin_level"]) <= {"省级", "地级", "县级"}
    assert "中央" not in set(returns["admin_level"])
    zones = returns.filter(
        pl.col("holder_type") == "综合档案馆", pl.col("unit_name").str.contains("开发区|新区|保税区")
    )
    in_cities = zones.filter(pl.col("division_code").is_in(list(SUB_PROVINCIAL_CITIES)))
    assert set(in_cities["admin_level"]) <= {"地级"}
    city_archives = returns.filter(pl.col("holder_type") == "综合档案馆", pl.col("admin_level") == "副省级")
    assert set(city_archives["division_code"]) <= set(SUB_PROVINCIAL_CITIES)


def test_red_archive_sheets_and_feet_pass_their_rules(dataset):
    for province in dataset.provinces.values():
        red, census, foot = province.red_archives, province.census, province.sign_off
        assert red.columns == list(RED_ARCHIVES_FORM.field_names) and foot.columns == list(SIGN_OFF_FORM.field_names)
        assert foot.height == 1 and foot["reported_on"][0] > CENSUS_FORM.reference_date
        joined = red.join(census, on="uscc", how="left", suffix="_main")
        assert joined["vol_total"].null_count() == 0 and red["uscc"].is_unique().all()
        conditions = pl.sum_horizontal("red_intact", "red_light", "red_moderate", "red_severe", "red_extreme")
        checks = joined.select(
            sums=(conditions == pl.col("red_vol") + pl.col("red_item")).all(),
            vol=(pl.col("red_vol") <= pl.col("vol_total")).all(),
            item=(pl.col("red_item") <= pl.col("item_total")).all(),
            covers=(pl.col("red_vol") + pl.col("red_item") >= pl.col("red_archives")).all(),
            digitized=(pl.col("red_digitized") <= pl.col("red_vol") + pl.col("red_item")).all(),
            positive=(pl.min_horizontal(*(f.name for f in RED_ARCHIVES_FORM.fields[2:13])) >= 0).all(),
        ).row(0, named=True)
        assert all(checks.values()), (province.province_code, checks)
        revolutionary = census.filter(pl.col("red_archives") > 0)["uscc"]
        assert revolutionary.is_in(red["uscc"].implode()).all()
    assert sum(p.red_archives.height for p in dataset.provinces.values()) > 100


def test_manifest_totals_equal_the_written_workbooks(written):
    out, manifest, on_disk = written
    assert on_disk == manifest.to_json()
    national_expected = {
        name: 0 for name in ("units_expected", "units_reported", "units_unregistered", *SUMMARY_SUM_FIELDS)
    }
    for province in on_disk["provinces"]:
        register = read_sheet(out / province["register_file"], REGISTER_FORM)
        census = read_sheet(out / province["census_file"], CENSUS_FORM)
        assert (register.height, census.height) == (province["register_rows"], province["census_rows"])
        accepted = province["status"] == "accepted"
        assert province["figures"] == figures_of(register, typed(census) if accepted else None)
        if accepted:
            assert province["figures_if_corrected"] == province["figures"]
        for name in national_expected:
            national_expected[name] += province["figures"][name]
    national = on_disk["national"]
    for name, total in national_expected.items():
        assert national[name] == (round(total, 2) if name in DECIMAL_SUMS else total), name
    assert national["coverage_pct"] == coverage(national["units_reported"], national["units_expected"])
    rejected = [p for p in on_disk["provinces"] if p["status"] == "rejected"]
    assert len(rejected) == INJECTED_PROVINCES
    assert on_disk["national_if_corrected"]["units_reported"] > national["units_reported"]


def test_corrected_totals_are_those_of_the_clean_returns(written, dataset):
    _, manifest, _ = written
    for province in manifest.provinces:
        clean = dataset.provinces[province.province_code]
        assert province.figures_if_corrected == figures_of(clean.register, clean.census)


def same_cell(written_value, clean_value):
    if clean_value is None or written_value is None:
        return written_value is None and clean_value is None
    if isinstance(clean_value, int | float):
        try:
            return float(written_value) == float(clean_value)
        except ValueError:
            return False
    return str(written_value) == str(clean_value)


# What each injected error looks like in the written cell, for rules that are not row arithmetic.
CELL_CHECKS = {
    "uscc_check_digit": lambda value, census: not is_valid_uscc(value),
    "uscc_unique": lambda value, census: (census["uscc"] == value).sum() == 2,
    "holder_type_in_list": lambda value, census: value not in HOLDER_TYPE.values,
    "contact_phone_format": lambda value, census: not pl.Series([value]).str.contains(PHONE).all(),
    "photos_integer": lambda value, census: not str(value).isdigit(),
    "unit_name_required": lambda value, census: value is None,
}


def test_injected_errors_are_listed_with_their_rows(written, dataset):
    out, manifest, _ = written
    errors_by_province = {}
    for error in manifest.injected_errors:
        errors_by_province.setdefault(error.province, []).append(error)
    rejected = {p.province_code for p in manifest.provinces if p.status == "rejected"}
    assert set(errors_by_province) == rejected
    for code, errors in errors_by_province.items():
        assert 3 <= len({e.rule for e in errors}) <= 6
        assert len({e.row for e in errors}) == len(errors)
        clean = dataset.provinces[code].census
        census = read_sheet(out / f"census-{code}.xlsx", CENSUS_FORM)
        assert census.height == clean.height
        changed = {
            (FIRST_DATA_ROW + index, name)
            for index, (got, want) in enumerate(zip(census.iter_rows(), clean.iter_rows(), strict=True))
            for name, a, b in zip(CENSUS_FORM.field_names, got, want, strict=True)
            if not same_cell(a, b)
        }
        assert changed == {(e.row, e.mutated_field) for e in errors if e.mutated_field}
        for error in errors:
            index = error.row - FIRST_DATA_ROW
            value = census[error.mutated_field or error.field][index]
            assert error.value == (None if value is None else str(value))
            assert error.sheet == CENSUS_FORM.sheet_name and error.file == f"census-{code}.xlsx"
            assert error.field == CENSUS_FORM.rules_by_id[error.rule].field
            if error.rule in CELL_CHECKS:
                assert CELL_CHECKS[error.rule](value, census), error
                continue
            # Arithmetic errors: the clean row with the written value breaks exactly the named rule.
            row = clean.slice(index, 1).with_columns(
                pl.lit(value).cast(clean.schema[error.mutated_field]).alias(error.mutated_field)
            )
            assert set(broken_rules(row)) == {error.rule}, error


@pytest.mark.parametrize("rule", INJECTABLE_RULES)
def test_each_injectable_error_breaks_its_rule_in_one_cell(rule):
    clean = generate_province_rows("320000", 400, seed=SEED).census
    rows = [list(row) for row in clean.iter_rows()]
    errors = inject_census_errors(rows, "320000", "census-320000.xlsx", np.random.default_rng(1), rules=[rule])
    assert {(e.rule, e.field) for e in errors} == {(rule, CENSUS_FORM.rules_by_id[rule].field)}
    (error,) = [e for e in errors if e.mutated_field]
    if rule == "uscc_unique":
        (first,) = [e for e in errors if e.mutated_field is None]
        assert first.row < error.row and first.value == error.value
    else:
        assert errors == [error]
    index = error.row - FIRST_DATA_ROW
    changed = [
        (i, name)
        for i, (got, want) in enumerate(zip(rows, clean.iter_rows(), strict=True))
        for name, a, b in zip(CENSUS_FORM.field_names, got, want, strict=True)
        if a != b
    ]
    assert changed == [(index, error.mutated_field)]
    value = rows[index][CENSUS_FORM.field_names.index(error.mutated_field)]
    assert error.value == (None if value is None else str(value))
    if rule in CELL_CHECKS:
        assert CELL_CHECKS[rule](value, pl.DataFrame({"uscc": [row[0] for row in rows]}))
    else:
        assert broken_rules(pl.DataFrame(rows, schema=clean.schema, orient="row")) == {rule: 1}


def test_write_dataset_writes_only_the_provinces_asked_for(dataset, tmp_path):
    manifest = write_dataset(dataset, tmp_path, provinces=["540000", "660000"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "census-540000.xlsx",
        "census-660000.xlsx",
        "manifest.json",
        "register-540000.xlsx",
        "register-660000.xlsx",
    ]
    assert manifest.injected_errors == ()
    assert manifest.national["units_expected"] == sum(
        dataset.provinces[c].register.height for c in ("540000", "660000")
    )
    with pytest.raises(ValueError, match="990000"):
        write_dataset(dataset, tmp_path, provinces=["990000"])
