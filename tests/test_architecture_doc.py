"""docs/architecture.md names only modules that exist, so the map cannot rot silently."""

import importlib
import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "src" / "k351c"

FULL_PATH = re.compile(r"src/k351c/[\w./-]*\w")
DOTTED = re.compile(r"\bk351c(?:\.[A-Za-z_]\w*)+")
# `meter/core.py`, `server/bench/adapters.py`, `clock.py`: paths relative to src/k351c in backticks
SHORT_PATH = re.compile(r"`((?:cli|web|server|protocols|cosem|axdr|meter|store|codes)/[\w./]*|\w+\.py)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _resolves(dotted: str) -> bool:
    """A module or package, or an attribute reached from the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ModuleNotFoundError:  # a parent is a module, not a package: try a shorter prefix
            continue
        obj = importlib.import_module(name)
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_full_path_exists():
    paths = set(FULL_PATH.findall(_text()))
    assert len(paths) > 40, "the doc should name the modules it maps"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing


def test_every_short_path_exists_under_the_package():
    paths = set(SHORT_PATH.findall(_text()))
    assert len(paths) > 40
    missing = sorted(p for p in paths if not (PACKAGE / p).exists())
    assert not missing, missing


def test_every_dotted_module_exists():
    names = set(DOTTED.findall(_text()))
    assert {"k351c.meter", "k351c.cosem", "k351c.protocols"} <= names
    missing = sorted(n for n in names if not _resolves(n))
    assert not missing, missing


def test_every_relative_link_resolves():
    targets = {t.split("#")[0] for t in LINK.findall(_text()) if "://" not in t}
    broken = sorted(t for t in targets if t and not (DOC.parent / t).exists())
    assert not broken, broken


def test_every_layer_of_the_import_contract_is_described():
    layers = re.findall(r'"(k351c\.[\w |.]+)"', (ROOT / "pyproject.toml").read_text())
    named = {name.strip() for layer in layers for name in layer.split("|") if "->" not in layer}
    text = _text()
    absent = sorted(n for n in named if f"`{n}`" not in text)
    assert not absent, absent


def _contract_layers() -> list[list[str]]:
    """The layers of the import-linter contract, top first, each as its packages' short names."""
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in contract["contracts"] if c["type"] == "layers"]
    return [[name.strip().removeprefix("k351c.") for name in layer.split("|")] for layer in layers]


def _picture() -> str:
    """The diagram: the first fenced block of the layers section."""
    section = _text().split("## The layers", 1)[1]
    return section.split("```", 2)[1]


BOX = re.compile(r"^\| (\w+) ")  # a box's first row: "| meter   core.py ..."
BOX_ROW = re.compile(r"^\|(.*?)\|")  # the text of a row of the left-most box


def _boxes(picture: str) -> list[tuple[str, str]]:
    """(package, text of its rows) for each box that starts at the left margin, top to bottom."""
    boxes: list[tuple[str, str]] = []
    for line in picture.splitlines():
        if (title := BOX.match(line)) is not None:
            boxes.append((title.group(1), ""))
        if (row := BOX_ROW.match(line)) is not None and boxes:
            boxes[-1] = (boxes[-1][0], boxes[-1][1] + " " + row.group(1))
    return boxes


def test_the_picture_stacks_the_layers_in_the_contract_order():
    rank = {name: i for i, layer in enumerate(_contract_layers()) for name in layer}
    picture = _picture()
    stacked = [name for name, _ in _boxes(picture)]
    assert len(stacked) >= 6, stacked
    assert all(name in rank for name in stacked), stacked
    ranks = [rank[name] for name in stacked]
    assert ranks == sorted(ranks), f"boxes {stacked} are not in the contract's order"
    drawn = set(re.findall(r"\b\w+\b", picture))
    assert not sorted(set(rank) - drawn), "every layer of the contract is in the picture"


def test_every_file_a_box_names_exists_in_its_package():
    missing = []
    for package, text in _boxes(_picture()):
        for name in re.findall(r"\b([\w]+\.py|[\w]+/)", text):
            if not ((PACKAGE / package / name).exists() or (PACKAGE / name).exists()):
                missing.append(f"{package}: {name}")
    assert not missing, missing


def test_readme_links_the_architecture_doc():
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_checks_catch_a_missing_module():
    assert not _resolves("k351c.meter.no_such_module")
    assert not _resolves("k351c.meter.core.NoSuchClass")
    assert _resolves("k351c.meter.core.Meter")
    assert not (PACKAGE / "meter/no_such.py").exists()
