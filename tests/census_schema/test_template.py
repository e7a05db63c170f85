"""The Excel template and filled returns written from the schema, read back with openpyxl."""

import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from census_schema import template
from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.errors import UsageError
from census_schema.fields import FieldType
from census_schema.forms import CURRENT_WORKBOOKS
from census_schema.layout import (
    CODES_SHEET,
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    META_FORM_KIND,
    META_FORM_VERSION,
    META_PROVINCE,
    META_ROUND,
    META_SCOPE_CODE,
    META_SCOPE_KIND,
    META_SHEET,
    TEMPLATE_PREPARED_ROWS,
    TITLE_ROW,
)
from census_schema.template import (
    code_list_heading,
    data_sheet_title,
    number_format_of,
    write_form_workbook,
    write_template,
)
from cli.main import main
from tests.formula_text import INJECTION, assert_kept_as_text


@pytest.fixture(scope="module")
def census_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "census.xlsx"
    write_template(path, "census", "110000")
    return openpyxl.load_workbook(path)


def validations_by_column(ws):
    """Each column letter's validations, with the row span they cover."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(cell_range.coord)
            for column in range(min_col, max_col + 1):
                out.setdefault(get_column_letter(column), []).append((dv, min_row, max_row))
    return out


def test_sheets_are_present_in_order_and_instructions_are_active(census_template):
    assert census_template.sheetnames == [
        INSTRUCTIONS_SHEET,
        "普查表",
        "红色档案资源摸底",
        "表尾",
        CODES_SHEET,
        META_SHEET,
    ]
    assert census_template.active.title == INSTRUCTIONS_SHEET


@pytest.mark.parametrize("form", [CENSUS_FORM, REGISTER_FORM], ids=lambda f: f.kind)
def test_header_row_is_exactly_the_field_labels(tmp_path, form):
    path = tmp_path / f"{form.kind}.xlsx"
    write_template(path, form.kind, "440000")
    ws = openpyxl.load_workbook(path)[form.sheet_name]
    header = [cell.value for cell in ws[HEADER_ROW]]
    assert header == [f.label for f in form.fields]
    assert ws.max_column == len(form.fields)
    assert ws.cell(TITLE_ROW, 1).value == data_sheet_title(form, "广东省", form.version)


def test_meta_sheet_is_very_hidden_and_carries_the_identity(census_template):
    meta = census_template[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    assert dict(meta.iter_rows(values_only=True)) == {
        META_FORM_KIND: "census",
        META_FORM_VERSION: CENSUS_FORM.version,
        META_PROVINCE: "110000",
        META_SCOPE_KIND: "province",
        META_SCOPE_CODE: "110000",
        META_ROUND: CENSUS_FORM.round_id,
    }


def test_code_sheet_has_one_column_per_code_list(census_template):
    ws = census_template[CODES_SHEET]
    columns = {col[0].value: [c.value for c in col[1:] if c.value is not None] for col in ws.iter_cols()}
    notes = columns.pop("说明")
    expected = {code_list_heading(f.code_list): list(f.code_list.values) for f in CENSUS_FORM.fields if f.code_list}
    assert columns == expected
    # The census's own lists are marked provisional, and so is the Corps' reporting code.
    assert {"单位性质（暂定）", "普查对象类型（暂定）", "行政层级（暂定）", "是否"} == set(columns)
    assert any("暂定" in note and "单位性质" in note for note in notes)
    assert any("660000" in note and "659001" in note for note in notes)
    # Printed landscape and one page wide, its notes wrapped in their column (the note took a page of its own).
    assert (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.sheet_properties.pageSetUpPr.fitToPage) == (
        "landscape",
        1,
        True,
    )
    note_cells = [c for c in next(col for col in ws.iter_cols() if col[0].value == "说明")[1:] if c.value]
    assert note_cells and all(c.alignment.wrap_text for c in note_cells)


def test_every_code_list_field_has_a_drop_down_pointing_at_the_code_sheet(census_template):
    by_column = validations_by_column(census_template["普查表"])
    codes = census_template[CODES_SHEET]
    last_row = FIRST_DATA_ROW + TEMPLATE_PREPARED_ROWS - 1
    for column, field in enumerate(CENSUS_FORM.fields, 1):
        if field.code_list is None:
            continue
        lists = [(dv, lo, hi) for dv, lo, hi in by_column[get_column_letter(column)] if dv.type == "list"]
        assert len(lists) == 1, field.name
        dv, lo, hi = lists[0]
        assert (lo, hi) == (FIRST_DATA_ROW, last_row)
        sheet, cells = dv.formula1.rsplit("!", 1)
        assert sheet.strip("'") == CODES_SHEET
        assert [c.value for row in codes[cells.replace("$", "")] for c in row] == list(field.code_list.values)
        assert dv.promptTitle and dv.prompt
        assert dv.errorTitle and "只能填写" in dv.error


def test_numeric_fields_have_number_validations(census_template):
    by_column = validations_by_column(census_template["普查表"])
    for column, field in enumerate(CENSUS_FORM.fields, 1):
        if not field.is_numeric:
            continue
        [(dv, lo, _)] = by_column[get_column_letter(column)]
        assert dv.type == ("whole" if field.type is FieldType.INTEGER else "decimal"), field.name
        assert lo == FIRST_DATA_ROW
        assert float(dv.formula1) == field.min_value
        if field.max_value is None:
            assert dv.operator == "greaterThanOrEqual"
        else:
            assert (dv.operator, float(dv.formula2)) == ("between", field.max_value)
        assert dv.error and dv.showErrorMessage


def test_text_fields_have_length_validations(census_template):
    by_column = validations_by_column(census_template["普查表"])
    for column, field in enumerate(CENSUS_FORM.fields, 1):
        if field.type in (FieldType.TEXT, FieldType.USCC) and field.max_length:
            [(dv, _, _)] = by_column[get_column_letter(column)]
            # A USCC's 18 characters exactly (its message says 应为18位); other text at most its length.
            operator = "equal" if field.type is FieldType.USCC else "lessThanOrEqual"
            assert (dv.type, dv.operator, dv.formula1) == ("textLength", operator, str(field.max_length)), field.name


def test_every_column_has_a_prompt(census_template):
    by_column = validations_by_column(census_template["普查表"])
    assert len(by_column) == len(CENSUS_FORM.fields)
    assert all(dv.prompt and len(dv.prompt) <= 255 for entries in by_column.values() for dv, _, _ in entries)


def test_layout_freeze_widths_formats_and_print_setup(census_template):
    ws = census_template["普查表"]
    assert ws.freeze_panes == f"C{FIRST_DATA_ROW}"
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    # Printed from the header row down, every page headed by the title (the title row's marks were cut at the edge).
    assert ws.print_area == f"'普查表'!$A${HEADER_ROW}:${get_column_letter(len(CENSUS_FORM.fields))}$1048576"
    assert ws.oddHeader.left.text == ws.cell(TITLE_ROW, 1).value
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    for column, field in enumerate(CENSUS_FORM.fields, 1):
        dimension = ws.column_dimensions[get_column_letter(column)]
        assert dimension.width == field.width
        assert dimension.number_format == number_format_of(field)
    header = ws.cell(HEADER_ROW, 1)
    assert header.font.bold and header.alignment.wrap_text and header.border.left.style == "thin"
    assert header.fill.fgColor.rgb.endswith("DDEBF7")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("uscc", "@"), ("division_code", "@"), ("contact_phone", "@"), ("vol_total", "#,##0"), ("e_gb", "#,##0.00")],
)
def test_number_formats(name, expected):
    assert number_format_of(CENSUS_FORM.field(name)) == expected


def test_a_year_has_no_thousands_separator():
    assert number_format_of(REGISTER_FORM.field("annual_stats_year")) == "0"
    assert number_format_of(REGISTER_FORM.field("annual_stats_vol")) == "#,##0"


def test_the_register_template_shows_and_explains_the_annual_statistics(tmp_path):
    path = tmp_path / "register.xlsx"
    write_template(path, "register", "440000")
    book = openpyxl.load_workbook(path)
    ws = book[REGISTER_FORM.sheet_name]
    annual = [f for f in REGISTER_FORM.fields if f.name.startswith("annual_stats_")]
    assert (
        [c.value for c in ws[HEADER_ROW]][-3:]
        == [f.label for f in annual]
        == [
            "统计年报年度",
            "统计年报档案数量（卷）",
            "统计年报档案数量（件）",
        ]
    )
    # The year: a whole number from 2015 to the round's year, written without a thousands separator.
    year_column = get_column_letter(len(REGISTER_FORM.fields) - 2)
    [(dv, _, _)] = validations_by_column(ws)[year_column]
    assert (dv.type, dv.operator, float(dv.formula1), float(dv.formula2)) == ("whole", "between", 2015, 2024)
    assert ws.column_dimensions[year_column].number_format == "0"
    # 填表说明: each column, optional, with what it is and its rules (all three or none; the year's range).
    rows = list(book[INSTRUCTIONS_SHEET].iter_rows(values_only=True))
    explained = {r[2]: r for r in rows if r[2] in {f.name for f in annual}}
    for field in annual:
        _, label, _, _, required, description, rules = explained[field.name]
        assert (label, required, description) == (field.label, "否", field.description)
        assert f"【错误】{REGISTER_FORM.rules_by_id[f'{field.name}_together'].message}" in rules
    assert "统计年报" in explained["annual_stats_year"][5] and "30%" in explained["annual_stats_year"][5]
    assert "应在 2015～2024 之间" in explained["annual_stats_year"][6]
    meta = dict(book[META_SHEET].iter_rows(values_only=True))
    assert meta[META_FORM_VERSION] == REGISTER_FORM.version == "GYDA-2025.1"


def test_the_inspections_template_shows_and_explains_the_rectifiers_measures(tmp_path):
    from census_schema.supervision.forms import RECTIFICATION_FORM

    path = tmp_path / "inspections.xlsx"
    write_template(path, "inspections", None)
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book[RECTIFICATION_FORM.sheet_name][HEADER_ROW]]
    assert header[header.index("说明") + 1 : header.index("佐证材料")] == ["整改措施"]
    field = RECTIFICATION_FORM.field("measures")
    # 填表说明: optional, who gives it on which actions (the field's row and the notes), and the rule refusing it
    # on a reviewer's action.
    rows = list(book[INSTRUCTIONS_SHEET].iter_rows(values_only=True))
    [(_, label, _, kind, required, description, rules)] = [r for r in rows if r[2] == "measures"]
    assert (label, required, description) == (field.label, "否", field.description)
    assert "不超过500字" in kind
    for words in ("整改责任人", "开始整改", "提交整改报告", "报告阶段进展", "审核人"):
        assert words in description
    assert RECTIFICATION_FORM.rules_by_id["transition_measures"].message in rules
    notes = [str(r[0]) for r in rows if r[0] and "「整改措施」" in str(r[0])]
    assert notes and description in notes[0]
    meta = dict(book[META_SHEET].iter_rows(values_only=True))
    assert meta[META_FORM_VERSION] == CURRENT_WORKBOOKS["inspections"].version == "JDJC-2025.3"


def test_instructions_list_every_field_with_its_rules(census_template):
    ws = census_template[INSTRUCTIONS_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    header_index = next(i for i, r in enumerate(rows) if r[:3] == ("序号", "列名", "字段"))
    table = rows[header_index + 1 : header_index + 1 + len(CENSUS_FORM.fields)]
    assert [(r[1], r[2]) for r in table] == [(f.label, f.name) for f in CENSUS_FORM.fields]
    vol_total_rules = table[[f.name for f in CENSUS_FORM.fields].index("vol_total")][6]
    for rule in CENSUS_FORM.rules_for("vol_total"):
        assert f"【{rule.severity.label}】{rule.message}" in vol_total_rules
    text = "\n".join(str(v) for r in rows for v in r if v is not None)
    for needle in ("2024", "2024-12-31", "110000 北京市", CENSUS_FORM.version, "填 0", "合并单元格", "错误清单"):
        assert needle in text
    for rule in CENSUS_FORM.rules:
        if rule.field is None:
            assert rule.message in text


def test_filled_workbook_has_values_in_the_right_cells(tmp_path):
    fields = CENSUS_FORM.fields
    first = [f"value {i}" for i in range(len(fields))]
    first[CENSUS_FORM.field_names.index("vol_total")] = 1234
    first[CENSUS_FORM.field_names.index("e_gb")] = Decimal("1.25")
    first[CENSUS_FORM.field_names.index("division_code")] = "010101"
    first[CENSUS_FORM.field_names.index("remarks")] = INJECTION
    second = [None] * len(fields)
    second[0] = "91110000000000001X"
    count = TEMPLATE_PREPARED_ROWS + 5
    rows = [first, second] + [["x"] + [None] * (len(fields) - 1)] * (count - 2)
    path = tmp_path / "filled.xlsx"
    write_form_workbook(path, CENSUS_FORM, "110000", iter(rows))

    ws = openpyxl.load_workbook(path)["普查表"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == [f.label for f in fields]
    cells = {f.name: ws.cell(FIRST_DATA_ROW, column) for column, f in enumerate(fields, 1)}
    assert cells["vol_total"].value == 1234 and cells["vol_total"].number_format == "#,##0"
    assert cells["e_gb"].value == pytest.approx(1.25) and cells["e_gb"].number_format == "#,##0.00"
    assert cells["division_code"].value == "010101" and cells["division_code"].number_format == "@"
    assert_kept_as_text(cells["remarks"])
    assert cells["uscc"].value == "value 0"
    assert [c.value for c in ws[FIRST_DATA_ROW + 1]] == second
    assert ws.max_row == FIRST_DATA_ROW + count - 1
    # Validation covers every written row when there are more than the prepared ones.
    [(_, lo, hi)] = validations_by_column(ws)["C"]
    assert (lo, hi) == (FIRST_DATA_ROW, FIRST_DATA_ROW + count - 1)


def test_a_row_of_the_wrong_width_is_refused(tmp_path):
    with pytest.raises(ValueError, match="row 1"):
        write_form_workbook(tmp_path / "bad.xlsx", CENSUS_FORM, "110000", [["only one value"]])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("code", ["999999", "110100", "710000", "11", ""])
def test_unknown_province_raises_usage_error(tmp_path, code):
    with pytest.raises(UsageError):
        write_template(tmp_path / "t.xlsx", "census", code)
    assert not (tmp_path / "t.xlsx").exists()


def test_a_kind_without_a_workbook_raises_usage_error(tmp_path):
    # A sheet of the inspections workbook is a form, not something uploaded on its own.
    with pytest.raises(UsageError, match="findings"):
        write_template(tmp_path / "t.xlsx", "findings", "110000")


def test_xpcc_has_a_template(tmp_path):
    write_template(tmp_path / "t.xlsx", "register", "660000")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")[REGISTER_FORM.sheet_name]
    assert "新疆生产建设兵团" in ws.cell(TITLE_ROW, 1).value


def test_province_name_can_be_given_but_the_code_is_still_checked(tmp_path):
    write_form_workbook(tmp_path / "t.xlsx", REGISTER_FORM, "110000", province_name="测试省")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")[REGISTER_FORM.sheet_name]
    assert ws.cell(TITLE_ROW, 1).value == data_sheet_title(REGISTER_FORM, "测试省", REGISTER_FORM.version)
    with pytest.raises(UsageError):
        write_form_workbook(tmp_path / "u.xlsx", REGISTER_FORM, "990000", province_name="测试省")


def test_cli_writes_the_template(tmp_path, capsys):
    out = tmp_path / "sub" / "census.xlsx"
    assert main(["template", "census", "--province", "110000", "--out", str(out), "--json"]) == 0
    printed = capsys.readouterr()
    # The folder was not there: made, and said (a mistyped folder must not go unnoticed), beside the one JSON object.
    assert f"注意：文件夹 {out.parent} 原先不存在，已新建。" in printed.err
    payload = json.loads(printed.out)
    assert payload == {
        "template": str(out),
        "kind": "census",
        "province": "110000",
        "scope": {"kind": "province", "code": "110000", "name": "北京市"},
        "form_version": "GYDA-2025.1",
    }
    assert openpyxl.load_workbook(out).sheetnames[1] == "普查表"


@pytest.mark.parametrize(
    ("scope_args", "meta", "scope_row"),
    [
        (
            ["--province", "440000", "--division", "440100"],
            ("440000", "prefecture", "440100"),
            "440100 广东省广州市（地级）",
        ),
        (
            ["--province", "440000", "--division", "440106"],
            ("440000", "county", "440106"),
            "440106 广东省广州市天河区（县级）",
        ),
        (["--central", "enterprises"], (None, "central", "enterprises"), None),
    ],
    ids=["prefecture", "county", "central"],
)
def test_cli_writes_a_template_for_a_division_or_a_central_channel(tmp_path, capsys, scope_args, meta, scope_row):
    out = tmp_path / "t.xlsx"
    assert main(["template", "census", *scope_args, "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scope"]["kind"] == meta[1]
    book = openpyxl.load_workbook(out)
    identity = dict(book[META_SHEET].iter_rows(values_only=True))
    assert (identity.get(META_PROVINCE), identity[META_SCOPE_KIND], identity[META_SCOPE_CODE]) == meta
    instructions = [row for row in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True) if row and row[0]]
    labels = dict(row[:2] for row in instructions[:8])
    if scope_row is None:
        assert labels["报送渠道"] == "中央企业（中央渠道，直接报国家档案局）" and "省份" not in labels
    else:
        assert labels["填报范围"] == scope_row and labels["省份"] == "440000 广东省"
    notes = [row[0] for row in instructions if isinstance(row[0], str)]
    assert any("每个普查对象只能计入一份现行有效的表" in note for note in notes)
    # The review chain as the platform routes it (it said a county's return went to the province first).
    assert any("县级的表依次由所属地级档案部门（在平台上有账号时）、省级档案部门、" in note for note in notes)
    assert any("新表比原表减少的" in note for note in notes)
    # Said in words: a channel by its name, never the command line's key (中央企业（中央） enterprises).
    assert main(["template", "census", *scope_args, "--out", str(out), "--replace"]) == 0
    said = capsys.readouterr().out
    assert (
        ("enterprises" not in said and "中央企业（中央），表式版本" in said) if scope_row is None else meta[2] in said
    )


def rules_of_column(book: openpyxl.Workbook, name: str) -> str:
    """The 校验规则 cell of a column's row in the 填表说明."""
    return next(r[6] for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True) if r[2] == name) or ""


def test_a_central_channel_s_instructions_speak_of_its_channel_not_of_a_province(tmp_path, capsys):
    # They said 外省单位请由其所在省填报 and 本模板仅供 中央企业（enterprises）填报…请勿用于其他省份 to a central channel.
    out = tmp_path / "central.xlsx"
    assert main(["template", "census", "--central", "enterprises", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    text = "\n".join(str(v) for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for v in r if v)
    assert "本模板仅供 中央企业 填报" in text and "enterprises" not in text and "其他省份" not in text
    assert "不属于本省" not in rules_of_column(book, "division_code")
    assert "中央企业渠道报送企事业单位档案馆、企事业单位档案室" in rules_of_column(book, "holder_type")
    # A province's lists its own rule and not the channels'.
    out = tmp_path / "province.xlsx"
    assert main(["template", "census", "--province", "440000", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert "不属于本省" in rules_of_column(book, "division_code")
    assert "渠道报送" not in rules_of_column(book, "holder_type")
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--province", "440000", "--division", "450102"], "不在广东省"),
        (["--province", "440000", "--division", "440000"], "省级代码"),
        (["--province", "440000", "--central", "organs"], "--central 不能与"),
        (["--central", "ministries"], "未知的中央报送渠道"),
        (["--division", "440100"], "须指定填报范围"),
    ],
)
def test_cli_refuses_a_scope_that_does_not_exist(tmp_path, capsys, argv, message):
    assert main(["template", "census", *argv, "--out", str(tmp_path / "t.xlsx")]) == 2
    assert message in capsys.readouterr().err


def test_cli_without_json_prints_one_line(tmp_path, capsys):
    assert main(["template", "register", "--province", "110000", "--out", str(tmp_path / "r.xlsx")]) == 0
    assert capsys.readouterr().out.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["template", "census", "--province", "999999"], "999999"),
        (["template", "census"], "--province"),
        (["template", "inspections", "--province", "110000"], "不分省份"),
    ],
)
def test_cli_refuses_bad_requests_with_exit_code_2(tmp_path, capsys, argv, message):
    out = tmp_path / "t.xlsx"
    assert main([*argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_a_non_xlsx_output(tmp_path, capsys):
    assert main(["template", "census", "--province", "110000", "--out", str(tmp_path / "t.xls")]) == 2
    assert ".xlsx" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kind", "code", "name"),
    [
        ("indicators", "ZB04", "各级国家综合档案馆档案信息管理系统覆盖率（%，填报）"),
        ("evaluation", "440300", "深圳市档案馆"),
    ],
)
def test_a_list_of_codes_has_their_names_beside_it_and_its_dropdown_on_the_codes(tmp_path, kind, code, name):
    write_template(tmp_path / "t.xlsx", kind, None)
    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx")
    codes = workbook[CODES_SHEET]
    rows = list(codes.iter_rows(values_only=True))
    lists = {f.code_list for form in CURRENT_WORKBOOKS[kind].sheets for f in form.fields if f.code_list}
    named = {c for c in lists if c.names}
    assert named  # indicators: the indicators and the provinces; evaluation: the archives
    for code_list in named:
        column = rows[0].index(code_list_heading(code_list))
        assert rows[0][column + 1] == code_list.names_label
        pairs = [(r[column], r[column + 1]) for r in rows[1:] if r[column] is not None]
        assert pairs == list(zip(code_list.values, code_list.names, strict=True))
    assert any((code, name) in zip(r, r[1:]) for r in rows)
    # The drop-downs choose codes, never names.
    for form in CURRENT_WORKBOOKS[kind].sheets:
        for validation in workbook[form.sheet_name].data_validations.dataValidation:
            if validation.type != "list":
                continue
            first_col = range_boundaries(validation.formula1.split("!")[1].replace("$", ""))[0]
            assert rows[0][first_col - 1] in {code_list_heading(c) for c in lists}


@pytest.mark.parametrize("kind", ["inspections", "evaluation", "indicators"])
def test_national_workbooks_have_their_sheets_no_province_and_their_rules_explained(tmp_path, capsys, kind):
    out = tmp_path / f"{kind}.xlsx"
    assert main(["template", kind, "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    book = CURRENT_WORKBOOKS[kind]
    assert (payload["kind"], payload["province"], payload["form_version"]) == (kind, None, book.version)
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == [INSTRUCTIONS_SHEET, *book.sheet_names, CODES_SHEET, META_SHEET]
    meta = {row[0]: row[1] for row in workbook[META_SHEET].iter_rows(values_only=True)}
    assert meta[META_FORM_KIND] == kind and META_PROVINCE not in meta
    for form in book.sheets:
        ws = workbook[form.sheet_name]
        assert [c.value for c in ws[HEADER_ROW]] == [f.label for f in form.fields]
        # Every sheet names the workbook's version (指标数值, unchanged since GHZB-2025.1, said 2025.1 in a 2025.2 book).
        assert ws.cell(TITLE_ROW, 1).value == data_sheet_title(form, None, book.version)
        assert ws.cell(TITLE_ROW, 1).value.endswith(f"（表式版本 {book.version}）")
    text = "\n".join(str(v) for r in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for v in r if v)
    for rule in (r for form in book.sheets for r in form.rules):
        assert rule.message in text


def test_date_fields_get_a_date_format_and_validation(tmp_path):
    write_template(tmp_path / "i.xlsx", "inspections", None)
    ws = openpyxl.load_workbook(tmp_path / "i.xlsx")["检查记录"]
    form = CURRENT_WORKBOOKS["inspections"].sheets[0]
    column = get_column_letter(form.field_names.index("feedback_date") + 1)
    assert ws.column_dimensions[column].number_format == "yyyy-mm-dd"
    kinds = {
        v.type for v in ws.data_validations.dataValidation if str(v.sqref).startswith(f"{column}{FIRST_DATA_ROW}:")
    }
    assert kinds == {"date"}


def test_a_filled_workbook_keeps_formula_like_text_as_text_row_after_row(tmp_path):
    remarks = [INJECTION, "普通说明", "+86 020", None, "-", INJECTION]
    column = CENSUS_FORM.field_names.index("remarks")
    rows = [[f"row {i}", *([None] * (len(CENSUS_FORM.fields) - 1))] for i in range(len(remarks))]
    for row, text in zip(rows, remarks, strict=True):
        row[column] = text
    write_form_workbook(tmp_path / "f.xlsx", CENSUS_FORM, "110000", rows)

    ws = openpyxl.load_workbook(tmp_path / "f.xlsx")["普查表"]
    cells = [ws.cell(FIRST_DATA_ROW + i, column + 1) for i in range(len(remarks))]
    for cell, text in zip(cells, remarks, strict=True):
        if text is None:
            assert cell.value is None
        elif text in (INJECTION, "+86 020", "-"):
            assert_kept_as_text(cell, text)
        else:
            assert (cell.value, cell.quotePrefix) == (text, False)


def test_the_census_template_carries_the_statutory_marks_and_its_supplementary_sheets(census_template):
    for sheet, number in (("普查表", "GYDA-1表"), ("红色档案资源摸底", "GYDA-2表")):
        ws = census_template[sheet]
        marks = [c.value for c in ws[TITLE_ROW] if c.value and "表号" in str(c.value)]
        assert marks and number in marks[0] and "制定机关：国家档案局" in marks[0] and "暂定" in marks[0]
        assert number in ws.oddHeader.right.text
    foot = census_template["表尾"]
    assert [c.value for c in foot[HEADER_ROW]] == ["单位负责人", "统计负责人", "填表人", "联系电话", "报出日期"]
    assert not [c.value for c in foot[TITLE_ROW] if c.value and "表号" in str(c.value)]
    instructions = [row[:2] for row in census_template[INSTRUCTIONS_SHEET].iter_rows(max_row=20, values_only=True)]
    assert ("制定机关", "国家档案局") in instructions and any(key == "表号" for key, _ in instructions)


class _NoReuse(dict):
    """A style cache that forgets: every cell's style is resolved by openpyxl afresh."""

    def setdefault(self, key, default=None):
        return {}


@pytest.mark.parametrize("kind", ["census", "register", "inspections"])
def test_styles_resolved_once_per_workbook_write_what_openpyxl_writes_cell_by_cell(tmp_path, monkeypatch, kind):
    def parts(path):
        with zipfile.ZipFile(path) as archive:
            # core.xml holds the time of writing
            return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}

    province = None if kind == "inspections" else "440000"
    write_template(tmp_path / "reused.xlsx", kind, province)
    monkeypatch.setattr(template, "_RESOLVED_STYLES", _NoReuse())
    write_template(tmp_path / "fresh.xlsx", kind, province)
    reused, fresh = parts(tmp_path / "reused.xlsx"), parts(tmp_path / "fresh.xlsx")
    assert reused.keys() == fresh.keys() and b"<cellXfs" in reused["xl/styles.xml"]
    assert [name for name in reused if reused[name] != fresh[name]] == []


def test_the_instructions_keys_fit_their_column(census_template):
    # 批准（备案）文号 printed cut as 批准（备案）文: the column was 10 characters wide.
    sheet = census_template[INSTRUCTIONS_SHEET]
    keys = [row[0].value for row in sheet.iter_rows(max_col=2) if row[0].value and row[1].value]
    shown = [sum(2 if ord(c) > 0x2E7F else 1 for c in str(key)) for key in keys]
    assert "批准（备案）文号" in keys and max(shown) <= sheet.column_dimensions["A"].width, (keys, shown)
