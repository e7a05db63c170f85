"""The tables folded under the charts: the map's and the radar's figures as text, with the map's links by region."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from census_schema.roles import Role
from dash_app.access import Viewer
from dash_app.pages.evaluation import area_table
from dash_app.pages.overview import map_table, metric_text

PLANNER = Viewer("planner", Role.PLANNER, None)
GUANGDONG = Viewer("guangdong", Role.PROVINCE, "440000")


def table_rows(details: html.Details) -> tuple[list[str], list[list[Any]]]:
    """The header texts and the body cells' children of a folded table."""
    summary, table = details.children
    head, body = table.children
    return [th.children for th in head.children.children], [[td.children for td in tr.children] for tr in body.children]


def links(cell: Any) -> list[tuple[str, str]]:
    return [(c.children, c.href) for c in cell if isinstance(c, dcc.Link)]


def test_the_map_s_table_gives_each_province_its_figure_and_the_links_a_click_offers():
    rows = [
        {"province_code": "440000", "province_name": "广东省", "digitization_pct": 62.7851},
        {"province_code": "540000", "province_name": "西藏自治区", "digitization_pct": None},
    ]
    details = map_table(rows, "digitization_pct", PLANNER)
    assert details.children[0].children == "以表格查看地图数据：综合档案馆数字化率（%）"
    header, body = table_rows(details)
    assert header == ["地区", "综合档案馆数字化率（%）", "查看"]
    assert [r[:2] for r in body] == [["广东省", "62.79%"], ["西藏自治区", "无数据"]]
    assert links(body[0][2]) == [
        ("下级覆盖情况", "/coverage?division=440000"),
        ("数据来源", "/lineage?figure=comprehensive_digitized&division=440000"),  # the rate's numerator
    ]


def test_a_province_s_map_table_links_only_what_its_office_may_open():
    rows = [
        {"division_code": "440100", "name": "广州市", "holdings": 1234567.0},
        {"division_code": "450100", "name": "南宁市", "holdings": 89.0},
    ]
    _, body = table_rows(map_table(rows, "holdings", GUANGDONG))
    assert [r[:2] for r in body] == [["广州市", "1,234,567"], ["南宁市", "89"]]
    assert links(body[0][2])[0] == ("下级覆盖情况", "/coverage?division=440100")
    assert links(body[1][2]) == []


def test_map_figures_read_as_the_hover_does():
    assert metric_text("coverage_pct", 96.875) == "96.88%"
    assert metric_text("red_archives", 1234.4) == "1,234"
    assert metric_text("e_gb", 12.5) == "12.50"
    assert metric_text("review_pct", None) == "无数据"


def test_the_radar_s_table_gives_each_area_its_points_maximum_and_rate():
    areas = [
        {"area_name": "基础条件与人员", "subtotal": 141.3, "max_points": 150},
        {"area_name": "重点工作落实", "subtotal": 90.8, "max_points": 100},
    ]
    details = area_table(areas)
    assert details is not None
    header, body = table_rows(details)
    assert header == ["方面", "得分", "满分", "得分率"]
    assert body == [["基础条件与人员", "141.3", "150", "94.2%"], ["重点工作落实", "90.8", "100", "90.8%"]]
    assert area_table([]) is None
