"""The static type checker: mypy (configured in pyproject.toml) passes on src, with few, justified ignores."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "k351c"
MAX_IGNORES = 20
# `# type: ignore[code, ...]` and then, on the same line, `# why` (an ignore explains itself)
JUSTIFIED = re.compile(r"# type: ignore\[[a-z-]+(?:, ?[a-z-]+)*\]\s+#\s*\S")


def _cache_dir() -> Path:
    """mypy's incremental cache for this checkout, outside the tree (a warm cache takes seconds)."""
    key = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"k351c-mypy-{key}"


def test_mypy_passes_on_src() -> None:
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(_cache_dir()), "src"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success" in result.stdout


def test_type_ignores_are_few_and_each_names_its_error_and_reason() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "type: ignore" in line
    ]
    assert len(found) <= MAX_IGNORES, "\n".join(found)
    unexplained = [f for f in found if not JUSTIFIED.search(f)]
    assert not unexplained, "each ignore needs [error-code] and a # reason:\n" + "\n".join(unexplained)


def test_the_checker_finds_a_type_error(tmp_path: Path) -> None:
    """The configuration checks bodies: a wrong call inside an unannotated function is reported."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    return len(3)\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    command += ["--cache-dir", str(tmp_path / "cache"), str(sample)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "arg-type" in result.stdout, result.stdout
