"""The one zh/en text catalogue: ``t("nav.overview", "zh")``.

Each module in this package owns the texts of one area and defines
``TEXT: dict[str, tuple[str, str]]`` mapping a key to ``(中文, English)``. They are merged here;
a key defined twice is a bug and fails at import.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
LANG_LABELS = {"zh": "中文", "en": "English"}


def _load() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in getattr(module, "TEXT", {}).items():
            if key in merged:
                raise RuntimeError(f"i18n key {key!r} defined twice (second time in {info.name})")
            merged[key] = pair
    return merged


CATALOGUE: dict[str, tuple[str, str]] = _load()


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang``, formatted with ``values``; an unknown key shows itself."""
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in CATALOGUE
