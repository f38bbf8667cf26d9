"""docs/dlms.md carries the conformance table generated from the suite's case tables."""

from table import DOC, current_section, render


def test_docs_dlms_md_conformance_table_is_current():
    assert current_section(DOC.read_text()) == render(), "regenerate: python tests/conformance/table.py --write"
