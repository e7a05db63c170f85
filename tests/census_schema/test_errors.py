"""What a full disk or a read-only folder is told as."""

from __future__ import annotations

import errno

from census_schema.errors import storage_error_from


def test_a_refused_write_names_the_file_the_system_refused():
    refused = OSError(errno.EROFS, "Read-only file system", "/srv/reports/r.xlsx")
    error = storage_error_from(RuntimeError("writing the report failed"), "var/warehouse.duckdb")
    assert error is None
    error = storage_error_from(refused, "var/warehouse.duckdb")
    assert error is not None and "无法写入 /srv/reports/r.xlsx" in error.message and "warehouse" not in error.message
    full = storage_error_from(OSError(errno.ENOSPC, "No space left on device"), "var/warehouse.duckdb")
    assert full is not None and "无法写入 var/warehouse.duckdb" in full.message


def test_a_full_disk_met_by_a_copy_names_the_copy_s_target_not_its_source():
    # shutil.copyfile's error names both files; a backup onto a full disk was told 无法写入 <the warehouse>.
    full = OSError(errno.ENOSPC, "No space left on device", "var/warehouse.duckdb", None, "/mnt/bk/.warehouse.tmp")
    error = storage_error_from(full, "/mnt/bk")
    assert error is not None and "无法写入 /mnt/bk/.warehouse.tmp" in error.message and "var/" not in error.message


def test_the_systems_english_words_stay_out_of_the_message():
    for code, words in ((errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left on device")):
        error = storage_error_from(OSError(code, words, "/srv/reports/r.xlsx"), "var/warehouse.duckdb")
        assert error is not None and words not in error.describe() and "Errno" not in error.describe()


def test_a_file_the_user_may_not_read_is_told_as_unreadable_not_as_a_folder_not_writable(tmp_path, monkeypatch):
    # A workbook (or a backup's manifest) of mode 000 was told 无法写入 …目录只读, sending its user to fix a folder.
    workbook = tmp_path / "noread.xlsx"
    workbook.write_bytes(b"PK")
    denied = PermissionError(errno.EACCES, "Permission denied", str(workbook))
    readable = storage_error_from(denied, "var/warehouse.duckdb")
    assert readable is not None and readable.message.startswith(f"无法写入 {workbook}")  # readable: a write refused
    monkeypatch.setattr("os.access", lambda path, mode: False)  # as a user without the right (the tests run as root)
    error = storage_error_from(denied, "var/warehouse.duckdb")
    assert error is not None and error.message == f"无法读取 {workbook}：当前用户没有读取权限。本次操作未完成。"
    assert "读取该文件" in (error.hint or "") and "--db" not in (error.hint or "")
    # A new file refused in a folder still reads as a write refused.
    new = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "new.xlsx"))
    assert storage_error_from(new, "var/warehouse.duckdb").message.startswith("无法写入")
