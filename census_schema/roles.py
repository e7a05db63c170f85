"""The roles of the web app's users, declared once with their Chinese names."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a signed-in user may see and do."""

    PLANNER = "planner"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    CENTRAL = "central"
    EVALUATOR = "evaluator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return ROLE_LABELS[self]

    @property
    def is_national(self) -> bool:
        """True for the roles that see the whole country."""
        return self in NATIONAL_ROLES


ROLE_LABELS: dict[Role, str] = {
    Role.PLANNER: "国家档案局规划人员",
    Role.PROVINCE: "省级档案部门",
    Role.PREFECTURE: "地级档案部门",
    Role.COUNTY: "县级档案部门",
    Role.CENTRAL: "中央单位报送渠道",
    Role.EVALUATOR: "评价专家",
    Role.ADMIN: "系统管理员",
}
NATIONAL_ROLES = frozenset({Role.PLANNER, Role.ADMIN})
# The roles that report for one scope of their own (census_schema.scopes.account_scope): a province, a prefecture
# or county inside one (its `province_code` is that province), or a central channel (no province).
REPORTING_ROLES = frozenset({Role.PROVINCE, Role.PREFECTURE, Role.COUNTY, Role.CENTRAL})
# The reporting roles below a province: held to their own division and the divisions inside it.
LOCAL_ROLES = frozenset({Role.PREFECTURE, Role.COUNTY})


def person_label(user_name: str, full_name: str | None) -> str:
    """Who did something, as a person reads it: the account's owner with the account (张三（guangdong）), or the
    account alone when it has no person's name."""
    return f"{full_name}（{user_name}）" if full_name else user_name
