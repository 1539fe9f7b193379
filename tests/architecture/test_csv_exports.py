"""Every CSV the platform writes goes through ``cs_platform.web.pages.csv_text``, which defuses cells that
spreadsheets would run as formulas (issue 10): a module building its own ``csv.writer`` could forget it."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THE_HELPER = "cs_platform/web/pages.py"


def product_modules() -> list[str]:
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in files.stdout.split() if not f.startswith(("tests/", "bench/")) and "/migrations/" not in f]


def csv_writers(source: str) -> list[int]:
    """Lines calling ``csv.writer`` or ``csv.DictWriter`` (by attribute or a name imported from csv)."""
    tree = ast.parse(source)
    imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "csv"
                for a in n.names if a.name in ("writer", "DictWriter")}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in ("writer", "DictWriter")
                and isinstance(func.value, ast.Name) and func.value.id == "csv") or (
                isinstance(func, ast.Name) and func.id in imported):
            lines.append(node.lineno)
    return lines


def test_only_the_shared_helper_writes_csv():
    offenders = {path: lines for path in product_modules() if path != THE_HELPER
                 and (lines := csv_writers((ROOT / path).read_text()))}
    assert offenders == {}, "write CSV through cs_platform.web.pages.csv_text (it defuses formulas)"


def test_the_check_sees_both_spellings():
    assert csv_writers("import csv\nw = csv.writer(out)\n") == [2]
    assert csv_writers("from csv import DictWriter as W\nW(out, [])\n") == [2]
    assert csv_writers(Path(ROOT / THE_HELPER).read_text())
