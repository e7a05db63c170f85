"""The map figure: the whole country on a Mercator mainland view, with the South China Sea inset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from census_schema.divisions import load_divisions
from dash_app.figures import (
    INSET_LAT,
    INSET_LEFT,
    INSET_LON,
    INSET_TOP,
    MAINLAND_LAT,
    MAINLAND_LON,
    MAINLAND_RIGHT,
    MAP_HEIGHT_PX,
    MAP_TOP_PX,
    MAP_WIDTH_PX,
    NO_DATA_COLOR,
    TEXT_COLOUR,
    build_bar,
    build_breakdown_figure,
    build_choropleth,
    build_division_map,
    build_heatmap,
    build_lines,
    build_trend,
    load_south_sea_line,
    magnitude_ticks,
    mercator_aspect,
    tick_format,
)


def census_rows(values: dict[str, float | None]) -> list[dict[str, object]]:
    divisions = load_divisions()
    return [
        {"province_code": d.code, "province_name": d.name, "coverage_pct": values.get(d.code)}
        for d in divisions.census_provinces()
    ]


@pytest.fixture
def figure():
    return build_choropleth(census_rows({"440000": 75.0, "450000": 100.0}), "coverage_pct", "普查覆盖率（%）")


def traces_on(figure, geo: str, kind: str) -> list:
    return [t for t in figure.data if t.type == kind and (t.geo or "geo") == geo]


def test_every_trace_is_drawn_on_the_mainland_and_on_the_inset(figure):
    for geo in ("geo", "geo2"):
        choropleths = traces_on(figure, geo, "choropleth")
        assert [t.name for t in choropleths] == ["无数据", "普查覆盖率（%）"]
        assert list(choropleths[1].locations) == ["440000", "450000"]
        (line,) = traces_on(figure, geo, "scattergeo")
        assert line.mode == "lines" and list(line.lon) == list(load_south_sea_line()[0])
    assert [t.showscale for t in figure.data if t.type == "choropleth" and t.name != "无数据"] == [True, False]


def test_taiwan_hong_kong_and_macao_are_drawn_as_outside_the_census(figure):
    no_data = traces_on(figure, "geo", "choropleth")[0]
    drawn = dict(zip(no_data.locations, no_data.text, strict=True))
    for code in ("710000", "810000", "820000"):
        assert drawn[code].endswith("不在本次普查范围")
    assert drawn["110000"].endswith("无数据")
    assert "440000" not in drawn


def test_the_mainland_view_is_mercator_without_fitbounds_and_the_inset_sits_in_its_lower_right(figure):
    layout = figure.layout
    for geo in (layout.geo, layout.geo2):
        assert geo.projection.type == "mercator" and geo.fitbounds in (None, False) and geo.visible is False
    assert tuple(layout.geo.lonaxis.range) == MAINLAND_LON and tuple(layout.geo.lataxis.range) == MAINLAND_LAT
    assert tuple(layout.geo2.lataxis.range) == INSET_LAT and layout.geo2.showframe
    assert tuple(layout.geo.domain.x) == (0, MAINLAND_RIGHT)
    assert tuple(layout.geo2.domain.x) == (INSET_LEFT, MAINLAND_RIGHT) and tuple(layout.geo2.domain.y) == (0, INSET_TOP)
    # The mainland box fills the plot height exactly at this figure size; the inset keeps its own aspect.
    plot_height = MAP_HEIGHT_PX - MAP_TOP_PX
    assert MAINLAND_RIGHT * MAP_WIDTH_PX / plot_height == pytest.approx(
        mercator_aspect(MAINLAND_LON, MAINLAND_LAT), 1e-3
    )
    assert 0.2 < INSET_TOP < 0.5 and 0.5 < INSET_LEFT < MAINLAND_RIGHT
    assert (layout.width, layout.height, layout.autosize) == (MAP_WIDTH_PX, MAP_HEIGHT_PX, False)


def test_the_inset_shows_the_islands_and_the_whole_dashed_line():
    lons, lats = load_south_sea_line()
    points = [(x, y) for x, y in zip(lons, lats, strict=True) if x is not None]
    assert len([x for x in lons if x is None]) == 10  # ten dashes
    assert all(INSET_LON[0] <= x <= INSET_LON[1] and INSET_LAT[0] <= y <= INSET_LAT[1] for x, y in points)


def test_a_coverage_breakdown_says_no_coverage_where_no_holder_of_a_group_is_registered():
    rows = [
        {
            "holder_type": "综合档案馆",
            "coverage_pct": 96.5,
            "units_expected": 200,
            "units_reported": 193,
            "units_unregistered": 1,
        },
        {
            "holder_type": "机关档案室",
            "coverage_pct": 0.0,
            "units_expected": 3,
            "units_reported": 0,
            "units_unregistered": 0,
        },
        {
            "holder_type": "专门档案馆",
            "coverage_pct": None,
            "units_expected": 0,
            "units_reported": 0,
            "units_unregistered": 2,
        },
    ]
    figure = build_breakdown_figure(rows, "holder_type", "coverage_pct", "覆盖率")
    assert list(figure.layout.xaxis.tickvals)[-1] == 100  # the axis's own ticks stopped at 80 %
    bars = figure.data[0]
    assert list(bars.text) == ["96.50%", "0.00%", "—"]  # not 0.00 % where nobody was expected
    assert [row[3] for row in bars.customdata] == ["96.50%", "0.00%", "—"]  # what the hover says
    assert list(bars.x) == [96.5, 0.0, 0.0]
    assert list(bars.textposition) == ["auto", "outside", "outside"]  # shown beside the empty bars


def test_a_heatmap_column_shows_its_figures_with_one_number_of_decimals():
    # Each cell was written with the decimals it needed (20.6 under 61.02, 100,813.5 under 8,900.55): a column's
    # figures did not line up. Now the most any value of the column needs (at most two), blanks left blank.
    values = [[61.02, 3.0, 0.004], [20.6, None, 1.0], [100_813.5, 1_200.0, None]]
    figure = build_heatmap(["甲", "乙", "丙"], ["比率", "个数", "极小"], values, "各省计算指标", units=["%", "个", ""])
    assert [list(row) for row in figure.data[0].text] == [
        ["61.02", "3", "0"],
        ["20.60", "", "1"],
        ["100,813.50", "1,200", ""],
    ]


def test_a_heatmap_column_of_millions_reads_in_wan_and_its_hover_keeps_the_exact_figure():
    # A probe read 21,535,433 卷件 in a cell where statistics here write 2,153.54 万卷件.
    values = [[21_535_433.0, 62.79], [1_463_149.0, 18.17]]
    figure = build_heatmap(
        ["广东省", "广西壮族自治区"], ["馆藏总量", "数字化率"], values, "各省计算指标", units=["卷件", "%"]
    )
    assert list(figure.data[0].x) == ["馆藏总量（万卷件）", "数字化率（%）"]
    assert [list(row) for row in figure.data[0].text] == [["2,153.54", "62.79"], ["146.31", "18.17"]]
    assert figure.data[0].customdata[0][0] == "馆藏总量（卷件）：21,535,433"
    assert figure.data[0].hovertemplate == "%{y}｜%{customdata}<extra></extra>"


def test_a_heatmap_column_runs_its_colours_from_its_smallest_value_to_its_largest():
    # Coloured from 0 to its largest value, a rate column between 94.81 % and 98.08 % was one dark block: the
    # province behind looked like the one ahead.
    values = [[94.81, 5.0], [98.08, 5.0], [96.0, None]]
    figure = build_heatmap(
        ["吉林省", "西藏自治区", "甲"], ["完成率", "个数"], values, "各省计算指标", units=["%", "个"]
    )
    shades = [list(row) for row in figure.data[0].z]
    assert [row[0] for row in shades] == [0.0, 1.0, pytest.approx((96.0 - 94.81) / (98.08 - 94.81))]
    assert [row[1] for row in shades] == [0.5, 0.5, None]  # one value for all: the middle shade, a blank stays blank
    assert figure.layout.title.text == "各省计算指标（每列由该列最小值到最大值着色，颜色越深数值越大）"
    # A province's own heatmap has one row: nothing to compare down a column, so no colour key.
    one = build_heatmap(["广东省"], ["完成率", "个数"], [[94.81, 5.0]], "广东省计算指标", units=["%", "个"])
    assert one.layout.title.text == "广东省计算指标"


def test_a_line_chart_s_unit_is_read_in_its_title_and_hover_not_on_a_turned_axis():
    # Turned with the vertical axis, 个 read as an arrow (←).
    figure = build_lines({"全国": [(2024, 135), (2025, 142)]}, "全国示范数字档案馆（个）", unit="个")
    assert figure.layout.yaxis.title.text is None and figure.layout.title.text.endswith("（个）")
    assert figure.data[0].hovertemplate.endswith(" 个<extra></extra>")


def test_a_series_of_one_value_is_named_and_its_value_written_beside_its_dot():
    # JC01 had one value: a lone dot without legend or figure on an axis from 2023年 to 2024年.
    figure = build_lines({"全国": [(2024, 62.14)]}, "综合档案馆馆藏档案数字化率（%）", unit="%")
    (dot,) = figure.data
    assert (dot.mode, list(dot.text), dot.name, figure.layout.showlegend) == (
        "lines+markers+text",
        ["62.14"],
        "全国",
        True,
    )
    many = build_lines({"全国": [(2021, 1), (2022, 2), (2023, 3)]}, "个数", unit="个").data[0]
    assert many.mode == "lines+markers" and many.text is None


def test_a_province_s_lines_have_a_panel_and_an_axis_of_their_own_under_the_nation_s():
    # On the nation's axis (0 to 150) Guangdong's 7 and 10 and its expected 2.4 to 12 lay over each other at the bottom.
    nation = {"全国实际值": [(2023, 84), (2024, 118)], "全国应达进度": [(2023, 90), (2024, 120)]}
    own = {"广东省实际值": [(2023, 7), (2024, 10)], "广东省应达进度": [(2023, 7.2), (2024, 9.6)]}
    figure = build_lines(nation, "新增高水平数字档案馆（个）", unit="个", below=("广东省", own))
    assert [(t.name, t.yaxis) for t in figure.data] == [
        ("全国实际值", "y"),
        ("全国应达进度", "y"),
        ("广东省实际值", "y2"),
        ("广东省应达进度", "y2"),
    ]
    assert [a.text for a in figure.layout.annotations] == ["全国", "广东省"]
    # Alone (a planner's view, or a province without values of its own), one panel as before.
    alone = build_lines(nation, "个数", unit="个", below=("广东省", {}))
    assert len(alone.data) == 2 and not alone.layout.annotations and "yaxis2" not in alone.layout.to_plotly_json()


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_map_s_lowest_colour_stands_apart_from_the_page_and_from_no_data(figure):
    # The lowest region was drawn in Blues' near-white (247,251,255): the worst province read as the white page or
    # as the grey of 无数据, while a one-point gap showed as full contrast.
    divisions = load_divisions().children("440000")
    rows = [{"division_code": d.code, "name": d.name, "v": float(i)} for i, d in enumerate(divisions)]
    for trace in [*traces_on(figure, "geo", "choropleth"), build_division_map(rows, "v", "覆盖率", {}).data[-1]]:
        if trace.name == "无数据":
            continue
        lowest = trace.colorscale[0][1]
        assert contrast_ratio(lowest, "#ffffff") >= 1.5 and contrast_ratio(lowest, NO_DATA_COLOR) >= 1.2, lowest
    assert contrast_ratio("#f7fbff", "#ffffff") < 1.5  # the check can fail: Blues' lowest does


def test_a_heatmap_s_figures_read_at_4_5_to_1_on_every_cell_colour():
    # plotly's own black-or-white text fell to ~3:1 on the middle blues of the full Blues scale.
    figure = build_heatmap(["广东省", "广西壮族自治区"], ["档案馆数"], [[1.0], [2.0]], "指标")
    trace = figure.data[0]
    text = trace.textfont.color
    stops = [colour for _, colour in trace.colorscale]
    assert text == TEXT_COLOUR and len(stops) >= 2
    assert min(contrast_ratio(text, colour) for colour in stops) >= 4.5
    assert contrast_ratio("#ffffff", "#6baed6") < 4.5  # the check can fail: white on the middle blue does


def test_the_daily_trend_says_it_counts_every_submission_not_only_the_current_returns():
    # Its 9 warnings beside a table whose current returns held 7 read as a contradiction: it counts rejected and
    # replaced submissions too, and now says so.
    rows = [{"submitted_at": datetime(2025, 6, 1, 2, tzinfo=UTC), "error_count": 4, "warning_count": 9}]
    assert "含未通过的和已被替代的" in build_trend(rows).layout.title.text


@pytest.mark.parametrize(("values", "step"), [([3, 0, 1, 4], 1), ([0, 0], 1), ([9], 1), ([120, 40], None)])
def test_a_bar_chart_of_small_counts_is_ticked_one_by_one(values, step):
    # Eight findings of a prefecture's office drew an axis of 0 1 1 2 3 3 4 4: plotly stepped by 0.5, rounded.
    figure = build_bar([str(i) for i in range(len(values))], values, "各状态问题数（个）")
    assert figure.layout.xaxis.dtick == step and figure.layout.xaxis.tickformat == ",d"


def test_hainan_s_south_china_sea_islands_are_drawn_in_an_inset_not_fitted_with_the_island():
    # Fitted together with 三沙, Hainan Island was some 50 pixels across: its cities could not be told apart.
    rows = [
        {"division_code": "460100", "name": "海口市", "coverage_pct": 90.0},
        {"division_code": "460300", "name": "三沙市", "coverage_pct": 100.0},
        {"division_code": "469001", "name": "五指山市", "coverage_pct": None},
    ]
    figure = build_division_map(rows, "coverage_pct", "海南省各市普查覆盖率（%）", "/assets/prefectures/460000.geojson")
    placed = {(trace.geo or "geo", code) for trace in figure.data for code in trace.locations}
    assert placed == {("geo", "460100"), ("geo", "469001"), ("geo2", "460300")}
    assert figure.layout.geo2.domain.x == (0.66, 0.9) and figure.layout.annotations[0].text == "三沙市"
    assert [trace.showscale for trace in figure.data if trace.name == "海南省各市普查覆盖率（%）"] == [True, False]
    guangdong = build_division_map(rows[:1], "coverage_pct", "广东省", "/assets/prefectures/440000.geojson")
    assert {trace.geo or "geo" for trace in guangdong.data} == {"geo"} and not guangdong.layout.annotations


def test_large_figures_are_ticked_in_wan_and_yi_as_the_cards_write_them():
    # Plotly wrote 100,000,000 (or 100M) on the axis beside a card's 约 1 亿.
    assert magnitude_ticks([0, 137_000_000], "卷件") == {
        "tickvals": [0, 50_000_000, 100_000_000, 150_000_000],
        "ticktext": ["0", "5000万", "1亿", "1.5亿"],
    }
    assert magnitude_ticks([250_000_000, 262_000_000], "卷件")["ticktext"][:3] == ["2.5亿", "2.525亿", "2.55亿"]
    # Small counts, storage and shares keep plotly's own ticks.
    assert magnitude_ticks([5, 99_999], "个") == magnitude_ticks([1e9], "GB") == magnitude_ticks([0, 100], "%") == {}
    lines = build_lines({"全国": [(2024, 120_000_000), (2025, 140_000_000)]}, "馆藏（卷件）", unit="卷件")
    assert "1.2亿" in lines.layout.yaxis.ticktext and list(lines.data[0].text) == ["1.2亿", "1.4亿"]
    # One value alone: drawn from 0, ticked and written in 亿, its year alone on its axis (the axis had no labels).
    one = build_lines({"全国": [(2024, 1_039_680_908)]}, "馆藏（卷件）", unit="卷件")
    assert one.layout.yaxis.ticktext[0] == "0" and one.layout.yaxis.rangemode == "tozero"
    assert list(one.data[0].text) == ["10.4亿"] and list(one.layout.xaxis.range) == [2023.5, 2024.5]
    rows = census_rows({"440000": 3_000_000.0, "450000": 12_000_000.0})
    national = build_choropleth(rows, "coverage_pct", "馆藏（卷件）", unit="卷件")
    bar = next(t for t in traces_on(national, "geo", "choropleth") if t.showscale).colorbar
    assert "1000万" in bar.ticktext and bar.tickvals[-1] >= 12_000_000
    province = build_division_map(
        [
            {"division_code": "440100", "name": "广州市", "v": 250_000.0},
            {"division_code": "440200", "name": "韶关市", "v": 40_000.0},
        ],
        "v",
        "馆藏（卷件）",
        {},
        unit="卷件",
    )
    assert "20万" in province.data[-1].colorbar.ticktext
    # Bars are written and ticked so too, from 0; the hover keeps the exact figure.
    bars = build_bar(["档案馆", "档案室"], [1_039_680_908, 52_000_000], "馆藏（卷件）", unit="卷件")
    assert list(bars.data[0].text) == ["10.4亿", "5200万"] and bars.layout.xaxis.ticktext[0] == "0"
    assert build_bar(["甲"], [3], "个数").data[0].text == ("3",)
    # A colour bar's round ticks drop their decimals' zeros: 20,000 GB, 20%.
    assert tick_format(",.2f") == ",.2~f" and tick_format(".2f") == ".2~f" and tick_format(",d") == ",d"
