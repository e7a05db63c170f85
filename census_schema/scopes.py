"""Reporting scopes: what a census return or register is for (a province, a prefecture or county, a central channel).

A return covers the holders of its scope and nothing else. A whole province, a prefecture (地级) or a county (县级)
inside it reports through the province; the three central channels (中央和国家机关, 中央企业, 中央级档案馆) report
to the national bureau directly. Which scope a workbook is for is written into its template's hidden `_meta` sheet,
as the province always was; the rules that follow from scopes (where a holder may lie, who reviews a return, which
return replaces which) are declared here once and explained in docs/interfaces-supplement.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from census_schema.clock import to_beijing
from census_schema.divisions import (
    PREFECTURE,
    PROVINCE,
    UnknownDivision,
    census_province_of,
    load_divisions,
    require_census_province,
)
from census_schema.errors import UsageError
from census_schema.roles import Role, person_label


class ScopeKind(StrEnum):
    """The kinds of reporting scope, stored as `submissions.scope_kind`."""

    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    CENTRAL = "central"

    @property
    def label(self) -> str:
        """The Chinese name of the level."""
        return SCOPE_KIND_LABELS[self]


SCOPE_KIND_LABELS = {
    ScopeKind.PROVINCE: "省级",
    ScopeKind.PREFECTURE: "地级",
    ScopeKind.COUNTY: "县级",
    ScopeKind.CENTRAL: "中央",
}
# The central channels by the key the command line and `submissions.scope_code` use.
CENTRAL_CHANNELS: dict[str, str] = {
    "organs": "中央和国家机关",
    "enterprises": "中央企业",
    "archives": "中央级档案馆",
}
# The 普查对象类型 each central channel reports (a type may be reported by more than one: a central organ's 事业单位
# and a central enterprise both keep 企事业单位档案室).
CENTRAL_HOLDER_TYPES: dict[str, tuple[str, ...]] = {
    "organs": ("机关档案室", "企事业单位档案室"),
    "enterprises": ("企事业单位档案馆", "企事业单位档案室"),
    "archives": ("综合档案馆", "专门档案馆", "部门档案馆"),
}
assert set(CENTRAL_HOLDER_TYPES) == set(CENTRAL_CHANNELS)
# Rule kinds that hold for some returns only: a local return's (its province's divisions), a central channel's.
LOCAL_RULE_KINDS = frozenset({"division_in_province"})
CENTRAL_RULE_KINDS = frozenset({"holder_type_in_channel"})
# The 行政层级 a central unit is reported with; no other scope may report it (a central enterprise's provincial
# branch is a local unit of the province it lies in, reported with its own level).
CENTRAL_ADMIN_LEVEL = "中央"
# The name of the national column/row that gathers the three channels (on /coverage and in `summary --json`).
CENTRAL_NAME = "中央"
# Review levels: who reviews a return first. Prefecture and county returns are reviewed by their province, then
# by the national bureau; province-wide returns and central channels by the national bureau only. A county's return
# is reviewed by its prefecture's office first when that office has an account (warehouse.reviews).
PREFECTURE_REVIEW, PROVINCE_REVIEW, NATIONAL_REVIEW = "prefecture", "province", "national"
REVIEW_LEVEL_LABELS = {
    PREFECTURE_REVIEW: "地级档案部门",
    PROVINCE_REVIEW: "省级档案部门",
    NATIONAL_REVIEW: "国家档案局",
}
# Whose turn it is after a level accepts (the national bureau's acceptance is final).
NEXT_REVIEW_LEVEL = {PREFECTURE_REVIEW: PROVINCE_REVIEW, PROVINCE_REVIEW: NATIONAL_REVIEW}


@dataclass(frozen=True)
class Scope:
    """One reporting scope: its kind and code (a division code, or a central channel's key)."""

    kind: ScopeKind
    code: str

    @property
    def is_central(self) -> bool:
        """True for the three central channels."""
        return self.kind is ScopeKind.CENTRAL

    @property
    def province_code(self) -> str | None:
        """The census province the scope lies in (the Corps for its cities); None for a central channel."""
        return None if self.is_central else census_province_of(self.code)

    @property
    def central_channel(self) -> str | None:
        """The central channel's key (as the warehouse's `scope_channel` gives it); None for a province's scopes."""
        return self.code if self.is_central else None

    @property
    def name(self) -> str:
        """The Chinese name: 广东省, 广东省广州市, 广东省广州市天河区, 中央企业."""
        if self.is_central:
            return CENTRAL_CHANNELS[self.code]
        return "".join(load_divisions().path_names(self.code))

    @property
    def label(self) -> str:
        """Name and level, as messages show it: 广东省广州市（地级）."""
        return f"{self.name}（{self.kind.label}）"

    @property
    def prefecture_code(self) -> str | None:
        """The prefecture a county's scope lies in (None for a county directly under its province, and for other
        scopes): whose office reviews the county's return first, when it has an account."""
        if self.kind is not ScopeKind.COUNTY:
            return None
        parent = load_divisions().by_code.get(load_divisions().get(self.code).parent_code or "")
        return parent.code if parent is not None and parent.level == PREFECTURE else None

    @property
    def first_review_level(self) -> str:
        """Who reviews a return of this scope first: the province for its prefectures and counties, else the nation."""
        return PROVINCE_REVIEW if self.kind in (ScopeKind.PREFECTURE, ScopeKind.COUNTY) else NATIONAL_REVIEW

    def contains_division(self, division_code: str) -> bool:
        """True when a holder with this division code lies inside the scope (any place, for a central channel)."""
        if self.is_central:
            return True
        if self.kind is ScopeKind.PROVINCE:
            return division_code[:2] == self.code[:2]
        if self.kind is ScopeKind.COUNTY:
            return division_code == self.code
        division = load_divisions().by_code.get(division_code)
        return division_code == self.code or (division is not None and division.parent_code == self.code)

    def covers(self, other: Scope) -> bool:
        """True when a return of `other` lies inside this scope: itself, a province's prefectures and counties, a
        prefecture's counties (a central channel covers only itself)."""
        if self.is_central or other.is_central:
            return self == other
        if self.kind is ScopeKind.PROVINCE:
            return other.province_code == self.code
        return self.contains_division(other.code)

    def to_json(self) -> dict[str, str]:
        """The scope as `ingest --json` and `submissions --json` print it."""
        return {"kind": self.kind.value, "code": self.code, "name": self.name}


def province_scope(province_code: str) -> Scope:
    """The whole-province scope of a census province."""
    return Scope(ScopeKind.PROVINCE, require_census_province(province_code).code)


def division_scope(province_code: str, division_code: str) -> Scope:
    """The scope of a prefecture or county inside a province; a UsageError naming the problem otherwise."""
    province = require_census_province(province_code)
    try:
        division = load_divisions().get(division_code)
    except UnknownDivision:
        raise UsageError(
            f"「{division_code}」不是现行的行政区划代码。", hint="请使用 GB/T 2260 现行的6位地级或县级代码，如 440100。"
        ) from None
    if division.level == PROVINCE:
        raise UsageError(
            f"{named_division(division_code)}是省级代码，全省的报表不用再指定地级或县级代码。",
            hint="不指定地级或县级代码，即为全省范围。",
        )
    if division.province_code != province.code:
        reports = census_province_of(division_code)
        if reports != division_code[:2] + "0000":  # a Corps city, in Xinjiang but reporting through the Corps
            raise UsageError(
                f"{division.name}（{division_code}）由{describe_division(reports)}（{reports}）报送，"
                f"不属{province.name}（{province.code}）的填报范围。",
                hint=f"请改用 --province {reports}。",
            )
        raise UsageError(
            # Named in full: 朝阳区 alone is Beijing's and Changchun's.
            f"{named_division(division_code)}不在{province.name}（{province.code}）境内。",
            hint="请检查省份与地级或县级代码是否对应。",
        )
    return Scope(ScopeKind.PREFECTURE if division.level == PREFECTURE else ScopeKind.COUNTY, division.code)


def rule_kind_applies(kind: str, scope: Scope) -> bool:
    """Whether rules of a kind hold for a scope's returns (a central channel's have no province; only theirs a
    channel's holder types)."""
    return kind not in (LOCAL_RULE_KINDS if scope.is_central else CENTRAL_RULE_KINDS)


def central_scope(channel: str) -> Scope:
    """The scope of a central channel by its key (organs, enterprises, archives)."""
    if channel not in CENTRAL_CHANNELS:
        known = "、".join(f"{key}（{name}）" for key, name in CENTRAL_CHANNELS.items())
        raise UsageError(f"未知的中央报送渠道「{channel}」。", hint=f"可用的渠道：{known}。")
    return Scope(ScopeKind.CENTRAL, channel)


# The kind of scope each reporting role reports for (census_schema.roles.REPORTING_ROLES).
ROLE_SCOPE_KINDS = {
    Role.PROVINCE: ScopeKind.PROVINCE,
    Role.PREFECTURE: ScopeKind.PREFECTURE,
    Role.COUNTY: ScopeKind.COUNTY,
    Role.CENTRAL: ScopeKind.CENTRAL,
}


def account_scope(role: Role, province_code: str | None, scope_code: str | None) -> Scope | None:
    """The scope an account reports for, from what `users` stores: a province's office its province, a prefecture's
    or county's its division (`scope_code`), a central channel's its channel; None for the other roles."""
    code = province_code if role is Role.PROVINCE else scope_code
    return Scope(ROLE_SCOPE_KINDS[role], code) if role in ROLE_SCOPE_KINDS and code else None


def choose_account_scope(
    role: Role, province_code: str | None, division_code: str | None, central: str | None
) -> Scope:
    """The scope of a new reporting account, as named on the command line or the accounts page: a province (its
    code), a prefecture or county (its division code; the province is its own), or a central channel (its key);
    a UsageError saying what is missing or does not fit the role."""
    if role is Role.CENTRAL:
        if not central or province_code or division_code:
            extra = "请去掉 --province 和 --division；" if province_code or division_code else ""
            raise UsageError(
                f"{role.label}的账号须且只须指定报送渠道（--central）。",
                hint=extra + "可用的渠道：" + "、".join(f"{k}（{n}）" for k, n in CENTRAL_CHANNELS.items()) + "。",
            )
        return central_scope(central)
    if central:
        raise UsageError(f"只有{Role.CENTRAL.label}的账号才指定报送渠道。", hint="请去掉 --central。")
    if role is Role.PROVINCE:
        if not province_code:
            raise UsageError(
                "省级用户必须指定 --province。",
                hint="请加上该用户所属省份的六位区划代码，如 --province 440000（广东省）。",
            )
        if division_code:
            raise UsageError(
                "省级用户的范围是全省，不指定地级或县级代码（--division）。",
                hint="地级、县级档案部门的账号请用 --role prefecture 或 --role county。",
            )
        return province_scope(province_code)
    code = division_code or province_code
    if not code:
        example = "440100（广州市）" if role is Role.PREFECTURE else "440106（广州市天河区）"
        raise UsageError(f"{role.label}的账号须指定其行政区划代码（--division）。", hint=f"如 --division {example}。")
    try:
        division = load_divisions().get(code)
    except UnknownDivision:
        raise UsageError(f"「{code}」不是现行的行政区划代码。", hint="请使用 GB/T 2260 现行的6位代码。") from None
    province = census_province_of(code)
    if province_code and province_code != province:
        raise UsageError(
            f"{describe_division(code)}（{code}）不在所指定的{describe_division(province_code)}（{province_code}）境内。",
            hint="请核对 --division 的代码；地级、县级账号的省份由其代码而定，可不写 --province。",
        )
    scope = division_scope(province, code) if division.level != PROVINCE else province_scope(code)
    if scope.kind is not ROLE_SCOPE_KINDS[role]:
        raise UsageError(
            f"{scope.name}（{code}）是{scope.kind.label}区划，不能作为{role.label}的账号范围。",
            hint="地级档案部门用地级代码（如 440100），县级档案部门用县级代码（如 440106）。",
        )
    return scope


def choose_scope(province_code: str | None, division_code: str | None, central: str | None) -> Scope:
    """The scope named on a command line (--province with an optional --division, or --central)."""
    if central is not None:
        if province_code or division_code:
            raise UsageError(
                "中央渠道的报表不属于任何省份，--central 不能与 --province 或 --division 同时使用。",
                hint="中央和国家机关、中央企业、中央级档案馆直接向国家档案局报送。",
            )
        return central_scope(central)
    if not province_code:
        raise UsageError(
            "须指定报送范围：--province（可加 --division），或 --central。",
            hint="例如 --province 440000、--province 440000 --division 440100、--central enterprises。",
        )
    if division_code:
        return division_scope(province_code, division_code)
    return province_scope(province_code)


def parse_stored_scope(kind: str | None, code: str | None, province_code: str | None) -> Scope | None:
    """The scope recorded with a submission or in a template's `_meta`; a province's when only that is recorded
    (returns and templates made before scopes existed); None for national workbooks."""
    if kind and code:
        return Scope(ScopeKind(kind), code)
    if province_code:
        return Scope(ScopeKind.PROVINCE, province_code)
    return None


def describe_division(division_code: str) -> str:
    """A division's full name for messages (the code itself when it is unknown)."""
    try:
        division = load_divisions().get(division_code)
    except UnknownDivision:
        return division_code
    if division.level == PROVINCE:
        return division.name
    return Scope(ScopeKind.PREFECTURE if division.level == PREFECTURE else ScopeKind.COUNTY, division_code).name


def named_division(division_code: str) -> str:
    """A division a person asked for, as a message names it: 广东省深圳市（440300）; an unknown code quoted, cut to
    20 characters: 「44030x」."""
    name = describe_division(division_code)
    return f"「{division_code[:20]}」" if name == division_code else f"{name}（{division_code}）"


def format_day(moment: datetime | date) -> str:
    """A Chinese date: 2025年1月3日."""
    return f"{moment.year}年{moment.month}月{moment.day}日"


# What a message says instead of another province's (or a central channel's) return's file, uploader and number.
WITHHELD_NOTE = "该报表的文件、报送人和编号只有其报送方和国家档案局可见"


@dataclass(frozen=True)
class ScopeReturn:
    """A current accepted return (or register) of some scope: what a message names when it refers to it."""

    submission_id: str
    scope: Scope
    file_name: str
    submitted_by: str
    submitted_at: datetime
    # Seen from another province: only whose return it is (see `seen_from`).
    withheld: bool = False
    # Sent back by its reviewer: current, yet counted in no figure until its scope sends another.
    is_returned: bool = False
    # Taken back by its sender (stored as returned): said 已撤回, not 已退回.
    is_withdrawn: bool = False
    # Its review progress (review_label: 待省级审核, 已审核, …), where known: what replacing it voids.
    review: str | None = None
    # The person's name of the account that sent it, where the account has one.
    submitted_by_name: str | None = None
    # Whose account sent it (广东省, 国家档案局规划人员), where a message asks the uploader to check with them; None for
    # a name that is no account (the command line's), or where not looked up.
    sender_office: str | None = None

    @property
    def submitter(self) -> str:
        """Who sent it, as messages name them: 张三（guangzhou）, or the account alone."""
        return person_label(self.submitted_by, self.submitted_by_name)

    @property
    def returned_mark(self) -> str:
        """已退回，不计入统计； before what names a return sent back ("" for any other): it counts in no figure."""
        if not self.is_returned:
            return ""
        return f"{WITHDRAWN if self.is_withdrawn else RETURNED}，不计入统计；"

    def describe(self) -> str:
        """「广东省广州市（地级）」的现行报表（文件 x.xlsx，张三 2025年1月3日报送，编号 S…）, said to be returned when it
        is (a message calling it counted, or replaced as if it still counted, misled)."""
        returned = self.returned_mark
        # One sent back is the scope's current one, but not in force (现行有效 beside 已退回 read as a contradiction);
        # one its sender took back is not even that (现行报表 beside 已撤回 read as one).
        which = "报表" if self.is_withdrawn else "现行报表" if self.is_returned else "现行有效的报表"
        if self.withheld:
            # Only whose province it is: its prefecture's or county's as well as the province's own (a channel told
            # 广东省（省级） asked the provincial office about a return its prefecture had sent).
            whose = self.scope.label if self.scope.is_central else f"{self.scope.name}（省级或所辖地、县）"
            return f"{whose}的一份{which}（{returned}{WITHHELD_NOTE}）"
        return (
            f"{self.scope.label}{which}（{returned}文件「{self.file_name}」，{self.submitter} "
            f"{format_day(to_beijing(self.submitted_at))}报送，编号 {self.submission_id}）"
        )

    def seen_from(self, uploader: Scope) -> ScopeReturn:
        """This return as the uploader of a return of `uploader` may read of it: whole in their own province; of
        another province or a central channel only whose it is. A central channel's office is no province's: a
        province's return is named to it as to any other province (it was shown the file, sender and number)."""
        same_province = uploader.province_code is not None and self.scope.province_code == uploader.province_code
        if same_province or self.scope == uploader:
            return self
        province = self.scope.province_code
        owner = self.scope if province is None else Scope(ScopeKind.PROVINCE, province)
        return ScopeReturn(
            self.submission_id,
            owner,
            "",
            "",
            self.submitted_at,
            withheld=True,
            is_returned=self.is_returned,
            is_withdrawn=self.is_withdrawn,
        )

    def to_json(self) -> dict[str, object]:
        """The return as `ingest --json` names it (its file, uploader, date and number null when withheld), with
        `said`: the sentence every message names it by (`describe`), for pages that show what the command said."""
        return {
            "said": self.describe(),
            "submission_id": None if self.withheld else self.submission_id,
            "scope": self.scope.to_json(),
            "file_name": None if self.withheld else self.file_name,
            "submitted_by": None if self.withheld else self.submitted_by,
            "submitter": None if self.withheld else self.submitter,
            # Beijing time with its offset, as every time `--json` prints (the warehouse keeps naive UTC).
            "submitted_at": None if self.withheld else to_beijing(self.submitted_at).isoformat(),
            "is_returned": self.is_returned,
            "is_withdrawn": self.is_withdrawn,
            "review": None if self.withheld else self.review,
            "sender_office": None if self.withheld else self.sender_office,
        }


# Review progress as people read it: where a current return stands. Stored as `review_state` (待审核, 已审核,
# 已退回) with `review_stage` (province, national) saying whose turn a pending return is.
PENDING, APPROVED, RETURNED = "待审核", "已审核", "已退回"
AWAITING_PREFECTURE, AWAITING_PROVINCE, AWAITING_NATIONAL = "待地级审核", "待省级审核", "待国家局审核"
REVIEW_PROGRESS_STATES = (AWAITING_PREFECTURE, AWAITING_PROVINCE, AWAITING_NATIONAL, APPROVED, RETURNED)
AWAITING = {
    PREFECTURE_REVIEW: AWAITING_PREFECTURE,
    PROVINCE_REVIEW: AWAITING_PROVINCE,
    NATIONAL_REVIEW: AWAITING_NATIONAL,
}


def review_label(state: str | None, stage: str | None) -> str | None:
    """The progress label of a stored review state and stage (None for uploads that are not reviewed)."""
    if state == PENDING:
        return AWAITING.get(stage or NATIONAL_REVIEW, AWAITING_NATIONAL)
    return state


# How the reason of a return its sender took back begins (it is stored as a return's: it counts nowhere).
WITHDRAWN_PREFIX = "报送人撤回："


def return_verb(reason: str | None) -> str:
    """撤回 for a return its sender took back (its reason says so), else 退回."""
    return "撤回" if (reason or "").startswith(WITHDRAWN_PREFIX) else "退回"


# Which returns every census figure counts, as the pages and reports say it.
COUNTED_RETURNS = "已接收、未被替代、未被退回，含尚在审核中的"

# How a return its sender withdrew reads where its progress is shown (stored as 已退回: it counts nowhere).
WITHDRAWN = "已撤回"


def shown_progress(progress: str | None, reason: str | None) -> str | None:
    """A return's review progress as people read it: 已撤回 for one its sender took back, else as stored."""
    return WITHDRAWN if progress == RETURNED and return_verb(reason) == "撤回" else progress


def return_reason_clause(reason: str | None) -> str:
    """退回原因：… (撤回原因：… for a return its sender took back) as set inside a sentence (in brackets or before a
    full stop), the reason's own full stop dropped."""
    return f"{return_verb(reason)}原因：{(reason or '').removeprefix(WITHDRAWN_PREFIX).rstrip('。.')}"


def counted_state(state: str) -> str:
    """A review state as a count of returns names it: 已退回或撤回 for RETURNED (a return its sender withdrew is stored
    as one sent back, and a count of withdrawals read 已退回 1 份)."""
    return f"{RETURNED}或撤回" if state == RETURNED else state


def summarize_review(labels: Iterable[str]) -> dict[str, Any]:
    """Review progress of a set of current returns: how many, how many in each state, and the share 已审核."""
    counts = dict.fromkeys(REVIEW_PROGRESS_STATES, 0)
    for label in labels:
        counts[label] += 1
    total = sum(counts.values())
    reviewed = Decimal(counts[APPROVED] * 100) / Decimal(total) if total else Decimal(0)
    return {
        "returns": total,
        "by_state": counts,
        "reviewed_pct": float(reviewed.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
    }


# The pseudo-division codes by which pages and queries address the central channels beside the provinces:
# "central" for all three, "central:<channel>" for one.
CENTRAL_AREA = "central"


def central_area_code(channel: str | None = None) -> str:
    """The pseudo-division code of the central channels (all, or one)."""
    return CENTRAL_AREA if channel is None else f"{CENTRAL_AREA}:{channel}"


def parse_central_area(code: str | None) -> tuple[bool, str | None]:
    """(True, channel or None) for a central pseudo-division code (an unknown channel is not one), else (False, None)."""
    if code == CENTRAL_AREA:
        return True, None
    prefix = CENTRAL_AREA + ":"
    if code is not None and code.startswith(prefix) and code[len(prefix) :] in CENTRAL_CHANNELS:
        return True, code[len(prefix) :]
    return False, None
