"""Numbers, names, dates and labels as people read them on the pages (Chinese formats, names not codes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM
from census_schema.clock import to_beijing
from census_schema.divisions import load_divisions
from census_schema.forms import KIND_LABELS
from census_schema.roles import Role, person_label
from census_schema.scopes import (
    CENTRAL_CHANNELS,
    CENTRAL_NAME,
    RETURNED,
    account_scope,
    describe_division,
    parse_central_area,
    return_verb,
    shown_progress,
)
from census_schema.supervision.evaluation import SELF_SOURCE
from warehouse.queries import DECIMAL_FIGURES, RED_FIGURES

# The warehouse stores naive UTC; people here read Beijing time.
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}


def format_count(value: Any) -> str:
    """An exact count with thousands separators: 12,345 (never rounded to 万, which hides differences)."""
    return f"{int(round(float(value or 0))):,}"


# From this magnitude a figure is also said in 万 or 亿 (below it the exact figure reads at a glance): beside a card's
# exact count, and on a chart's axis, colour bar and bars.
MAGNITUDE_FROM = 100_000
# Units whose large figures are not said in 万 or 亿 (约 19.76 万GB is not how storage is said; a share is 0–100).
NO_MAGNITUDE_UNITS = frozenset({"GB", "%"})


def in_wan_or_yi(value: float, decimals: int = 2) -> tuple[str, str]:
    """A figure's number of 亿 or 万 (at most `decimals` places, no separator: 6944.98) and that word; a figure
    under 1 万 as it is, with no word."""
    size, word = (1e8, "亿") if abs(value) >= 1e8 else (1e4, "万") if abs(value) >= 1e4 else (1.0, "")
    return f"{value / size:.{decimals}f}".rstrip("0").rstrip("."), word


def format_magnitude(value: Any, unit: str = "") -> str | None:
    """A large count as a reader here says it beside the exact one: 约 1.35 亿卷件, 约 254.29 万米; None under
    MAGNITUDE_FROM (the exact count reads at a glance), and for NO_MAGNITUDE_UNITS."""
    if value is None or unit in NO_MAGNITUDE_UNITS or abs(float(value)) < MAGNITUDE_FROM:
        return None
    shown, word = in_wan_or_yi(float(value))
    return f"约 {shown} {word}{unit}"


def format_number(value: Any, decimals: int = 2) -> str:
    """A measured quantity with thousands separators and fixed decimals; a whole number without them."""
    if value is None:
        return "—"
    number = float(value)
    if number.is_integer():  # 23,614,069 米, not 23,614,069.0 米
        return f"{int(number):,}"
    return f"{number:,.{decimals}f}"


def format_value(value: Any) -> str:
    """A reported or computed value: separators, at most two decimals, no trailing zeros (131, 81.95, 2,049)."""
    return "—" if value is None else f"{float(value):,.2f}".rstrip("0").rstrip(".")


def format_pct(value: Any, decimals: int = 2) -> str:
    """A percentage: 96.39%."""
    return "—" if value is None else f"{float(value):.{decimals}f}%"


def share_pct(part: Any, whole: Any) -> float | None:
    """part / whole in percent, None without a whole."""
    return round(100.0 * float(part or 0) / float(whole), 2) if whole else None


def division_name(code: str | None) -> str:
    """The name of a division, '全国' for None, the code itself when it is unknown."""
    if code is None:
        return "全国"
    divisions = load_divisions().by_code
    return divisions[code].name if code in divisions else code


def province_names() -> tuple[str, ...]:
    """Every name a province column can show: the census provinces', 全国 (no province, as with_names says), 中央
    (the central channels together) and each central channel (a central unit's row)."""
    return ("全国", CENTRAL_NAME, *CENTRAL_CHANNELS.values(), *(d.name for d in load_divisions().census_provinces()))


def division_full_name(code: str | None) -> str:
    """A division with its parents below the province: 广东省 › 广州市 › 越秀区 reads 广州市越秀区 (北京市朝阳区 reads
    朝阳区: the municipality's part is not named above its districts)."""
    divisions = load_divisions()
    if code is None or code not in divisions.by_code:
        return division_name(code)
    names = divisions.path_names(code)
    return "".join(names[1:]) or names[0]


def area_name(code: str | None) -> str:
    """A scope as people name it: 全国, 广东省, 广东省广州市, 中央渠道, 中央企业."""
    if code is None:
        return "全国"
    is_central, channel = parse_central_area(code)
    if is_central:
        return "中央渠道" if channel is None else CENTRAL_CHANNELS[channel]
    if code.endswith("0000") or code not in load_divisions().by_code:
        return division_name(code)
    return describe_division(code)


def kind_label(kind: str | None) -> str:
    """The Chinese name of a workbook kind."""
    return KIND_LABELS.get(kind or "", kind or "")


def format_date(value: date | str | None) -> str:
    """A date as people write it: 2025年6月30日."""
    if value is None or value == "":
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(value: datetime | str | None, *, seconds: bool = False) -> str:
    """A warehouse timestamp as people write it, in Beijing time to the minute (2026年11月30日 10:17) or second."""
    if value is None or value == "":
        return ""
    moment = to_beijing(value)
    return (
        f"{format_date(moment.date())} {moment:%H:%M:%S}" if seconds else f"{format_date(moment.date())} {moment:%H:%M}"
    )


def removed_by_restore(removed: Mapping[str, Any]) -> str:
    """When a restore removed a return (`warehouse.queries.query_removed_returns`), as the upload page and
    /submissions say it: 2026年12月6日 15:22 数据仓库恢复到 2026年12月6日 15:20 的备份时删除."""
    return (
        f"{format_datetime(removed['restored_at'])} 数据仓库恢复到 {format_datetime(removed['backup_taken_at'])} "
        "的备份时删除"
    )


def removed_return_line(removed: Mapping[str, Any]) -> str:
    """A return a restore removed, as the upload page and the overview list it: its kind and scope, file, sender and
    time, number, and when it was removed."""
    return (
        f"{kind_label(removed['kind'])}·{removed['scope_name']}：「{removed['file_name']}」，{removed['submitter']} "
        f"{format_datetime(removed['submitted_at'])} 报送（提交编号 {removed['submission_id']}）；"
        f"{removed_by_restore(removed)}"
    )


def transition_time(transition: dict[str, Any]) -> datetime | date:
    """When a finding's transition happened, as far as it is known: a workbook's row by its day (its 日期 has no time;
    it is kept at the day's first moment, which read as 08:00 Beijing time), one made on the platform to the moment."""
    moment = transition["changed_at"]
    return to_beijing(moment).date() if transition.get("recorded_via") == "upload" else moment


def format_transition_time(transition: dict[str, Any]) -> str:
    """`transition_time` as people write it: 2024年12月10日, or 2025年6月30日 10:17."""
    moment = transition_time(transition)
    return format_datetime(moment) if isinstance(moment, datetime) else format_date(moment)


# An account's state and a sign-in never made, as /accounts and `users list` say them.
ACCOUNT_STATES = {True: "启用", False: "已停用"}
NEVER_SIGNED_IN = "从未登录"


def describe_rename(user_name: str, was: str | None, person: str | None) -> str:
    """What giving an account its person's name did (/accounts' 修改姓名, `users rename`), from the name it had."""
    if was == person:
        return f"账号「{user_name}」的姓名{f'本来就是「{person}」' if person else '本来就没有填写'}，未做任何改动。"
    if person is None:
        return f"已清除账号「{user_name}」的姓名（原为「{was}」）。"
    return f"已将账号「{user_name}」的姓名{f'由「{was}」' if was else ''}改为「{person}」；密码和已登录的会话不变。"


def account_state(is_active: bool) -> str:
    """启用 or 已停用."""
    return ACCOUNT_STATES[bool(is_active)]


def role_text(role: str, province_code: str | None, scope_code: str | None = None) -> str:
    """An account's role as people read it: 省级档案部门（广东省）, 地级档案部门（广东省广州市）, 评价专家."""
    scope = account_scope(Role(role), province_code, scope_code)
    return f"{Role(role).label}（{scope.name}）" if scope is not None else Role(role).label


# A return that kept the review of the one it replaced (whose id its review history and the audit log name).
KEPT_REVIEW_NOTE = "沿用所替换报送的审核进度（两者逐行逐项相同）"


def shown_review_progress(submission: Mapping[str, Any]) -> str:
    """A submission's review progress as its grid shows it: of one replaced, that it was replaced and where its review
    stood then (待省级审核 alone read as still waiting for the province)."""
    progress = shown_progress(submission.get("review_progress"), submission.get("return_reason")) or "—"
    if submission.get("superseded_by") and progress != "—":
        return f"已被替换（原为{progress}）"
    return progress


def shown_review_note(submission: dict[str, Any]) -> str:
    """What its review history says of a submission: why it was last returned and by whom (marked 曾退回 once it is no longer
    returned: accepted after all), else that it is a returned return sent again unchanged (with why it was returned),
    else that it kept the review of the return it replaced."""
    reason = submission.get("return_reason") or ""
    # Who sent it back, where known (王敏（planner）退回：…): the upload page named them, this column did not. A
    # withdrawal says whose already (报送人撤回：…).
    returner = submission.get("returner") if return_verb(reason) == "退回" else None
    if reason and submission.get("review_state") != RETURNED:
        return f"曾由{returner}退回：{reason}" if returner else f"曾退回：{reason}"
    if reason:
        return f"{returner}退回：{reason}" if returner else reason
    return submission.get("resent_reason") or (KEPT_REVIEW_NOTE if submission.get("kept_reason") else "")


def with_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the names of their province (or central channel) and division beside the codes (province_name,
    division_name)."""
    named = []
    for row in rows:
        extra: dict[str, Any] = {}
        if row.get("central_channel") and "province_name" not in row:
            # A central unit's row has no province: its 省份 column names its channel, not the nation.
            extra["province_name"] = CENTRAL_CHANNELS[row["central_channel"]]
        elif "province_code" in row and "province_name" not in row:
            extra["province_name"] = division_name(row["province_code"]) if row["province_code"] else "全国"
        if row.get("division_code") and "division_name" not in row:
            extra["division_name"] = division_full_name(row["division_code"])
        named.append({**row, **extra})
    return named


def describe_sources(sources: list[dict[str, Any]], *, name_experts: bool = True) -> str:
    """The score rows an evaluation finding was derived from, each with where it came from (empty for others).

    Without `name_experts` (the evaluated archive's province reading its finding) the experts are counted, not
    named, and their own scores are not given: the panel's members and their separate scores are the national
    bureau's; the finding itself says the score that counts."""
    if not name_experts:
        own = [f"自评 {s['score']} 分" for s in sources if s["scorer"] == SELF_SOURCE]
        experts = sum(1 for s in sources if s["scorer"] != SELF_SOURCE)
        panel = [f"{experts} 位专家的评分（专家姓名和各自的评分只向国家档案局显示）"] if experts else []
        return f"依据评分：{'；'.join(own + panel)}" if own or panel else ""
    parts = [
        f"{person_label(s['scorer'], s.get('scorer_name'))} {s['score']} 分"
        + (f"（{s['sheet_name']}第 {s['excel_row']} 行）" if s["submission_id"] else "（网页录入）")
        for s in sources
    ]
    return f"依据评分：{'；'.join(parts)}" if parts else ""


# The summary's figures that are not a form's own column, by their Chinese names and units.
UNIT_LABELS = {
    "units_expected": ("应报普查对象（普查对象名录）", "个"),
    "units_reported": ("已报普查对象（名录内）", "个"),
    "units_unregistered": ("名录外报送单位", "个"),
    "holdings": ("馆（室）藏（以卷 + 以件为保管单位）", "卷件"),
    "comprehensive_holdings": ("综合档案馆馆藏（以卷 + 以件为保管单位）", "卷件"),
    "comprehensive_digitized": ("综合档案馆已数字化档案（卷 + 件）", "卷件"),
    "comprehensive_opened": ("综合档案馆已开放档案", "卷件"),
    "red_holders": ("红色档案资源摸底单位", "个"),
    "red_total": ("红色档案（卷 + 件）", "卷件"),
}


def figure_decimals(figure: str) -> int:
    """The decimals a figure is written with: its field's (总排架长度 to one, as on the overview; it read 2 on
    /lineage), a share's two, a count's none."""
    if figure in CENSUS_FORM.field_names:
        return CENSUS_FORM.field(figure).decimals
    return 2 if figure in DECIMAL_FIGURES else 0


def figure_label(figure: str) -> tuple[str, str]:
    """A figure's Chinese name and unit, from the census form's own labels."""
    if figure in UNIT_LABELS:
        return UNIT_LABELS[figure]
    if (
        figure in RED_FIGURES
    ):  # the red-archive sheet's 已数字化（卷件）: 红色档案已数字化; 开发利用：举办展览: 利用红色档案举办展览
        field = RED_ARCHIVES_FORM.field(figure)
        name = field.label.split("（")[0]
        return (
            f"利用红色档案{name.removeprefix('开发利用：')}" if "：" in name else f"红色档案{name}"
        ), field.unit or ""
    field = CENSUS_FORM.field(figure)
    # 其中：革命历史档案 is a part of a column to the form's reader; alone in a sentence it is 革命历史档案.
    return field.label.split("（")[0].removeprefix("其中："), field.unit or ""


def describe_report_waiting(submitted_at: datetime, deadline: date) -> str:
    """When the report awaiting review was sent, against the deadline: overdue while it waits, it may have been sent
    in time (the days over are then the review's)."""
    day = to_beijing(submitted_at).date()
    return f"整改报告已于{format_date(day)}{'按期' if day <= deadline else '逾期后'}提交，待审核"
