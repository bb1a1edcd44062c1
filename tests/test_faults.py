"""The fault-injection table (tests/faults.py, `make faults`): every case is one clear line, exit 2, files intact."""

import pytest

from faults import CASES, run_case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_gives_one_clear_line_and_keeps_files(case, tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEKIT_WORKDIR", str(tmp_path))  # restored after the case
    row = run_case(case, tmp_path)
    assert row["exit"] == 2 and row["ok"], row
    assert row["intact"], row
