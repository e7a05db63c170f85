"""Building blocks the pages share: labelled inputs, drop-downs in Chinese, headline cards, graphs with the app's
plotly configuration."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import parse_qs, urlencode

from dash import dcc, html

from dash_app import ids
from dash_app.figures import GRAPH_CONFIG
from dash_app.formatting import format_magnitude

# Dash 4's drop-down has English words of its own (search box, select all, nothing found).
DROPDOWN_LABELS = {
    "select_all": "全选",
    "deselect_all": "全部取消",
    "selected_count": "已选 {num_selected} 项",
    "search": "搜索",
    "clear_search": "清除搜索",
    "clear_selection": "清除选择",
    "no_options_found": "没有匹配的选项",
}


def dropdown(component_id: Any, options: Any, *, placeholder: str, **props: Any) -> dcc.Dropdown:
    """A drop-down with Chinese texts throughout."""
    return dcc.Dropdown(
        id=component_id, options=options, placeholder=placeholder, labels=cast(Any, DROPDOWN_LABELS), **props
    )


def labelled(label: str, component: Any, *, for_id: str | None = None, hint: str | None = None) -> html.Div:
    """A visible label tied to its input (for_id names a plain input's id; a drop-down is wrapped by its label)."""
    if for_id:
        head = html.Label(label, htmlFor=for_id, className="field-label")
        return html.Div([head, component, html.Span(hint, className="hint") if hint else None], className="field")
    return html.Div(
        [
            html.Label([html.Span(label, className="field-label"), component]),
            html.Span(hint, className="hint") if hint else None,
        ],
        className="field",
    )


def card(
    label: str,
    value: str,
    *,
    unit: str = "",
    detail: Any = None,
    value_class: str = "",
    card_id: str | None = None,
    source: str | None = None,
    approx: Any = None,
) -> html.Div:
    """A headline figure: its label, the value with its unit, a line of detail, and where it comes from (`source`,
    a /lineage address); with `approx`, the figure said in 万 or 亿 beside its exact value."""
    props: dict[str, Any] = {"id": card_id} if card_id else {}
    magnitude = format_magnitude(approx, unit)
    if source:
        # Its figure in the link's name (hidden from sight): a screen reader's list of links read 来源 eleven times.
        name: list[Any] = ["来源", html.Span(f"：{label}", className="visually-hidden")]
        link = dcc.Link(name, href=source, className="card-source", title="这个数字来自哪些报表、哪些行")
        detail = [detail, " ", link] if detail is not None else link
    return html.Div(
        [
            html.Div(label, className="card-label"),
            html.Div(
                # 62.57%, as every other percentage (62.57 % beside it read as another number); 196 个, 39,086.82 GB.
                [
                    value,
                    html.Span(unit if unit == "%" else f" {unit}", className="card-unit") if unit else None,
                    html.Span(f"（{magnitude}）", className="card-unit") if magnitude else None,
                ],
                className=f"card-value {value_class}".strip(),
            ),
            html.Div(detail, className="card-detail") if detail is not None else None,
        ],
        className="card",
        **props,
    )


def ratio_detail(numerator: tuple[str, str], denominator: tuple[str, str]) -> list[Any]:
    """A rate's detail line, 已数字化卷件 / 综合档案馆馆藏: each part (label, /lineage address) leads to its rows."""
    first, second = (
        dcc.Link(label, href=href, className="card-source", title=f"{label}来自哪些报表、哪些行")
        for label, href in (numerator, denominator)
    )
    return [first, " / ", second]


def graph(graph_id: str, *, config: dict[str, Any] | None = None, **props: Any) -> dcc.Loading:
    """A plotly graph with the app's configuration (Chinese locale, no cloud buttons) and a loading indicator."""
    return dcc.Loading(
        dcc.Graph(id=graph_id, config=cast(Any, config or GRAPH_CONFIG), **props), type="default", delay_show=300
    )


def figure_table(
    summary: str, header: list[str], rows: list[list[Any]], *, numeric: tuple[int, ...] = (), unfolded: bool = False
) -> html.Details:
    """A chart's figures as a table folded under it (`summary` its visible line; `numeric`, the columns aligned as
    numbers; `unfolded` where there is no chart to read): exact values, and for the keyboard and screen readers what
    the chart says by shape and colour."""
    return html.Details([html.Summary(summary), small_table(header, rows, numeric=numeric)], open=unfolded)


def small_table(header: list[str], rows: list[list[Any]], *, numeric: tuple[int, ...] = ()) -> html.Table:
    """A few rows as a plain table (`numeric`, the columns aligned as numbers)."""
    return html.Table(
        [
            html.Thead(
                html.Tr([html.Th(h, className="number" if i in numeric else None) for i, h in enumerate(header)])
            ),
            html.Tbody(
                [
                    html.Tr([html.Td(c, className="number" if i in numeric else None) for i, c in enumerate(r)])
                    for r in rows
                ]
            ),
        ],
        className="score-table figure-table",
    )


def page_url() -> dcc.Location:
    """Where a page writes its filters (the query string) without reloading: a link then reproduces the view."""
    return dcc.Location(id=ids.PAGE_URL, refresh=False)


def query_value(search: Any, name: str) -> str | None:
    """The first value of the query parameter `name` in a page URL's query string (None if absent or not text)."""
    values = parse_qs(search.lstrip("?")).get(name) if isinstance(search, str) else None
    return values[0] if values else None


def query_string(**params: Any) -> str:
    """?a=1&b=2 from the parameters that are set (empty values left out)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", [], False)}
    return "?" + urlencode(kept) if kept else ""
