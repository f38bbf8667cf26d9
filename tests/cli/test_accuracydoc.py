"""docs/metrology.md's accuracy-model table and charts are generated from the model and inside the limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from k351c.cli.accuracydoc import BEGIN, END, KINDS, all_rows, chart, render_table

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "regenerate with: python -m k351c.cli.accuracydoc docs"


@pytest.fixture(scope="module")
def rows():
    return all_rows()


def test_every_tabled_value_over_a_thousand_meters_is_inside_its_limit(rows):
    assert {(r.klass, r.kind) for r in rows} == {(k, kind) for k in "BC" for kind in KINDS}
    for r in rows:
        assert max(abs(r.low), abs(r.high)) <= r.limit + 1e-9, r
        assert r.low <= r.meter <= r.high
    typical = [
        r
        for r in rows
        if r.kind == "typical" and r.measure == "error" and "degC" not in r.condition
    ]
    assert all(max(abs(r.low), abs(r.high)) <= 0.5 * r.limit for r in typical)
    edge = [r for r in rows if r.kind == "class-limit" and r.measure == "error"]
    assert all(
        min(abs(r.low), abs(r.high)) >= 0.95 * r.limit for r in edge if "degC" not in r.condition
    )


def test_docs_block_is_current(rows):
    text = (DOCS / "metrology.md").read_text(encoding="utf-8")
    block = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert block == render_table(rows), REGENERATE


@pytest.mark.parametrize("kind", KINDS)
def test_chart_is_current(kind):
    svg = (DOCS / f"accuracy-{kind}.svg").read_text(encoding="utf-8")
    assert svg == chart(kind), REGENERATE
    assert svg.count("<polyline") >= 12 and f'accuracy = "{kind}"' in svg
