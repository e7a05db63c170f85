"""Census returns of several provinces written as real workbooks by the synthetic generator (a few holders each)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synthetic.census import generate_national_dataset, write_dataset


@dataclass(frozen=True)
class ProvinceReturn:
    """One province's census return file and how many holder rows it has."""

    province_code: str
    path: Path
    rows: int


def write_province_returns(folder: Path, count: int, *, units: int = 320, seed: int = 9) -> list[ProvinceReturn]:
    """Census returns of `count` provinces (valid, about units/32 holders each)."""
    dataset = generate_national_dataset(units, seed)
    codes = sorted(code for code, p in dataset.provinces.items() if p.census.height >= 2)[:count]
    manifest = write_dataset(dataset, folder, provinces=codes)
    return [ProvinceReturn(e.province_code, folder / e.census_file, e.census_rows) for e in manifest.provinces]
