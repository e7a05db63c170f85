"""What the audit log records: kinds of state change and their actions, declared once with their Chinese names."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class AuditKind(StrEnum):
    """The kinds of state change the audit log records."""

    SUBMISSION = "submission"
    REVIEW = "review"
    FINDING = "finding"
    EVALUATION_SCORE = "evaluation_score"
    EVALUATION_ROUND = "evaluation_round"
    ASSIGNMENT = "assignment"
    USER = "user"
    LOGIN = "login"
    WAREHOUSE = "warehouse"
    ACCESS = "access"

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return AUDIT_KIND_LABELS[self]


AUDIT_KIND_LABELS: dict[AuditKind, str] = {
    AuditKind.SUBMISSION: "报送",
    AuditKind.REVIEW: "报送审核",
    AuditKind.FINDING: "问题整改",
    AuditKind.EVALUATION_SCORE: "评价评分",
    AuditKind.EVALUATION_ROUND: "评价轮次",
    AuditKind.ASSIGNMENT: "评价专家分配",
    AuditKind.USER: "用户与角色",
    AuditKind.LOGIN: "登录",
    AuditKind.WAREHOUSE: "数据仓库维护",
    AuditKind.ACCESS: "拒绝的访问",
}

# The audit actions of a just-loaded return's review line, beside accept and return: it kept the review progress of
# the return it replaced (the same rows), or it is a returned return sent again unchanged.
KEPT, RESENT_UNCHANGED = "keep", "resend_unchanged"
# An uploaded file the platform could not take (not a workbook, a hostile one, another scope's): no submission, but
# the attempt is logged (an administrator could not see that an office tried and failed).
REFUSED = "refused"
# An uploaded file whose job the web server stopped before it ended (killed, or stopping with the file queued): found
# and logged when the server starts again.
INTERRUPTED = "interrupted"
# The actions that logged an uploaded file without changing any data.
NOT_PROCESSED = (REFUSED, INTERRUPTED)
# The logged actions that change no data shown: those, a return rejected by validation (nothing loaded), a backup,
# and an upgrade (its recounts are logged as their own events).
CHANGES_NO_DATA = (*NOT_PROCESSED, "rejected", "backup", "upgrade")

# Actions recorded under a code, by their Chinese names (finding transitions are recorded by the lifecycle's own
# Chinese action names, e.g. 开始整改, and shown as they are).
AUDIT_ACTION_LABELS: dict[str, str] = {
    "accepted": "接收",
    "rejected": "未通过校验",
    REFUSED: "文件被拒收（未处理）",
    INTERRUPTED: "上传中断（服务停止，文件未装载）",
    "accept": "审核通过",
    "return": "退回",
    KEPT: "沿用审核结论",
    RESENT_UNCHANGED: "退回后未作修改重新报送",
    "save_draft": "保存草稿",
    "submit": "提交评分",
    "reconcile": "录入合议分",
    "open": "开启",
    "close": "结束",
    "assign": "分配",
    "unassign": "撤销分配",
    "issue": "下发整改问题",
    "withdraw": "撤回整改问题",
    "correct": "更正问题内容",
    "recount_deadline": "按法定节假日重算整改期限",
    "create": "新建",
    "change": "修改",
    "reset_password": "重设密码",
    "rename": "修改姓名",
    "disable": "停用",
    "enable": "启用",
    "login_succeeded": "登录成功",
    "login_failed": "登录失败",
    "password_check_failed": "修改密码时原密码不正确",
    "change_password": "修改密码",
    "login_throttled": "登录受限（尝试过于频繁）",
    "logout": "退出登录",
    "access_refused": "无权访问被拒绝",
    "cross_origin_refused": "跨站修改请求被拒绝",
    "backup": "备份",
    "restore": "从备份恢复",
    "upgrade": "升级数据仓库",
}

# How a change reached the warehouse.
AUDIT_VIA_LABELS: dict[str, str] = {"web": "网页", "command": "命令行"}
# Who an event recorded without a person did it: the platform itself (a migration's recount, at an upgrade), or, for
# a refused request or sign-in, someone not signed in.
SYSTEM_ACTOR = "系统（升级数据仓库时自动执行）"
ANONYMOUS_ACTOR = "未登录的访问者"


def unnamed_actor(kind: AuditKind) -> str:
    """Who did an event recorded without an account: a visitor not signed in (a refusal), else the platform."""
    return ANONYMOUS_ACTOR if kind in (AuditKind.ACCESS, AuditKind.LOGIN) else SYSTEM_ACTOR


# An action code two kinds share, named by the kind that logged it: a sender's withdrawal of a return (a review
# event) was named 撤回整改问题, the bureau's withdrawal of issued findings.
KIND_ACTION_LABELS: dict[tuple[AuditKind, str], str] = {(AuditKind.REVIEW, "withdraw"): "报送单位撤回报表"}


def action_label(action: str, kind: str | None = None) -> str:
    """The Chinese name of an action logged under a kind (finding actions already are)."""
    if kind in AUDIT_KIND_LABELS and (named := KIND_ACTION_LABELS.get((AuditKind(kind), action))) is not None:
        return named
    return AUDIT_ACTION_LABELS.get(action, action)


# The fields of a recorded state (before, after), by their Chinese names.
AUDIT_STATE_LABELS: dict[str, str] = {
    "kind": "报表类别",
    "province_code": "省份",
    "scope_code": "报送范围（地级、县级区划或中央渠道）",
    "scope": "填报范围",
    "round_id": "轮次",
    "reconciled": "合议分",
    "file_name": "文件名",
    "file_sha256": "文件指纹",
    "request_id": "请求编号",
    "rows": "行数",
    "errors": "错误数",
    "warnings": "警告数",
    "current": "被替代的报送",
    "current_review": "被替代报送的审核进度",
    "shrink_confirmed": "报送人确认减少后装载",
    "holders_dropped": "减少的普查对象（个）",
    "dropped_holders": "减少的普查对象",
    "dropped_unlisted": "另有减少的普查对象（未逐一列出，个）",
    "review_state": "审核状态",
    "is_open": "开放",
    "archive_code": "档案馆",
    "evaluator": "评价专家",
    "scores": "得分",
    "veto_passed": "否决项通过",
    "is_submitted": "已提交",
    "status": "整改状态",
    "deadline": "整改期限",
    "original_deadline": "原定整改期限",
    "measures": "整改措施",
    "role": "角色",
    "full_name": "姓名",
    "evidence": "佐证材料",
    "is_active": "启用",
    "password_changed": "修改了密码",
    "must_change_password": "须本人登录后修改密码",
    "known_user": "用户名存在",
    "account_disabled": "账号已停用",
    "trusted_device": "受信任的设备",
    "counters": "开始限制的计数",
    "backup_taken_at": "备份时间",
    "events_removed": "删除的备份后审计事件",
    "returns_removed": "删除的备份后报送",
    "accounts_changed": "随恢复改变的平台账号",
    "other_warehouse_replaced": "以另一数据仓库的备份替换的内容",
    "kept": "恢复前的数据仓库另存于",
    "migration": "迁移版本",
    "figures_compared": "比较了升级前后的汇总数字",
    "changed_figures": "升级后变化的汇总数字（个）",
    "summary_changes": "变化的汇总数字（升级前 → 升级后）",
    "request": "请求",
    "page": "发出请求的页面",
    "callback": "请求的操作",
    "refusal": "拒绝理由",
    "origin": "发出请求的网页来源",
    "repeats_within": "同一请求此后不再重复记录的时长",
    "suppressed": "此后不再逐条记录",
    # A finding's corrected fields (finding correct), as its 发现问题 sheet names them.
    "description": "问题描述",
    "requirement": "整改要求",
    "responsible_unit": "整改责任单位",
    "responsible_person": "整改责任人",
    "remarks": "备注",
}
# The fields a state shows first, in this order (a state's others follow as stored, by name): what a confirmed
# shrink dropped, ahead of the file's name and fingerprint (a clipped line of `archive-census audit` showed only those).
AUDIT_LEADING_FIELDS = ("current_review", "current", "shrink_confirmed", "holders_dropped", "dropped_holders",
                        "dropped_unlisted")  # fmt: skip
# The sign-in counters a throttled attempt names (dash_app.throttle's keys).
AUDIT_COUNTER_LABELS: dict[str, str] = {"address": "来源地址", "account": "账号", "device": "受信任的设备"}
# Fields whose values are what people typed (user and file names): shown quoted, as in messages.
AUDIT_TYPED_FIELDS = frozenset(
    {"file_name", "evaluator", "evidence", "description", "requirement", "responsible_unit", "responsible_person",
     "remarks"}
)  # fmt: skip


def describe_removed_return(removed: Mapping[str, Any]) -> str:
    """A return a restore removed, as its record keeps it: S…（广东省，「c2.xlsx」，李华（guangdong） 报送）."""
    return f"{removed['submission_id']}（{removed['scope_name']}，「{removed['file_name']}」，{removed['submitter']} 报送）"
