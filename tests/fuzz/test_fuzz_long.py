"""`pytest -m slow`: the long fuzz run of benchmarks/fuzz.py, 20,000 mutated captures per codec."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from fuzz_targets import TARGETS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("k351c_benchmark_fuzz", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_long_mutation_run_finds_no_crash_or_hang(name: str, tmp_path) -> None:
    figures = _benchmark().run_mutation(name, 20_000, 351, 1.0, tmp_path / "crashes")
    assert figures["inputs"] == 20_000
    assert figures["crashes"] == 0, figures["first_crashes"]
    assert figures["hangs"] == 0, figures
