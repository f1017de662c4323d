"""The SMART checklist (docs/smart-checklist.md) against the tests that name its items.

Every item 1-86 is named by a test (`smart.md N` in a comment or docstring) or carries a reason
in the doc; no item says "tested" without such a test; no test names an item outside 1-86.
`python -m tests.test_smart_checklist` prints the matrix: item -> test files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "smart-checklist.md"
TESTS = ROOT / "tests"
ITEMS = range(1, 87)
# The sandbox EHR's own tests show the server side of an item, not that the app meets it.
SERVER_SIDE = "tests/sandbox/"

# "smart.md 12", "smart.md 12, 13", "smart.md 70-71"; a list ends at anything else
# ("smart.md 31; RFC 6749 2.3.1" names 31 only, "smart.md 24 (RFC 9207 ...)" names 24 only).
_NUMBER = r"\d+(?:\s*[-\u2013]\s*\d+)?"
MARKER = re.compile(rf"smart\.md\s+({_NUMBER}(?:\s*,\s*{_NUMBER})*)")
ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)\|\s*$")
STATUS = re.compile(r"^(tested|not covered: \S.*|not applicable: \S.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One checklist row of the doc."""

    item: int
    summary: str
    status: str

    @property
    def tested(self) -> bool:
        """The doc claims a test covers the item."""
        return self.status == "tested"


def marked_items(text: str) -> tuple[int, ...]:
    """Every item number the `smart.md ...` markers in `text` name (ranges expanded)."""
    found: list[int] = []
    for match in MARKER.finditer(text):
        for part in match.group(1).split(","):
            low, _, high = part.strip().replace("\u2013", "-").partition("-")
            first, last = int(low), int(high or low)
            found.extend(range(first, last + 1) if last >= first else (first, last))
    return tuple(found)


def checklist_modules(root: Path = TESTS) -> tuple[Path, ...]:
    """The test modules (this one excluded: it quotes the marker form, it covers no item)."""
    here = Path(__file__).resolve()
    return tuple(path for path in sorted(root.rglob("test_*.py")) if path.resolve() != here)


def markers(files: Iterable[Path]) -> dict[int, tuple[str, ...]]:
    """Item number -> the test files (relative to the project) that name it."""
    matrix: dict[int, list[str]] = {}
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        for item in marked_items(path.read_text(encoding="utf-8")):
            names = matrix.setdefault(item, [])
            if name not in names:
                names.append(name)
    return {item: tuple(names) for item, names in sorted(matrix.items())}


def parse_doc(text: str) -> tuple[Row, ...]:
    """The checklist rows of the doc's table (item, summary, status)."""
    rows = []
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if match is None:
            continue
        cells = [cell.strip() for cell in match.group(2).split("|")]
        assert len(cells) >= 2, f"row {match.group(1)}: needs a summary and a status"
        rows.append(Row(item=int(match.group(1)), summary=cells[0], status=cells[1]))
    return tuple(rows)


def problems(rows: Iterable[Row], matrix: Mapping[int, tuple[str, ...]]) -> list[str]:
    """Every way the doc and the markers disagree with the rules above (empty when honest)."""
    found: list[str] = []
    by_item: dict[int, Row] = {}
    for row in rows:
        if row.item in by_item:
            found.append(f"item {row.item}: more than one row")
        by_item[row.item] = row
        if row.item not in ITEMS:
            found.append(f"item {row.item}: the checklist has items 1-86 only")
        if not row.summary:
            found.append(f"item {row.item}: no summary")
        if not STATUS.match(row.status):
            found.append(
                f"item {row.item}: status {row.status!r} is not tested / not covered: "
                "<reason> / not applicable: <reason>"
            )
    for item in ITEMS:
        entry = by_item.get(item)
        if entry is None:
            found.append(f"item {item}: no row in the doc")
        elif entry.tested and item not in matrix:
            found.append(f"item {item}: marked tested, but no test names it")
        elif entry.tested and all(f.startswith(SERVER_SIDE) for f in matrix[item]):
            found.append(f"item {item}: marked tested, but only the sandbox EHR's tests name it")
    for item, files in matrix.items():
        if item not in ITEMS:
            found.append(f"smart.md {item} in {', '.join(files)}: no such item (1-86)")
    return found


def test_marker_forms_are_read_as_written() -> None:
    assert marked_items("# smart.md 12") == (12,)
    assert marked_items("# smart.md 12, 13: why") == (12, 13)
    assert marked_items('"""Logs (smart.md 70-71)."""') == (70, 71)
    assert marked_items("# smart.md 31; RFC 6749 2.3.1") == (31,)
    assert marked_items("# smart.md 24 (RFC 9207 mix-up defence)") == (24,)
    assert marked_items("# smart.md: the token goes to the FHIR server only") == ()
    assert marked_items("# smart.md 5\nx = 1  # smart.md 65") == (5, 65)


def test_the_checks_catch_each_kind_of_gap() -> None:
    rows = tuple(Row(item=i, summary="s", status="tested") for i in ITEMS if i not in (3, 4))
    rows += (Row(item=4, summary="s", status="not covered"),)  # no reason given
    matrix = {i: ("tests/x.py",) for i in ITEMS if i != 2} | {87: ("tests/y.py",)}
    matrix[5] = ("tests/sandbox/test_proxy.py",)
    assert problems(rows, matrix) == [
        "item 4: status 'not covered' is not tested / not covered: <reason> / not applicable: "
        "<reason>",
        "item 2: marked tested, but no test names it",
        "item 3: no row in the doc",
        "item 5: marked tested, but only the sandbox EHR's tests name it",
        "smart.md 87 in tests/y.py: no such item (1-86)",
    ]


def test_every_item_is_tested_or_explained() -> None:
    rows = parse_doc(DOC.read_text(encoding="utf-8"))
    assert [row.item for row in rows] == list(ITEMS)
    assert problems(rows, markers(checklist_modules())) == []


def main() -> None:
    """Print the matrix: item, status in the doc, the test files naming it."""
    rows = {row.item: row for row in parse_doc(DOC.read_text(encoding="utf-8"))}
    matrix = markers(checklist_modules())
    for item in ITEMS:
        row = rows.get(item)
        status = row.status if row else "(no row)"
        print(f"{item:>2}  {status.split(':')[0]:<14}  {', '.join(matrix.get(item, ())) or '-'}")
    counts = {"tested": 0, "not covered": 0, "not applicable": 0}
    for row in rows.values():
        counts[row.status.split(":")[0]] = counts.get(row.status.split(":")[0], 0) + 1
    print(", ".join(f"{name}: {count}" for name, count in counts.items()))
    stale = [i for i in ITEMS if i in matrix and i in rows and not rows[i].tested]
    if stale:
        print("named by a test but not marked tested in the doc:", ", ".join(map(str, stale)))
    for problem in problems(rows.values(), matrix):
        print("PROBLEM:", problem)


if __name__ == "__main__":
    main()
