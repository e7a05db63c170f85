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


def test_the_systems_english_words_stay_out_of_the_message():
    for code, words in ((errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left on device")):
        error = storage_error_from(OSError(code, words, "/srv/reports/r.xlsx"), "var/warehouse.duckdb")
        assert error is not None and words not in error.describe() and "Errno" not in error.describe()
