"""Building blocks of the access matrix (`test_access_matrix.py`), shared with the apps.

Each app that adds URLs or API operations classifies them in its own
`cosodang/<app>/tests/access_cases.py` (or several `access_cases_<area>.py` modules, one per
area of a large app), which may define any of:

- ``TARGETS``: ``{name: world -> object}`` objects of province A an id can point at;
- ``OBJECT_CASES``: ``list[Case]`` object URLs with who may reach them;
- ``API_OPERATIONS``: ``{(METHOD, path template): ApiOp | reason}`` one entry per operation;
- ``EXTRA_API_CASES``: ``list[ApiOp]`` further calls carrying one of A's ids;
- ``API_OBJECT_URL_NAMES``: ``set[str]`` ninja URL names covered by ``API_OPERATIONS``;
- ``NO_OBJECT_URLS``: ``{url name: NoObject}`` URLs that take no object, with the reason.

The matrix collects every such module, so a new URL fails the classification test until its
app says who may reach it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from django.apps import apps
from django.urls import reverse

from cosodang.core.testing import World

PERSONAS = ("admin", "staff_a", "secretary_a", "member_a", "inspector_a", "staff_b")
ALL = frozenset(PERSONAS)
API_PREFIX = "/api/v1"

DAY = "15/01/2026"
ISO_DAY = "2026-01-15"

VIEWERS_OF_PROVINCE_A = frozenset({"admin", "staff_a", "inspector_a"})
VIEWERS_OF_CELL_A = VIEWERS_OF_PROVINCE_A | {"secretary_a"}
MANAGERS_OF_A = frozenset({"admin", "staff_a"})
EDITORS_OF_CELL_A = MANAGERS_OF_A | {"secretary_a"}
NO_EDITOR = {"member_a": 404, "inspector_a": 404}

# Objects of province A an id can point at, by name; filled by the matrix and the apps.
TARGETS: dict[str, Callable[[World], Any]] = {}

_PATH_PARAM = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class Case:
    """One object URL filled with one of A's objects, and the personas who may reach it."""

    name: str
    target: str
    allowed: frozenset[str]
    extra: dict[str, str] = field(default_factory=dict)
    get_page: bool = True  # False: POST-only, a GET answers 404/405 to everyone
    post: Callable[[World], dict[str, Any]] | None = None  # a write URL: its POST body

    @property
    def id(self) -> str:
        return f"{self.name}[{self.target}]"

    def url(self, w: World) -> str:
        return reverse(self.name, kwargs={"pk": TARGETS[self.target](w).pk, **self.extra})


@dataclass(frozen=True)
class ApiOp:
    """One API operation filled with A's objects (in the path or the body)."""

    method: str
    path: str  # template, as in the OpenAPI schema
    target: str | None  # fills the single path parameter
    allowed: frozenset[str]
    body: Callable[[World], dict[str, Any]] | None = None
    query: Callable[[World], dict[str, Any]] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, w: World) -> str:
        if self.target is None:
            return self.path
        return _PATH_PARAM.sub(str(TARGETS[self.target](w).pk), self.path)


@dataclass(frozen=True)
class NoObject:
    """A URL that takes no object id, why it needs no object scoping, and what it answers."""

    reason: str
    kwargs: dict[str, str] = field(default_factory=dict)
    status: int = 200  # GET by any logged-in persona
    overrides: dict[str, int] = field(default_factory=dict)  # persona -> status
    api: bool = False  # called with a Bearer token


def app_case_modules() -> list[ModuleType]:
    """Return the `tests/access_cases*.py` modules of every installed cosodang app."""
    out = []
    for config in apps.get_app_configs():
        if not config.name.startswith("cosodang."):
            continue
        for path in sorted((Path(config.path) / "tests").glob("access_cases*.py")):
            out.append(importlib.import_module(f"{config.name}.tests.{path.stem}"))
    return out
