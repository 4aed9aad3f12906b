"""Rules of the architecture that are cheap to check (sqlite-utils' test_docs style)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
CORE_FILES = sorted((ROOT / "core").rglob("*.py"))
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_streamlit(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "streamlit" for a in node.names)
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "streamlit"


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_every_page_has_a_docstring_and_no_sql(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(source)), f"{path.name} needs a module docstring"
    assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b[^\n]*\b(FROM|INTO|SET)\b", source), (
        f"{path.name} contains SQL: move it into core/"
    )


def test_every_text_has_both_languages() -> None:
    for key, pair in CATALOGUE.items():
        assert len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair), key


def test_catalogue_keys_used_in_pages_exist() -> None:
    used: set[str] = set()
    for path in [*PAGE_FILES, ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in CATALOGUE)
    assert not missing, f"keys used but not in the catalogue: {missing}"
