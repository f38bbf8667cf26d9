"""`k351c bench`: run the scripts in benchmarks/ (metrology, DLMS GET, fleet) and write JSON and a Markdown table."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import typer

# script -> (arguments, quick arguments, how it reports: "path" = --json PATH, "stdout" = --json prints JSON)
BENCHMARKS: dict[str, tuple[list[str], list[str], str]] = {
    "metrology": (["--days", "2000"], ["--days", "200"], "path"),
    "dlms_get": (["--seconds", "3"], ["--seconds", "1"], "stdout"),
    "fleet": (
        ["--sweep-sample", "1000"],
        ["--quick", "--meters", "2000", "--sweep-sample", "100", "--rounds", "1", "--seconds", "1"],
        "path",
    ),
}


def find_benchmarks(start: Path | None = None) -> Path | None:
    """The benchmarks/ directory: in the working directory or beside the source tree."""
    candidates = [
        Path(start or Path.cwd()) / "benchmarks",
        Path(__file__).resolve().parents[3] / "benchmarks",
    ]
    return next((c for c in candidates if c.is_dir()), None)


def run_benchmark(script: Path, args: list[str], mode: str, timeout: float) -> dict:
    """Run one benchmark script in its own interpreter and return its JSON result (or the error)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        extra = ["--json", str(out)] if mode == "path" else ["--json"]
        try:
            proc = subprocess.run(
                [sys.executable, str(script), *args, *extra],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        if proc.returncode != 0:
            return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
        if mode == "path":
            return json.loads(out.read_text())
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {"error": "no JSON on stdout"}


def markdown(results: dict[str, dict]) -> str:
    """One table: benchmark, metric, value."""
    lines = ["| benchmark | metric | value |", "| --- | --- | ---: |"]
    for name, values in results.items():
        for key, value in values.items():
            shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
            lines.append(f"| {name} | {key} | {shown} |")
    return "\n".join(lines) + "\n"


def bench(
    only: list[str] = typer.Argument(
        None, help=f"Benchmarks to run (default all: {', '.join(BENCHMARKS)})."
    ),
    out: Path = typer.Option(
        Path("bench-results"), "--out", help="Directory for results.json and results.md."
    ),
    quick: bool = typer.Option(False, "--quick", help="Smaller runs (minutes -> seconds)."),
    timeout: float = typer.Option(1800.0, "--timeout", help="Seconds allowed per benchmark."),
) -> None:
    """Run the benchmarks side by side and write JSON and a Markdown table."""
    root = find_benchmarks()
    if root is None:
        typer.echo(
            "error: no benchmarks/ directory here or beside the sources (run from a checkout)",
            err=True,
        )
        raise typer.Exit(2)
    names = only or list(BENCHMARKS)
    results: dict[str, dict] = {}
    for name in names:
        script = root / f"{name}.py"
        if name not in BENCHMARKS or not script.exists():
            results[name] = {"error": f"no benchmark {script}"}
            continue
        full, small, mode = BENCHMARKS[name]
        typer.echo(f"running {name} ...", err=True)
        results[name] = run_benchmark(script, small if quick else full, mode, timeout)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (out / "results.md").write_text(table)
    typer.echo(table)
