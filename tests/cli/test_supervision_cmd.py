"""The supervision commands end to end: a finding's change from the command line (evidence kept, illegal ones
refused with exit 2 and nothing changed) and `supervision summary --json` as documented."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal as D

import openpyxl
import pytest

from census_schema.clock import beijing_today
from census_schema.scopes import format_day
from census_schema.supervision.evaluation import STANDARD_PROVISIONAL
from cli.main import main
from dash_app.formatting import format_datetime
from tests.conftest import copy_warehouse
from tests.flows.supervision_workbooks import CLOSE_WALK, RECT, REV, finding, inspection, inspections_workbook, update
from tests.warehouse.test_evaluation_findings import score_guangdong
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import assign_evaluator, save_evaluator_scores
from warehouse.users import add_user


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A warehouse holding two inspections and three findings, loaded once for the module."""
    folder = tmp_path_factory.mktemp("supervision-cmd")
    db = folder / "var" / "w.duckdb"
    path = inspections_workbook(
        folder / "i.xlsx",
        [inspection(1), inspection(2, unit_class="市县", division_code="440106", unit_name="天河区档案馆")],
        [finding(1), finding(2), finding(1, 2)],
        CLOSE_WALK,
    )
    assert main(["ingest", "inspections", str(path), "--db", str(db), "--orchestrator", "direct", "--json"]) == 0
    return db


@pytest.fixture
def db(ingested, tmp_path):
    """A private copy of that warehouse for one test."""
    return copy_warehouse(ingested, tmp_path / "var" / "w.duckdb")


def run(capsys, *argv):
    code = main([*argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_re_sent_inspections_workbook_is_told_once_per_problem_with_its_rows(db, tmp_path, capsys):
    # A probe's re-sent workbook listed 480 lines, 316 of one message, before anything else. (Loaded findings sent
    # again unchanged are recognised, not refused: these are sent with another description.)
    changed = {"description": "库房温湿度记录不全"}
    findings = [finding(1, **changed), finding(2, **changed), finding(1, 2, **changed), finding(3), finding(4)]
    path = inspections_workbook(tmp_path / "again.xlsx", [inspection(1), inspection(2)], findings)
    code, out, _ = run(capsys, "ingest", "inspections", str(path), "--dry-run", "--db", str(db))
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("  [错误]")]
    known = [line for line in lines if "该问题编号已装载" in line]
    # The three loaded findings (rows 3, 4, 5 of 发现问题) in one line.
    assert len(known) == 1 and "「发现问题」第 3–5 行「问题编号」：" in known[0], lines


def test_a_loaded_findings_words_are_corrected_by_the_national_bureau_said_first_and_audited(db, tmp_path, capsys):
    """A loaded finding is never changed by sending its workbook again: a probe's typo had no way out. The national
    bureau corrects it (said first, done once confirmed, audited); the workbook sent again as corrected repeats it."""
    base = ["--db", str(db)]
    correct = ["finding", "correct", "JC2023-001-02", "--field", "问题描述", "--value", "库房温湿度记录不全", *base]
    code, _, err = run(capsys, *correct, "--reason", "录入错误", "--by", "张处长")
    assert (
        code == 2
        and "将把问题 JC2023-001-02 的「问题描述」由「库房温湿度未按要求调控和记录」改为「库房温湿度记录不全」" in err
    )
    assert (
        run(capsys, "finding", "show", "JC2023-001-02", "--json", *base)[1].count("库房温湿度未按要求调控和记录") == 1
    )
    code, out, _ = run(capsys, *correct, "--reason", "录入错误", "--by", "张处长", "--confirm", "--json")
    assert (code, json.loads(out)["after"]) == (0, "库房温湿度记录不全")
    with EmbeddedWarehouse(db).reader() as con:
        assert con.execute("SELECT description FROM findings WHERE finding_id = 'JC2023-001-02'").fetchone() == (
            "库房温湿度记录不全",
        )
        event = con.execute("SELECT actor, action, target, reason FROM audit_log WHERE action = 'correct'").fetchall()
    assert event == [("张处长", "correct", "JC2023-001-02", "录入错误")]
    # Shown with the finding, by whom and why, as on the web.
    shown = run(capsys, "finding", "show", "JC2023-001-02", *base)[1]
    assert (
        "张处长将「问题描述」由「库房温湿度未按要求调控和记录」改为「库房温湿度记录不全」（原因：录入错误）" in shown
    ), shown
    # What a deadline or state follows from is not corrected so; nor by a province's account.
    code, _, err = run(capsys, "finding", "correct", "JC2023-001-02", "--field", "整改期限", "--value", "2023-09-30",
                       "--reason", "x", "--confirm", *base)  # fmt: skip
    assert code == 2 and "可更正：问题描述、整改要求、整改责任单位、整改责任人、备注" in err and "延期" in err
    with EmbeddedWarehouse(db).writer() as con:
        add_user(con, "guangdong", "x", "province", "440000", by="admin")
    code, _, err = run(capsys, *correct, "--reason", "x", "--by", "guangdong", "--confirm")
    assert code != 0 and "不能更正已装载的问题" in err
    # The workbook sent again as corrected: its rows repeat what is loaded.
    again = inspections_workbook(
        tmp_path / "again.xlsx",
        [inspection(1), inspection(2, unit_class="市县", division_code="440106", unit_name="天河区档案馆")],
        [finding(1), finding(2, description="库房温湿度记录不全"), finding(1, 2)],
    )
    code, out, _ = run(capsys, "ingest", "inspections", str(again), "--dry-run", "--json", *base)
    assert (code, json.loads(out)["errors"], json.loads(out)["repeated_rows"]) == (0, 0, 5)
    # The office's workbook still reading as before the correction is told who corrected it, and to follow it.
    old = inspections_workbook(tmp_path / "old.xlsx", [], [finding(2)])
    code, out, _ = run(capsys, "ingest", "inspections", str(old), "--dry-run", "--json", *base)
    (refused,) = [f["message"] for f in json.loads(out)["failures"] if f["rule"] == "finding_id_new"]
    assert "问题描述（已装载「库房温湿度记录不全」，本行「库房温湿度未按要求调控和记录」；张处长 于 " in refused
    assert refused.endswith("（北京时间）更正，请照此改正本行）。")


def test_a_finding_moves_with_its_evidence_kept_beside_the_warehouse(db, tmp_path, capsys):
    base = ["--db", str(db)]
    assert run(capsys, "finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", *base)[0] == 0
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(b"%PDF-1.4 evidence")
    argv = ["finding", "transition", "JC2023-001-02", "--to", "已提交整改报告", "--by", "王五", "--json"]
    code, out, _ = run(capsys, *argv, "--evidence", str(report), *base)
    result = json.loads(out)
    assert (code, result["to_status"]) == (0, "已提交整改报告")
    kept = db.parent / result["evidence"]
    assert kept.read_bytes() == b"%PDF-1.4 evidence" and "JC2023-001-02" in result["evidence"]
    code, out, _ = run(capsys, "finding", "show", "JC2023-001-02", "--json", *base)
    assert [t["to_status"] for t in json.loads(out)["transitions"]] == ["整改中", "已提交整改报告"]


def test_the_rectifiers_measures_are_logged_and_shown(db, tmp_path, capsys):
    base = ["--db", str(db)]
    argv = ["finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", "--measures", "制定整改方案"]
    code, out, _ = run(capsys, *argv, "--json", *base)
    assert (code, json.loads(out)["measures"]) == (0, "制定整改方案")
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(b"%PDF-1.4 evidence")
    argv = [
        "finding",
        "transition",
        "JC2023-001-02",
        "--to",
        "已提交整改报告",
        "--by",
        "王五",
        "--evidence",
        str(report),
    ]
    assert run(capsys, *argv, "--measures", "已修订归档制度并培训", *base)[0] == 0
    code, out, _ = run(capsys, "finding", "show", "JC2023-001-02", "--json", *base)
    shown = json.loads(out)
    assert shown["measures"] == "已修订归档制度并培训"
    assert [t["measures"] for t in shown["transitions"]] == ["制定整改方案", "已修订归档制度并培训"]
    code, out, _ = run(capsys, "finding", "show", "JC2023-001-02", *base)
    assert "  整改措施：已修订归档制度并培训\n" in out and "（整改措施：制定整改方案）" in out
    # What is asked and of whom, as --json and /inspections give them (the text left them out).
    answerable = [
        f"{label} {shown[key]}"
        for key, label in (("responsible_unit", "整改责任单位"), ("responsible_person", "整改责任人"))
        if shown[key]
    ]
    assert answerable and f"  {'；'.join(answerable)}\n" in out, out
    assert not shown["requirement"] or f"  整改要求：{shown['requirement']}\n" in out
    # Each change's time in Beijing time, as the page's history shows it (it was UTC).
    changed = datetime.fromisoformat(shown["transitions"][-1]["changed_at"])
    assert f"  2. {format_datetime(changed)} 王五 " in out  # a Chinese date, as everywhere


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["JC2023-001-01", "--to", "已销号", "--by", "赵六"], "不能变为「已销号」"),
        (["JC2023-001-02", "--to", "已销号", "--by", "赵六"], "不能变为「已销号」"),
        (["JC2023-001-02", "--to", "待整改", "--by", "赵六", "--note", "等待立项"], "须给出新的整改期限"),
        (["JC2023-001-02", "--to", "整改中", "--by", "赵六", "--role", "reviewer"], "只能由整改责任人"),
        (["JC2023-001-02", "--to", "整改中", "--by", "王五", "--deadline", "2023-13-01"], "不是日期"),
        (
            ["JC2023-001-02", "--action", "延期", "--by", "赵六", "--note", "需采购", "--deadline", "9999-12-31"],
            "新的整改期限 9999年12月31日 超过操作之日起 5 年",
        ),
        (["JC2023-001-02", "--to", "整改中", "--by", "王五", "--evidence", "/nonexistent.pdf"], "不存在"),
        (["JC2023-009-09", "--to", "整改中", "--by", "王五"], "找不到问题"),
        (
            ["JC2023-001-02", "--to", "整改中", "--by", "王五", "--measures", "措" * 501],
            "「整改措施」不超过 500 字，现为 501 字",
        ),
        (
            ["JC2023-001-02", "--to", "整改中", "--by", "王五", "--note", "说" * 600],
            "「说明」不超过 500 字，现为 600 字",
        ),
        (
            [
                "JC2023-001-02",
                "--action",
                "延期",
                "--by",
                "赵六",
                "--note",
                "需采购",
                "--deadline",
                "2024-12-31",
                "--measures",
                "督促整改",
            ],
            "此操作不填写整改措施",
        ),
    ],
)
def test_illegal_changes_exit_2_with_a_chinese_message_and_change_nothing(db, capsys, argv, message):
    before = run(capsys, "finding", "list", "--db", str(db), "--json", "--as-of", "2023-06-01")[1]
    code, out, err = run(capsys, "finding", "transition", *argv, "--db", str(db))
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
    assert run(capsys, "finding", "list", "--db", str(db), "--json", "--as-of", "2023-06-01")[1] == before


def test_supervision_summary_json_counts_findings_and_overdue_for_the_day_asked(db, capsys):
    code, out, _ = run(capsys, "supervision", "summary", "--db", str(db), "--json", "--as-of", "2023-05-05")
    summary = json.loads(out)
    assert code == 0 and summary["as_of"] == "2023-05-05"
    assert summary["findings"]["by_state"] == {
        "待整改": 2,
        "整改中": 0,
        "阶段性整改": 0,
        "已提交整改报告": 0,
        "已销号": 1,
    }
    assert summary["findings"]["overdue"] == 2
    guangdong = next(p for p in summary["findings"]["provinces"] if p["province_code"] == "440000")
    assert (guangdong["findings"], guangdong["overdue"]) == (1, 1)
    assert (summary["inspections"]["by_grade"], summary["inspections"]["special_results"]) == (
        {"优秀": 2, "良好": 0, "合格": 0, "不合格": 0},
        {"合格": 0, "不合格": 0},
    )
    assert summary["evaluation"]["by_status"]["未完成"] == 0 and summary["indicators"]["by_year"] == {}
    earlier = json.loads(run(capsys, "supervision", "summary", "--db", str(db), "--json", "--as-of", "2023-05-04")[1])
    assert earlier["findings"]["overdue"] == 0
    assert date.fromisoformat(json.loads(run(capsys, "supervision", "summary", "--db", str(db), "--json")[1])["as_of"])


def test_listings_print_tables_or_json(db, capsys):
    code, out, _ = run(capsys, "finding", "list", "--overdue", "--as-of", "2023-05-05", "--db", str(db))
    assert code == 0 and "JC2023-001-02" in out and "JC2023-001-01" not in out
    # How many, under the table; an empty list says so (it printed its header alone).
    listed = [line for line in out.splitlines() if line.startswith("JC")]
    assert out.rstrip().endswith(f"共 {len(listed)} 个问题，其中逾期 {len(listed)} 个。"), out
    code, out, _ = run(capsys, "finding", "list", "--overdue", "--as-of", "2023-01-01", "--db", str(db))
    assert code == 0 and out.rstrip().endswith("没有符合条件的问题。"), out
    code, out, _ = run(capsys, "finding", "show", "JC2023-001-01", "--db", str(db), "--as-of", "2023-05-05")
    assert code == 0 and "赵六 销号" in out
    # The workbook's rows are dated by their day only: each read 08:00, a time nobody gave.
    assert "  3. 2023年4月10日 赵六 销号：" in out and "08:00" not in out
    # How long overdue, as the list and the web say it (it said 已逾期 alone).
    code, out, _ = run(capsys, "finding", "show", "JC2023-001-02", "--db", str(db), "--as-of", "2023-05-05")
    listed = run(capsys, "finding", "list", "--overdue", "--as-of", "2023-05-05", "--db", str(db), "--json")[1]
    days = next(f["overdue_days"] for f in json.loads(listed)["findings"] if f["finding_id"] == "JC2023-001-02")
    assert f"（已逾期 {days} 天）；逾期判断日 2023年5月5日" in out, out
    code, out, _ = run(capsys, "evaluation", "assign", "440000", "--evaluator", "专家甲", "--db", str(db), "--json")
    assert (code, json.loads(out)["already"]) == (0, False)
    assert json.loads(
        run(capsys, "evaluation", "assign", "440000", "--evaluator", "专家甲", "--db", str(db), "--json")[1]
    )["already"]
    code, out, _ = run(capsys, "evaluation", "assignments", "--db", str(db))
    assert code == 0 and "广东省档案馆" in out and "专家甲" in out
    # Whether the archive has sent its self-evaluation, beside its name.
    listed = json.loads(run(capsys, "evaluation", "assignments", "--json", "--db", str(db))[1])["assignments"]
    state = next(a["self_state"] for a in listed if a["evaluator"] == "专家甲")
    assert out.splitlines()[0].split()[:3] == ["档案馆代码", "档案馆", "该馆自评"]
    shown = next(line for line in out.splitlines() if "专家甲" in line)
    assert (
        shown.split()[:2] == ["440000", "广东省档案馆"] and state in shown.split("广东省档案馆")[1].split("专家甲")[0]
    )
    code, out, _ = run(capsys, "evaluation", "results", "--db", str(db), "--json")
    assert code == 0 and len(json.loads(out)["results"]) == 47
    guangdong = next(r for r in json.loads(out)["results"] if r["archive_code"] == "440000")
    code, out, _ = run(capsys, "evaluation", "results", "--db", str(db))
    # 专家: how many of those assigned have submitted.
    shown = next(line for line in out.splitlines() if "广东省档案馆" in line)
    assert code == 0 and f" {guangdong['experts']}/{guangdong['assigned']}" in shown and guangdong["assigned"] >= 1
    assert out.rstrip().endswith(STANDARD_PROVISIONAL)  # grades of a standard that is still a proposal say so
    assert out.splitlines()[0].rstrip().endswith("等次  未通过的否决项")  # why a 不合格 whatever its score
    code, out, _ = run(capsys, "supervision", "summary", "--db", str(db), "--as-of", "2023-05-05")
    assert code == 0 and "逾期 2 个" in out and "中央和国家机关" in out and STANDARD_PROVISIONAL in out
    # A past judging day is no snapshot of then (it read 截至 2023年5月5日 over today's counts); the indicators the
    # help promises are there.
    first = out.splitlines()[0]
    assert first.startswith("检查 ") and "逾期判断日 2023年5月5日" in first and "截至" not in out
    assert "不是该日的历史状态" in first
    assert "规划指标（有目标的指标，最近一个已结束年度的全国进展）：尚无数值" in out
    today = run(capsys, "supervision", "summary", "--db", str(db), "--as-of", beijing_today().isoformat())[1]
    assert "历史状态" not in today


def test_a_listing_filter_that_matches_nothing_by_mistake_is_refused(db, capsys):
    # An empty list would read as "no such findings"; a mistyped filter says what it expects instead.
    code, _, err = run(capsys, "finding", "list", "--province", "abc", "--db", str(db))
    assert code == 2 and "abc" in err
    code, _, err = run(capsys, "finding", "list", "--status", "乱写", "--db", str(db))
    assert code == 2 and "「乱写」不是整改状态" in err and "整改中" in err
    code, out, _ = run(capsys, "finding", "list", "--status", "整改中", "--province", " 440000", "--db", str(db))
    assert code == 0
    code, _, err = run(capsys, "evaluation", "assignments", "--evaluator", "nosuch", "--db", str(db))
    assert code == 2 and "没有名为「nosuch」的平台用户" in err  # it listed nothing, exit 0
    # An expert scoring offline has no account, and is listed by name like any (it was refused as no user).
    assert run(capsys, "evaluation", "assign", "440100", "--evaluator", "线下专家甲", "--db", str(db))[0] == 0
    code, out, _ = run(capsys, "evaluation", "assignments", "--evaluator", "线下专家甲", "--json", "--db", str(db))
    assert code == 0 and [a["evaluator"] for a in json.loads(out)["assignments"]] == ["线下专家甲"]
    for argv in (["evaluation", "results"], ["evaluation", "assignments"], ["supervision", "summary"]):
        code, _, err = run(capsys, *argv, "--round", "2052", "--db", str(db))
        assert code == 2 and "评价轮次「2052」不存在" in err


def test_a_refused_change_keeps_no_evidence(db, tmp_path, capsys):
    report = tmp_path / "报告.pdf"
    report.write_bytes(b"%PDF-1.4")
    argv = ["finding", "transition", "JC2023-001-02", "--to", "已提交整改报告", "--by", "王五", "--db", str(db)]
    assert run(capsys, *argv, "--evidence", str(report))[0] == 2
    assert list((db.parent / "evidence").rglob("*.pdf")) == []


@pytest.mark.parametrize(
    ("option", "typed", "said"),
    [
        ("--note", "已整改\u202e完毕", "「说明」含有看不见的字符：已整改[U+202E]完毕"),
        ("--measures", "建立\u200b制度", "「整改措施」含有看不见的字符：建立[U+200B]制度"),
        ("--by", "王\t五", "「操作人」含有看不见的字符：王[U+0009]五"),
    ],
)
def test_typed_text_holding_characters_nobody_sees_is_refused_and_nothing_changes(db, capsys, option, typed, said):
    base = ["finding", "transition", "JC2023-001-02", "--to", "整改中", "--db", str(db)]
    by = [] if option == "--by" else ["--by", "王五"]
    code, _, err = run(capsys, *base, *by, option, typed)
    assert code == 2 and said in err
    code, out, _ = run(capsys, "finding", "show", "JC2023-001-02", "--json", "--db", str(db))
    assert json.loads(out)["transitions"] == []
    # A line break inside a paragraph is text (as in the sheet's 说明 column); at either end it is trimmed.
    assert run(capsys, *base, "--by", "王五", "--note", "第一条。\n第二条。\n")[0] == 0


@pytest.mark.parametrize(
    ("evidence", "said"),
    [("{tmp}", "是一个文件夹，不是文件"), ("/dev/null", "不是普通文件"), ("{tmp}/无此文件.pdf", "不存在")],
)
def test_evidence_that_is_not_a_file_is_refused_saying_what_it_is(db, tmp_path, capsys, evidence, said):
    argv = ["finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", "--db", str(db)]
    code, _, err = run(capsys, *argv, "--evidence", evidence.format(tmp=tmp_path))
    assert code == 2 and f"」{said}。" in err


@pytest.mark.parametrize(("size", "message"), [(0, "0 字节"), (2 * 1024 * 1024 + 1, "超过上限 2 MB")])
def test_empty_and_oversized_evidence_is_refused(db, tmp_path, capsys, monkeypatch, size, message):
    monkeypatch.setenv("ARCHIVE_CENSUS_MAX_EVIDENCE_MB", "2")
    base = ["--db", str(db)]
    assert run(capsys, "finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", *base)[0] == 0
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(b"x" * size)
    argv = ["finding", "transition", "JC2023-001-02", "--to", "已提交整改报告", "--by", "王五", *base]
    code, _, err = run(capsys, *argv, "--evidence", str(report))
    assert code == 2 and message in err
    assert not (db.parent / "evidence").exists() or list((db.parent / "evidence").rglob("*")) == []


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("整改报告.pdf", "整改报告正文".encode(), "内容是文本，与扩展名 .pdf 不符"),
        ("现场照片.jpg", b"%PDF-1.7 scanned", "内容是PDF 文件，与扩展名 .jpg 不符"),
        ("整改报告.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "内容是旧版 Office 或 WPS 文档，与扩展名 .docx 不符"),
    ],
)
def test_evidence_whose_content_is_not_what_its_name_says_is_refused(db, tmp_path, capsys, name, content, said):
    base = ["--db", str(db)]
    assert run(capsys, "finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", *base)[0] == 0
    report = tmp_path / name
    report.write_bytes(content)
    argv = ["finding", "transition", "JC2023-001-02", "--to", "已提交整改报告", "--by", "王五", *base]
    code, out, err = run(capsys, *argv, "--evidence", str(report))
    assert (code, out) == (2, "") and f"佐证材料「{name}」的{said}" in err and "不要只改文件的扩展名" in err
    assert not (db.parent / "evidence").exists() or list((db.parent / "evidence").rglob("*.*")) == []


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("tool.exe", "是 .exe 文件"),
        ("整改.bat", "是 .bat 文件"),
        ("整改报告", "是没有扩展名的文件"),
        ("页面.html", "是 .html 文件"),
    ],
)
def test_evidence_of_a_kind_not_taken_is_refused_naming_what_is(db, tmp_path, capsys, name, said):
    # A probe closed a finding with tool.exe as its evidence, which reviewers would then download and open.
    base = ["--db", str(db)]
    assert run(capsys, "finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", *base)[0] == 0
    report = tmp_path / name
    report.write_bytes(b"MZ\x90\x00 an executable")
    argv = ["finding", "transition", "JC2023-001-02", "--to", "已提交整改报告", "--by", "王五", *base]
    code, out, err = run(capsys, *argv, "--evidence", str(report))
    assert (code, out) == (2, "") and f"佐证材料「{name}」{said}，不能作为佐证材料" in err, err
    assert "佐证材料只接收PDF、图片" in err
    assert not (db.parent / "evidence").exists() or list((db.parent / "evidence").rglob("*.*")) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("整改报告.pdf", b"\n\n%PDF-1.4 after a blank line"),
        ("照片.JPEG", b"\xff\xd8\xff\xe0 jfif"),
        ("说明.txt", "整改说明".encode("gb18030")),
        ("整改报告.ofd", b"PK\x03\x04ofd"),
        ("录音.mp3", b"ID3 anything"),  # a recording: kept unchecked, served as a download
    ],
)
def test_evidence_that_is_what_its_name_says_is_kept(db, tmp_path, capsys, name, content):
    base = ["--db", str(db)]
    assert run(capsys, "finding", "transition", "JC2023-001-02", "--to", "整改中", "--by", "王五", *base)[0] == 0
    report = tmp_path / name
    report.write_bytes(content)
    argv = ["finding", "transition", "JC2023-001-02", "--to", "已提交整改报告", "--by", "王五", "--json", *base]
    code, out, err = run(capsys, *argv, "--evidence", str(report))
    assert code == 0, err
    assert (db.parent / json.loads(out)["evidence"]).read_bytes() == content


def test_an_archives_evaluation_problems_are_issued_once_the_round_is_closed(tmp_path, capsys):
    db = tmp_path / "var" / "w.duckdb"
    with EmbeddedWarehouse(db).writer() as con:
        score_guangdong(con)
    base = ["--db", str(db)]
    # Its deadlines long past (2025): issued only with --confirm-overdue (see the next test).
    issue = ["evaluation", "issue-findings", "440000", "--feedback-date", "2025-07-01", "--doc-no", "档评反〔2025〕3号",
             "--confirm-overdue"]  # fmt: skip
    code, _, err = run(capsys, *issue, "--person", "李馆长", "--by", "规划处", *base)
    assert code == 2 and "评价轮次 2025 仍在进行" in err
    assert run(capsys, "evaluation", "close", "--by", "规划处", *base)[0] == 0
    code, out, _ = run(capsys, *issue, "--person", "李馆长", "--by", "规划处", *base)
    assert (
        code == 0
        and "已向广东省档案馆下发 3 个整改问题（评价轮次 2025，档评反〔2025〕3号，反馈日期 2025年7月1日）" in out
    )
    assert "PJ2025-440000-A2-4-2  严重" in out
    code, out, _ = run(capsys, "finding", "show", "PJ2025-440000-A1-1-1", *base)
    assert code == 0 and "广东省档案馆，业务建设评价 2025 轮，档评反〔2025〕3号" in out
    assert "依据评分：自评 10.0 分（评分表第 3 行）；evaluator 0.0 分（网页录入）" in out
    code, out, _ = run(capsys, "finding", "list", "--province", "440000", "--json", *base)
    assert sorted(f["finding_id"] for f in json.loads(out)["findings"]) == [
        "PJ2025-440000-A1-1-1",
        "PJ2025-440000-A1-2-1",
        "PJ2025-440000-A2-4-2",
    ]
    code, _, err = run(capsys, *issue, "--person", "李馆长", *base)
    assert code == 2 and "已于 2025年7月1日 下发" in err
    # Withdrawn (said first, done once confirmed) and issued again, before any has moved.
    withdraw = ["evaluation", "withdraw-findings", "440000", "--reason", "反馈日期填错", *base]
    code, _, err = run(capsys, *withdraw)
    assert code == 2 and "将撤回广东省档案馆（440000） 2025年7月1日 下发的 3 个整改问题" in err and "--confirm" in err
    assert run(capsys, *withdraw, "--confirm")[0] == 0
    assert run(capsys, *issue, "--person", "李馆长", *base)[0] == 0
    # Its progress may be uploaded in a 整改进展 sheet like any finding's.
    progress = update("开始整改", "李馆长", RECT, date(2025, 7, 3), finding_id="PJ2025-440000-A1-1-1")
    path = inspections_workbook(tmp_path / "progress.xlsx", updates=[progress])
    code, out, _ = run(capsys, "ingest", "inspections", str(path), "--orchestrator", "direct", "--json", *base)
    assert (code, json.loads(out)["status"]) == (0, "accepted")
    code, out, _ = run(capsys, "finding", "show", "PJ2025-440000-A1-1-1", "--json", *base)
    assert json.loads(out)["status"] == "整改中"


def test_results_say_whether_they_are_final_and_closing_names_the_sheets_it_leaves_out(tmp_path, capsys):
    db = tmp_path / "var" / "w.duckdb"
    with EmbeddedWarehouse(db).writer() as con:
        score_guangdong(con)  # three experts submitted
        assign_evaluator(con, "440000", "专家丁", "规划处")
        save_evaluator_scores(con, "专家丁", "440000", {"A1.1.1": D(5)}, submit=False)  # a draft of one item
    base = ["--db", str(db)]
    code, out, _ = run(capsys, "evaluation", "results", *base)
    # Its three figures named as /evaluation and the feedback report name them (it said 得分 / 加分 / 最终得分).
    assert out.split()[:9] == ["排名", "档案馆", "状态", "专家", "基本分", "加分", "总分", "等次", "未通过的否决项"]
    assert (
        code == 0
        and (
            "评价轮次 2025 正在进行，得分、等次和排名均为暂定：专家仍可提交、撤回或修改评分"
            "（1 家档案馆尚有共 1 位分派的专家未提交评分）；本轮评价结束后才是最终结果。"
        )
        in out
    )
    code, out, _ = run(capsys, "supervision", "summary", *base)
    assert code == 0 and "评价轮次 2025（开放中）：已完成 1，待合议 0，未完成 46；等次（暂定） 优秀 0" in out
    report = tmp_path / "report.xlsx"
    assert run(capsys, "evaluation", "report", "440000", "--out", str(report), *base)[0] == 0
    sheet = openpyxl.load_workbook(report).active
    assert sheet["A1"].value == "广东省档案馆业务建设评价反馈报告（暂定）"
    assert sheet["B5"].value.endswith("（本馆尚有 1 位分派的专家未提交评分）；本轮评价结束后才是最终结果。")
    # Said before it is done: closing leaves the unsubmitted sheet out of the results, so it asks for --confirm.
    code, _, err = run(capsys, "evaluation", "close", "--by", "规划处", *base)
    assert code == 2 and "以下 1 份分派的评分表未提交，结束后不计入结果" in err and "广东省档案馆 专家丁（草稿）" in err
    assert "确认就此结束请加 --confirm" in err and "开放中" in run(capsys, "supervision", "summary", *base)[1]
    code, out, _ = run(capsys, "evaluation", "close", "--by", "规划处", "--confirm", *base)
    assert code == 0 and "以下 1 份分派的评分表未提交，不计入结果（已存的草稿保留，不能再提交）：" in out
    assert "\n440000      广东省档案馆  专家丁    草稿\n" in out  # the archive's code read from the left, as a code
    code, out, _ = run(capsys, "evaluation", "close", "--by", "规划处", "--json", *base)
    assert code == 2  # closed already
    code, out, _ = run(capsys, "evaluation", "results", "--json", *base)
    closed_on = format_day(beijing_today())
    assert (
        f"评价轮次 2025（已于 {closed_on} 结束）：已完成 1，待合议 0，未完成 46；等次 优秀 0"
        in run(capsys, "supervision", "summary", *base)[1]
    )
    assert json.loads(out)["result_state"] == f"评价轮次 2025 已于 {closed_on} 结束，得分、等次和排名为最终结果。"
    report.unlink()
    assert run(capsys, "evaluation", "report", "440000", "--out", str(report), *base)[0] == 0
    assert openpyxl.load_workbook(report).active["A1"].value == "广东省档案馆业务建设评价反馈报告"
    # A feedback day long past: the findings are issued, and the command says they are overdue at once.
    issue = ["evaluation", "issue-findings", "440000", "--feedback-date", "2025-07-01", "--doc-no", "档评反〔2025〕3号"]
    code, _, err = run(capsys, *issue, "--person", "李馆长", "--by", "规划处", *base)
    assert code == 2 and "其中 3 个问题的期限已过，下发后即为逾期，请核对反馈日期；没有下发。" in err
    assert "--confirm-overdue" in err and "已向" not in err
    code, out, _ = run(capsys, *issue, "--confirm-overdue", "--person", "李馆长", "--by", "规划处", *base)
    assert code == 0 and out.endswith(
        "整改期限为 2025年8月12日（反馈日期后 30 个工作日），其中 3 个问题的期限已过，下发后即为逾期，请核对反馈日期。\n"
    )


def test_overdue_is_judged_on_the_settings_day_unless_as_of_is_given(db, capsys, monkeypatch):
    # The web app judges on ARCHIVE_CENSUS_AS_OF (the demo's day): the command line does the same by default.
    monkeypatch.setenv("ARCHIVE_CENSUS_AS_OF", "2023-06-01")
    code, out, _ = run(capsys, "finding", "list", "--json", "--db", str(db))
    assert code == 0 and json.loads(out)["as_of"] == "2023-06-01"
    code, out, _ = run(capsys, "supervision", "summary", "--json", "--db", str(db))
    assert json.loads(out)["as_of"] == "2023-06-01"
    code, out, _ = run(capsys, "finding", "list", "--json", "--as-of", "2024-01-02", "--db", str(db))
    assert json.loads(out)["as_of"] == "2024-01-02"


def test_a_province_s_finding_list_leaves_out_central_organs_as_the_summary_counts_them(db, capsys):
    # JC2023-001 inspected a central organ located in Beijing (110000): it answers to the national bureau.
    listed = {}
    for province in ("110000", "440000", None):
        argv = ["finding", "list", "--json", "--as-of", "2025-06-30", "--db", str(db)]
        code, out, _ = run(capsys, *argv, *(["--province", province] if province else []))
        assert code == 0
        listed[province] = sorted(f["finding_id"] for f in json.loads(out)["findings"])
    assert listed["110000"] == [] and listed["440000"] == ["JC2023-002-01"]
    assert listed[None] == ["JC2023-001-01", "JC2023-001-02", "JC2023-002-01"]
    code, out, _ = run(capsys, "supervision", "summary", "--json", "--as-of", "2025-06-30", "--db", str(db))
    findings = json.loads(out)["findings"]
    beijing = next(p for p in findings["provinces"] if p["province_code"] == "110000")
    assert beijing["findings"] == 0 and sum(c["findings"] for c in findings["central"]) == 2


def test_an_expert_is_an_evaluator_account_or_an_offline_name_never_another_role_s_account(db, capsys, monkeypatch):
    for name, role in (("gd", ["--role", "province", "--province", "440000"]), ("王专家", ["--role", "evaluator"])):
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("A-password-1\n"))
        assert run(capsys, "users", "add", name, *role, "--password-stdin", "--db", str(db))[0] == 0
    code, _, err = run(capsys, "evaluation", "assign", "440100", "--evaluator", "gd", "--db", str(db))
    assert code == 2 and "「gd」是平台的省级档案部门账号，不是评价专家" in err
    code, out, _ = run(capsys, "evaluation", "assign", "440100", "--evaluator", "王专家", "--db", str(db))
    assert code == 0 and out.strip() == "已分配：评价专家 王专家 评价广州市档案馆（440100）。"
    code, out, _ = run(capsys, "evaluation", "assign", "440100", "--evaluator", "线下专家", "--db", str(db))
    assert code == 0 and "没有此用户名的评价专家账号：该专家只能经评分工作簿报送评分" in out
    code, out, _ = run(capsys, "evaluation", "assignments", "--json", "--db", str(db))
    assert sorted(a["evaluator"] for a in json.loads(out)["assignments"]) == ["王专家", "线下专家"]


def test_a_platform_account_named_by_by_acts_only_in_its_own_roles_and_province(db, capsys, monkeypatch):
    # As on the web: a province rectifies the national bureau's findings in its province; the bureau reviews; an
    # evaluator has no part. A name without an account (the unit's 王五) is recorded as given, as in the workbook.
    accounts = {"gd": ["province", "--province", "440000"], "gx": ["province", "--province", "450000"]}
    accounts |= {"pl": ["planner"], "ev": ["evaluator"], "bj": ["province", "--province", "110000"]}
    for name, role in accounts.items():
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("A-password-1\n"))
        assert run(capsys, "users", "add", name, "--role", *role, "--password-stdin", "--db", str(db))[0] == 0
    tianhe, central = ["finding", "transition", "JC2023-002-01"], ["finding", "transition", "JC2023-001-02"]
    extend = ["--action", "延期", "--note", "经费未到位", "--deadline", "2027-06-30", "--db", str(db)]
    assert run(capsys, *tianhe, "--to", "整改中", "--by", "gd", "--db", str(db))[0] == 0
    code, _, err = run(capsys, *tianhe, *extend, "--by", "gd")
    assert code == 2
    assert "平台用户 gd（省级档案部门）不能以审核人身份操作问题 JC2023-002-01" in err
    assert "该用户在本问题上可用的身份：整改责任人" in err
    # Beijing's office and a central organ's finding in Beijing: the central units answer to the national bureau, so
    # the web never showed it to that office, but --by bj moved it.
    for name in ("gx", "ev", "bj"):  # another province's finding; an evaluator
        code, _, err = run(capsys, *central, "--to", "整改中", "--by", name, "--db", str(db))
        assert code == 2 and f"平台用户 {name}" in err and "可用的身份：无" in err
    # The same in another letter case passed unchecked, recorded as if that account had acted.
    code, _, err = run(capsys, *central, "--to", "整改中", "--by", "EV", "--db", str(db))
    assert code == 2 and "与平台用户「ev」只差字母大小写" in err
    # An account holder's own name (姓名) acted unchecked: --by 李华 closed what the account of 李华 had rectified.
    assert run(capsys, "users", "rename", "gd", "--full-name", "李华", "--db", str(db))[0] == 0
    code, _, err = run(capsys, *tianhe, *extend, "--by", "李华")
    assert code == 2 and "操作人「李华」是平台用户「gd」的姓名" in err and "请写其用户名「gd」" in err
    # Nor with the unit added: the same person, who recorded the rectification, gave themselves more time.
    code, _, err = run(capsys, *tianhe, *extend, "--by", "李华（广东省档案局）")
    assert code == 2 and "「李华（广东省档案局）」曾记录本问题的整改，不能为本问题延期" in err, err
    code, out, _ = run(capsys, *tianhe, *extend, "--by", "pl", "--json")
    assert code == 0 and json.loads(out)["changed_at"].endswith("+08:00")  # Beijing time, as every --json time
    assert run(capsys, *central, "--to", "整改中", "--by", "王五", "--db", str(db))[0] == 0
    # Pasted with spaces around it, or typed in lower case, the number still finds its finding.
    code, out, _ = run(capsys, "finding", "show", " jc2023-002-01 ", "--json", "--db", str(db))
    assert code == 0 and json.loads(out)["finding_id"] == "JC2023-002-01"
    assert [(t["changed_by"], t["action"]) for t in json.loads(out)["transitions"]] == [
        ("gd", "开始整改"),
        ("pl", "延期"),
    ]


def test_a_workbook_s_actor_naming_a_platform_account_acts_only_as_that_account_may(db, capsys, monkeypatch, tmp_path):
    # The 整改进展 sheet's 操作人 is held to the rule --by is: a row saying the province's account closed a finding
    # (a reviewer's act, the national bureau's on its own inspection) was loaded, and the history said so.
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("A-password-1\n"))
    add = ["users", "add", "gd", "--role", "province", "--province", "440000", "--password-stdin", "--db", str(db)]
    assert run(capsys, *add)[0] == 0
    finding_id = "JC2023-002-01"
    walk = [
        update("开始整改", "王五", RECT, date(2023, 3, 25), finding_id),
        update("提交整改报告", "王五", RECT, date(2023, 4, 5), finding_id, evidence="整改报告.pdf"),
        update("销号", "gd", REV, date(2023, 4, 10), finding_id, evidence="复核意见.pdf"),
    ]
    ingest = ["ingest", "inspections", "--db", str(db), "--orchestrator", "direct"]
    code, out, err = run(
        capsys, *ingest[:2], str(inspections_workbook(tmp_path / "closed-by-gd.xlsx", updates=walk)), *ingest[2:]
    )
    assert code == 2, (out, err)
    assert (
        "工作表「整改进展」，第 5 行，列「操作人」" in err
        and "平台用户 gd（省级档案部门）不能以审核人身份操作问题" in err
    )
    code, out, _ = run(capsys, "finding", "show", finding_id, "--json", "--db", str(db))
    assert json.loads(out)["transitions"] == []  # nothing of the workbook was loaded
    # As the rectifier, the account's own part, the same rows load.
    walk[:2] = [update("开始整改", "gd", RECT, date(2023, 3, 25), finding_id)]
    path = inspections_workbook(tmp_path / "started-by-gd.xlsx", updates=walk[:1])
    assert run(capsys, *ingest[:2], str(path), *ingest[2:])[0] == 0


def test_the_commands_name_the_person_behind_an_account(db, capsys, monkeypatch):
    # A transition, an assignment and the assignments' list said the login alone (gd, zhang), where the web names
    # the person beside it; a name without an account (王专家, 王五) is shown as given.
    for name, role in {"gd": ["province", "--province", "440000"], "zhang": ["evaluator"]}.items():
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("A-password-1\n"))
        named = ["--full-name", {"gd": "李华", "zhang": "张伟"}[name]]
        assert run(capsys, "users", "add", name, "--role", *role, *named, "--password-stdin", "--db", str(db))[0] == 0
    code, out, _ = run(
        capsys, "finding", "transition", "JC2023-002-01", "--to", "整改中", "--by", "gd", "--db", str(db)
    )
    assert code == 0 and "（开始整改，李华（gd），整改期限 " in out
    base = ["--by", "规划处", "--db", str(db)]
    code, out, _ = run(capsys, "evaluation", "assign", "440000", "--evaluator", "zhang", *base)
    assert code == 0 and out.strip() == "已分配：评价专家 张伟（zhang） 评价广东省档案馆（440000）。"
    assert run(capsys, "evaluation", "assign", "440100", "--evaluator", "王专家", *base)[0] == 0
    code, out, _ = run(capsys, "evaluation", "assignments", "--db", str(db))
    assert code == 0 and "张伟（zhang）" in out and "王专家" in out and "王专家（" not in out
    code, out, _ = run(capsys, "evaluation", "assignments", "--json", "--db", str(db))
    assert {(a["evaluator"], a["expert"]) for a in json.loads(out)["assignments"]} == {
        ("zhang", "张伟（zhang）"),
        ("王专家", "王专家"),
    }
    code, out, _ = run(capsys, "evaluation", "unassign", "440000", "--evaluator", "zhang", *base)
    assert code == 0 and out.strip() == "已撤销分派：评价专家 张伟（zhang） 不再评价广东省档案馆（440000）。"


def test_the_evaluation_commands_refusals_name_the_person_behind_an_account(tmp_path, capsys):
    # Issuing again said …下发（档评反〔2025〕3号，3 个问题，planner）: the login alone, where people are named 姓名（login）.
    db = tmp_path / "var" / "w.duckdb"
    with EmbeddedWarehouse(db).writer() as con:
        add_user(con, "planner", "x", "planner", None, by="管理员", full_name="王敏")
        add_user(con, "evaluator", "x", "evaluator", None, by="管理员", full_name="周平")
        score_guangdong(con)  # "evaluator" among its experts, submitted
    base = ["--by", "planner", "--db", str(db)]
    assert run(capsys, "evaluation", "close", *base)[0] == 0
    issue = ["evaluation", "issue-findings", "440000", "--feedback-date", "2025-07-01", "--doc-no", "档评反〔2025〕3号",
             "--person", "李馆长", "--confirm-overdue", *base]  # fmt: skip
    assert run(capsys, *issue)[0] == 0
    code, _, err = run(capsys, *issue)
    assert code == 2 and "已于 2025年7月1日 下发（档评反〔2025〕3号，3 个问题，王敏（planner））" in err, err
    code, _, err = run(capsys, "evaluation", "unassign", "440000", "--evaluator", "evaluator", *base)
    assert code == 2 and "评价专家 周平（evaluator） 对广东省档案馆（440000）提交的评分表已计入结果" in err, err
    code, _, err = run(capsys, "evaluation", "unassign", "440100", "--evaluator", "evaluator", *base)
    assert code == 2 and "评价专家 周平（evaluator） 在评价轮次 2025 没有分派评价广州市档案馆（440100）" in err, err


def test_json_gives_an_action_dated_by_its_day_as_that_day(capsys):
    # An uploaded 整改进展 row's day came out as 2023-05-28T08:00:00+08:00, a time never recorded.
    from cli.main import emit_json

    emit_json({"day": datetime(2023, 5, 28), "moment": datetime(2023, 5, 28, 3, 15)})
    assert json.loads(capsys.readouterr().out) == {"day": "2023-05-28", "moment": "2023-05-28T11:15:00+08:00"}
