"""Reporting scopes in the synthetic nation: central channels' units, provinces split into prefecture and county
returns, and the reviews the demo makes, with the figures and review progress the warehouse should show after them.

The provinces' holders and figures come from `synthetic.census`; this module only decides how they are split into
returns of several scopes and submitted, and adds the three central channels (中央和国家机关, 中央企业,
中央级档案馆), which report to the national bureau directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from census_schema.census_form import CENSUS_FORM, CENSUS_WORKBOOK, RED_ARCHIVES_FORM, REGISTER_FORM, SIGN_OFF_FORM
from census_schema.codes import HOLDER_TYPE, USCC_PREFIX_NATURE, YES_NO
from census_schema.divisions import load_divisions
from census_schema.scopes import (
    APPROVED,
    AWAITING_NATIONAL,
    AWAITING_PROVINCE,
    CENTRAL_ADMIN_LEVEL,
    CENTRAL_CHANNELS,
    CENTRAL_NAME,
    Scope,
    ScopeKind,
    central_scope,
    division_scope,
    province_scope,
    summarize_review,
)
from census_schema.template import write_form_workbook, write_workbook
from synthetic.census import (
    _MUNICIPALITIES,
    HOLDER_PROFILES,
    Manifest,
    NationalDataset,
    _contacts,
    _Holders,
    _holding_figures,
    _province_frame,
    _red_archive_rows,
    _sign_off,
    combine_figures,
    generate_uscc,
    register_rows,
    summarize_province,
    write_census_return,
    write_dataset,
)

# Organisation-code bodies of central units: above the 32 provinces' blocks (3,000,000 each), below the
# supervisors' (98,000,000), so no code repeats a provincial one.
_CENTRAL_BODY_BASE = 97_000_000
# The registration division of central organs' and institutions' codes (中央 level).
_CENTRAL_REGISTRATION = "100000"
# Where each central unit lies: Beijing unless named (the 行政区划代码 is a province-level code, as 中央 requires).
_BEIJING = "110000"

# channel -> (unit name, 普查对象类型, USCC kind prefix, division code or None for Beijing).
CENTRAL_UNITS: dict[str, tuple[tuple[str, str, str, str | None], ...]] = {
    "organs": tuple(
        (name, "机关档案室", prefix, None)
        for name, prefix in (
            ("中共中央办公厅", "11"),
            ("中共中央组织部", "11"),
            ("中共中央宣传部", "11"),
            ("中共中央统一战线工作部", "11"),
            ("中央纪律检查委员会机关", "11"),
            ("全国人民代表大会常务委员会办公厅", "11"),
            ("中国人民政治协商会议全国委员会办公厅", "11"),
            ("国务院办公厅", "11"),
            ("外交部", "11"),
            ("国家发展和改革委员会", "11"),
            ("教育部", "11"),
            ("科学技术部", "11"),
            ("工业和信息化部", "11"),
            ("国家民族事务委员会", "11"),
            ("公安部", "11"),
            ("民政部", "11"),
            ("司法部", "11"),
            ("财政部", "11"),
            ("人力资源和社会保障部", "11"),
            ("自然资源部", "11"),
            ("生态环境部", "11"),
            ("住房和城乡建设部", "11"),
            ("交通运输部", "11"),
            ("水利部", "11"),
            ("农业农村部", "11"),
            ("商务部", "11"),
            ("文化和旅游部", "11"),
            ("国家卫生健康委员会", "11"),
            ("退役军人事务部", "11"),
            ("应急管理部", "11"),
            ("审计署", "11"),
            ("国务院国有资产监督管理委员会", "11"),
            ("海关总署", "11"),
            ("国家税务总局", "11"),
            ("国家市场监督管理总局", "11"),
            ("国家统计局", "11"),
            ("国家机关事务管理局", "11"),
            ("国家档案局", "11"),
            ("最高人民法院", "11"),
            ("最高人民检察院", "11"),
            ("中国科学院", "12"),
            ("中国社会科学院", "12"),
            ("新华通讯社", "12"),
            ("中华全国总工会", "13"),
            ("中华全国妇女联合会", "13"),
            ("中国科学技术协会", "13"),
        )
    ),
    "enterprises": (
        ("中国石油天然气集团有限公司", "企事业单位档案馆", "91", None),
        ("中国石油化工集团有限公司", "企事业单位档案馆", "91", None),
        ("国家电网有限公司", "企事业单位档案馆", "91", None),
        ("中国南方电网有限责任公司", "企事业单位档案馆", "91", "440000"),
        ("中国第一汽车集团有限公司", "企事业单位档案馆", "91", "220000"),
        ("东风汽车集团有限公司", "企事业单位档案室", "91", "420000"),
        ("中国宝武钢铁集团有限公司", "企事业单位档案馆", "91", "310000"),
        ("中国长江三峡集团有限公司", "企事业单位档案馆", "91", "420000"),
        ("中国航空工业集团有限公司", "企事业单位档案馆", "91", None),
        ("中国船舶集团有限公司", "企事业单位档案室", "91", "310000"),
        ("中国远洋海运集团有限公司", "企事业单位档案室", "91", "310000"),
        ("中国移动通信集团有限公司", "企事业单位档案室", "91", None),
        ("中国电信集团有限公司", "企事业单位档案室", "91", None),
        ("中国联合网络通信集团有限公司", "企事业单位档案室", "91", None),
        ("中国建筑集团有限公司", "企事业单位档案室", "91", None),
        ("中国华能集团有限公司", "企事业单位档案室", "91", None),
        ("中国中车集团有限公司", "企事业单位档案室", "91", None),
        ("中国邮政集团有限公司", "企事业单位档案室", "91", None),
    ),
    "archives": (
        ("中央档案馆", "综合档案馆", "12", None),
        ("中国第一历史档案馆", "综合档案馆", "12", None),
        ("中国第二历史档案馆", "综合档案馆", "12", "320000"),
        ("中国照片档案馆", "专门档案馆", "12", None),
        ("中国电影资料馆", "专门档案馆", "12", None),
        ("全国地质资料馆", "专门档案馆", "12", None),
        ("国家气象信息中心气象档案馆", "专门档案馆", "12", None),
        ("外交部档案馆", "部门档案馆", "12", None),
    ),
}
# A central organ established after the register was drawn up: it reports without being on the register.
CENTRAL_UNREGISTERED = ("organs", ("国家数据局", "机关档案室", "11", None))
DEMO_SPLIT_PROVINCES = 3
# The province the demo's provincial user belongs to: split last, so its county's return awaits that user.
DEMO_PROVINCE = "440000"
CORRECTION_REMARK = "已按审核意见核实"
# Why reviewers returned returns in the demo (each then corrected and sent again).
PROVINCE_RETURN_REASON = "第{row}行「{unit}」的馆藏数量与同类单位差异较大，请核实后重新报送。"
NATIONAL_RETURN_REASON = "请核实省直单位的专职档案人员数后重新报送。"
CENTRAL_RETURN_REASON = "部分单位的电子档案容量与件数不符，请核实后重新报送。"


@dataclass(frozen=True)
class CentralChannelDataset:
    """A central channel's register of expected units and its clean census return."""

    channel: str
    channel_name: str
    register: pl.DataFrame
    census: pl.DataFrame
    # The census workbook's other sheets: the red-archive inventory (红色档案资源摸底) and the foot (表尾).
    red_archives: pl.DataFrame
    sign_off: pl.DataFrame

    def census_sheets(self, census: pl.DataFrame | None = None) -> dict[str, Any]:
        """The rows of each sheet of the channel's census workbook (its return's main sheet, or `census`)."""
        return {
            CENSUS_FORM.sheet_name: (self.census if census is None else census).iter_rows(),
            RED_ARCHIVES_FORM.sheet_name: self.red_archives.iter_rows(),
            SIGN_OFF_FORM.sheet_name: self.sign_off.iter_rows(),
        }


def generate_central_dataset(seed: int) -> dict[str, CentralChannelDataset]:
    """The three central channels' units (fixed lists, seeded figures); one registered unit of each channel does
    not report, and one organ reports without being registered."""
    rng = np.random.default_rng([seed, 100])
    channels = {channel: list(units) for channel, units in CENTRAL_UNITS.items()}
    channels[CENTRAL_UNREGISTERED[0]].append(CENTRAL_UNREGISTERED[1])
    listed = [(channel, unit) for channel, units in channels.items() for unit in units]
    n = len(listed)
    types = np.array([HOLDER_TYPE.values.index(unit[1]) for _, unit in listed], dtype=np.int64)
    holders = _Holders(
        type_id=types,
        level=np.zeros(n, dtype=np.int64),
        division=np.zeros(n, dtype=np.int64),
        prefix=np.array([unit[2] for _, unit in listed], dtype="<U2"),
        family=np.full(n, -1, dtype=np.int64),
        zone=np.zeros(n, dtype=np.int64),
        township=np.zeros(n, dtype=bool),
        central=np.ones(n, dtype=bool),
    )
    figures = _holding_figures(holders, rng, np.ones(n))
    registrations = np.array(
        [_BEIJING[:2] + "0000" if unit[2] == "91" else _CENTRAL_REGISTRATION for _, unit in listed], dtype="<U6"
    )
    climate = [HOLDER_PROFILES[unit[1]].climate_prob for _, unit in listed]
    fire = [HOLDER_PROFILES[unit[1]].fire_prob for _, unit in listed]
    columns: dict[str, Any] = {
        "uscc": generate_uscc(holders.prefix, registrations, _CENTRAL_BODY_BASE + np.arange(n)),
        "unit_name": [unit[0] for _, unit in listed],
        "unit_nature": [USCC_PREFIX_NATURE[unit[2]] for _, unit in listed],
        "holder_type": [unit[1] for _, unit in listed],
        "division_code": [unit[3] or _BEIJING for _, unit in listed],
        "admin_level": [CENTRAL_ADMIN_LEVEL] * n,
        "parent_uscc": [None] * n,
        "has_climate_control": np.where(rng.random(n) < np.array(climate), *YES_NO.values),
        "has_fire_alarm": np.where(rng.random(n) < np.array(fire), *YES_NO.values),
        **_contacts(_province_frame(_BEIJING), n, rng),
        "remarks": [None] * n,
    }
    for name, values in figures.items():
        decimals = CENSUS_FORM.field(name).decimals
        columns[name] = values / 10**decimals if decimals else values
    table = pl.DataFrame(
        {
            name: pl.Series(name, columns[name], dtype=CENSUS_FORM.field(name).polars_dtype)
            for name in CENSUS_FORM.field_names
        }
    ).with_columns(
        _channel=pl.Series([channel for channel, _ in listed]),
        _type=pl.Series(types),
        _level=pl.Series(holders.level),
    )
    unregistered = CENTRAL_UNREGISTERED[1][0]
    datasets = {}
    for channel, name in CENTRAL_CHANNELS.items():
        rows = table.filter(pl.col("_channel") == channel)
        registered = rows.filter(pl.col("unit_name") != unregistered)
        # One registered unit per channel has not reported (chosen by the seed).
        missing = registered.get_column("uscc")[int(rng.integers(0, registered.height))]
        census = rows.filter(pl.col("uscc") != missing)
        datasets[channel] = CentralChannelDataset(
            channel,
            name,
            register_rows(registered),
            census.select(CENSUS_FORM.field_names),
            _red_archive_rows(census, rng),
            _sign_off(_province_frame(_BEIJING), rng),
        )
    return datasets


@dataclass(frozen=True)
class ScopeSplit:
    """A province whose return is split: one prefecture's and one county's (in another prefecture) returns beside
    the province-wide return of its other holders."""

    province_code: str
    prefecture: str
    county: str

    def scopes(self) -> tuple[Scope, Scope]:
        """The prefecture's and the county's scopes."""
        return division_scope(self.province_code, self.prefecture), division_scope(self.province_code, self.county)

    def rows_by_scope(self, census: pl.DataFrame) -> dict[Scope, pl.DataFrame]:
        """The province's return split by scope: province-wide (the rest), prefecture, county."""
        prefecture, county = self.scopes()
        codes = census.get_column("division_code").to_list()
        in_prefecture = [prefecture.contains_division(code) and code != self.county for code in codes]
        in_county = [code == self.county for code in codes]
        rest = [not (a or b) for a, b in zip(in_prefecture, in_county, strict=True)]
        return {
            province_scope(self.province_code): census.filter(pl.Series(rest)),
            prefecture: census.filter(pl.Series(in_prefecture)),
            county: census.filter(pl.Series(in_county)),
        }


def _split_of(province_code: str, census: pl.DataFrame) -> ScopeSplit | None:
    """The prefecture with most rows, the county with most rows in another prefecture; None if a part is empty."""
    divisions = load_divisions()
    codes = census.get_column("division_code").to_list()
    prefectures: dict[str, int] = {}
    counties: dict[tuple[str, str], int] = {}
    for code in codes:
        prefecture = divisions.prefecture_of(code) if code in divisions.by_code else None
        if prefecture is None:
            continue
        prefectures[prefecture] = prefectures.get(prefecture, 0) + 1
        if divisions.by_code[code].level == "county":
            counties[(prefecture, code)] = counties.get((prefecture, code), 0) + 1
    if not prefectures:
        return None
    prefecture = max(sorted(prefectures), key=lambda p: prefectures[p])
    others = sorted((count, key) for key, count in counties.items() if key[0] != prefecture)
    if not others:
        return None
    split = ScopeSplit(province_code, prefecture, others[-1][1][1])
    if any(rows.height == 0 for rows in split.rows_by_scope(census).values()):
        return None
    return split


def plan_scope_splits(
    dataset: NationalDataset, count: int = DEMO_SPLIT_PROVINCES, provinces: Sequence[str] | None = None
) -> list[ScopeSplit]:
    """Provinces (seeded choice among `provinces`, default all; the demo province last) whose returns are split
    into prefecture and county returns."""
    candidates = dataset.provinces if provinces is None else provinces
    codes = [c for c in candidates if c not in _MUNICIPALITIES and c != "660000"]
    order = [codes[i] for i in np.random.default_rng([dataset.seed, 12]).permutation(len(codes))]
    order = [c for c in order if c != DEMO_PROVINCE] + ([DEMO_PROVINCE] if DEMO_PROVINCE in codes else [])
    splits = [split for code in order if (split := _split_of(code, dataset.provinces[code].census)) is not None]
    chosen = [s for s in splits if s.province_code != DEMO_PROVINCE][: max(0, count - 1)]
    demo = [s for s in splits if s.province_code == DEMO_PROVINCE]
    return (chosen + demo)[:count] if demo else splits[:count]


@dataclass(frozen=True)
class PlannedReturn:
    """One scope's census return in the demo: its file, the return with a reason its first reviewer makes (then the
    corrected file sent again), and where its review stands at the end."""

    scope_kind: str
    scope_code: str
    province_code: str | None
    scope_name: str
    file: str | None
    rows: int
    final_state: str
    return_reason: str | None = None
    corrected_file: str | None = None

    @property
    def scope(self) -> Scope:
        """The return's scope."""
        return Scope(ScopeKind(self.scope_kind), self.scope_code)


@dataclass(frozen=True)
class CentralExpectation:
    """A central channel's written files and the figures the warehouse shows after loading them."""

    channel: str
    channel_name: str
    register_file: str
    census_file: str
    register_rows: int
    census_rows: int
    figures: dict[str, Any]


def _corrected(rows: pl.DataFrame) -> pl.DataFrame:
    """The same holders, a remark added on the first row: a new file whose figures are unchanged."""
    remarks = pl.Series("remarks", [CORRECTION_REMARK] + rows.get_column("remarks").to_list()[1:], dtype=pl.Utf8)
    return rows.with_columns(remarks)


def _write_register(path: Path, rows: pl.DataFrame, scope: Scope) -> None:
    write_form_workbook(path, REGISTER_FORM, None, rows.select(REGISTER_FORM.field_names).iter_rows(), scope=scope)


def _write_central(path: Path, data: CentralChannelDataset, census: pl.DataFrame | None = None) -> None:
    """A central channel's census workbook: its main sheet (or `census`), red-archive inventory and foot."""
    write_workbook(path, CENSUS_WORKBOOK, None, data.census_sheets(census), scope=central_scope(data.channel))


def _review_summary(planned: Sequence[PlannedReturn]) -> dict[str, Any]:
    """The `review` block of `summary --json` the plan leads to."""
    divisions = load_divisions()
    provinces = [p.code for p in divisions.census_provinces()]
    central = [p for p in planned if p.province_code is None]
    return {
        **summarize_review(p.final_state for p in planned),
        "provinces": [
            {
                "province_code": code,
                "province_name": divisions.name(code),
                **summarize_review(p.final_state for p in planned if p.province_code == code),
            }
            for code in provinces
        ],
        "central": {
            **summarize_review(p.final_state for p in central),
            "channels": [
                {
                    "channel": key,
                    "channel_name": name,
                    **summarize_review(p.final_state for p in central if p.scope_code == key),
                }
                for key, name in CENTRAL_CHANNELS.items()
            ],
        },
    }


def write_demo_dataset(
    dataset: NationalDataset,
    central: Mapping[str, CentralChannelDataset],
    out_dir: Path,
    splits: Sequence[ScopeSplit],
    *,
    inject_errors: int = 0,
    provinces: Sequence[str] | None = None,
) -> Manifest:
    """Write every scope's workbooks (provinces, their split prefectures and counties, the central channels, the
    corrected files sent after a return) and `manifest.json` with the figures and review progress expected."""
    by_province = {s.province_code: s for s in splits}
    parts = {code: s.rows_by_scope(dataset.provinces[code].census) for code, s in by_province.items()}
    province_rows = {code: rows[province_scope(code)] for code, rows in parts.items()}
    manifest = write_dataset(
        dataset,
        out_dir,
        inject_errors=inject_errors,
        provinces=provinces,
        province_scope_rows=province_rows,
        central={key: (data.register, data.census, data.red_archives) for key, data in central.items()},
    )
    planned: list[PlannedReturn] = []

    # Province-wide returns: every third (by code) reviewed nationally; the first accepted, unsplit province's
    # return is returned by the national bureau and corrected.
    accepted_whole = [
        p.province_code for p in manifest.provinces if p.status == "accepted" and p.province_code not in parts
    ]
    returned_whole = accepted_whole[1] if len(accepted_whole) > 1 else None
    for index, province in enumerate(manifest.provinces):
        code = province.province_code
        reviewed = index % 3 == 0 or code in parts or code == returned_whole
        entry = PlannedReturn(
            "province", code, code, province.province_name, province.census_file, province.census_rows,
            APPROVED if reviewed else AWAITING_NATIONAL,
        )  # fmt: skip
        if code == returned_whole:
            corrected = f"census-{code}-corrected.xlsx"
            province_data = dataset.provinces[code]
            write_census_return(out_dir / corrected, province_data, _corrected(province_data.census).iter_rows())
            entry = replace(entry, return_reason=NATIONAL_RETURN_REASON, corrected_file=corrected)
        planned.append(entry)

    # Prefectures and counties: the province returns the first split province's prefecture return (corrected and
    # sent again); prefectures end reviewed by both levels, counties accepted by their province, the demo
    # province's county still awaiting it.
    for number, split in enumerate(splits):
        for scope, rows in parts[split.province_code].items():
            if scope.kind is ScopeKind.PROVINCE:
                continue
            file = f"census-{scope.code}.xlsx"
            province_data = dataset.provinces[split.province_code]
            write_census_return(out_dir / file, province_data, scope=scope, holders=rows)
            if scope.kind is ScopeKind.PREFECTURE:
                final = APPROVED
            else:
                final = AWAITING_PROVINCE if split.province_code == DEMO_PROVINCE else AWAITING_NATIONAL
            entry = PlannedReturn(
                scope.kind.value, scope.code, split.province_code, scope.name, file, rows.height, final
            )
            if number == 0 and scope.kind is ScopeKind.PREFECTURE:
                corrected = f"census-{scope.code}-corrected.xlsx"
                write_census_return(out_dir / corrected, province_data, scope=scope, holders=_corrected(rows))
                first = rows.row(0, named=True)
                reason = PROVINCE_RETURN_REASON.format(row=3, unit=first["unit_name"])
                entry = replace(entry, return_reason=reason, corrected_file=corrected)
            planned.append(entry)

    # Central channels: a register and a return each; the organs' return is returned and corrected.
    expectations = []
    for channel, data in central.items():
        scope = central_scope(channel)
        register_file, census_file = f"register-central-{channel}.xlsx", f"census-central-{channel}.xlsx"
        _write_register(out_dir / register_file, data.register, scope)
        _write_central(out_dir / census_file, data)
        final = AWAITING_NATIONAL if channel == "archives" else APPROVED
        entry = PlannedReturn("central", channel, None, data.channel_name, census_file, data.census.height, final)
        if channel == "organs":
            corrected = f"census-central-{channel}-corrected.xlsx"
            _write_central(out_dir / corrected, data, _corrected(data.census))
            entry = replace(entry, return_reason=CENTRAL_RETURN_REASON, corrected_file=corrected)
        planned.append(entry)
        figures = summarize_province(data.register, data.census)
        expectations.append(
            CentralExpectation(
                channel,
                data.channel_name,
                register_file,
                census_file,
                data.register.height,
                data.census.height,
                figures,
            )
        )

    channels = [{"channel": e.channel, "channel_name": e.channel_name, **e.figures} for e in expectations]
    central_figures = combine_figures(e.figures for e in expectations)
    manifest = replace(
        manifest,
        national=combine_figures([manifest.national, central_figures]),
        national_if_corrected=combine_figures([manifest.national_if_corrected, central_figures]),
        central={"name": CENTRAL_NAME, **central_figures, "channels": channels},
        central_files=tuple(expectations),
        returns=tuple(planned),
        review=_review_summary(planned),
    )
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest
