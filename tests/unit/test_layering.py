"""Dependencies run one way: bot → handlers, notifications → core → config (DESIGN §3);
core's packages are entered through their front doors, and tables stay inside core."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "config": {"core", "bot", "handlers", "notifications"},
    "core": {"bot", "handlers", "notifications", "wechatpy", "aiohttp", "jinja2"},
    "handlers": {"bot", "notifications", "wechatpy", "aiohttp"},
    "notifications": {"bot", "handlers", "wechatpy", "aiohttp"},
    "rendering": {"bot", "handlers", "notifications", "wechatpy", "aiohttp"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {file: bad for file, bad in offenders.items() if bad} == {}


# Packages of core: callers import from the package (``from core.ledger import submit``, or
# ``from core import ledger``), never from its modules. ``core.storage.models`` is public:
# every package's tables share its ``Base``.
CORE = ROOT / "core"
PACKAGES = sorted(p.name for p in CORE.iterdir() if (p / "__init__.py").exists())
PUBLIC_MODULES = {"core.storage.models"}
# Inside core, modules of another package are imported only to break an import cycle:
# submitting a document opens an approval and deciding an approval posts the document, so
# approvals takes the ledger modules it needs directly (ledger reaches approvals through the
# package, at call time).
# Adding an item by chat is a ledger command checked like a document line's price, while the
# ledger looks items up in the catalog: catalog takes those two ledger modules directly.
# Production and issues post documents while every document backflushes its kits: the ledger
# reaches core.recipes through the package, at call time, so recipes needs no break.
CYCLE_BREAKS = {
    ("approvals", "core.ledger.commands"),
    ("approvals", "core.ledger.documents_view"),
    ("approvals", "core.ledger.numbering"),
    ("approvals", "core.ledger.planning"),
    ("approvals", "core.ledger.policy"),
    ("approvals", "core.ledger.validation"),
    ("audit", "core.storage.driver_rows"),  # core.storage.uow imports core.audit
    ("catalog", "core.ledger.commands"),
    ("catalog", "core.ledger.validation"),
}
OUTSIDE = ("bot", "handlers", "notifications", "config", "tests", "benchmarks")
# Outside core the database is only a handle passed to core: engines, URLs and error types.
SQLALCHEMY_OUTSIDE_CORE = {"sqlalchemy.engine", "sqlalchemy.exc", "sqlalchemy.ext.asyncio"}


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Modules ``path`` imports, with ``from core.x import y`` counted as ``core.x.y`` when
    ``y`` is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                if importlib.util.find_spec(node.module) and _is_module(
                    f"{node.module}.{alias.name}"
                ):
                    found.add(f"{node.module}.{alias.name}")
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def private_module(name: str) -> str | None:
    """The package whose private module ``name`` is, or None when ``name`` is public."""
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "core" or parts[1] not in PACKAGES:
        return None
    if ".".join(parts[:3]) in PUBLIC_MODULES:
        return None
    package = importlib.import_module(f"core.{parts[1]}")
    if len(parts) == 3 and parts[2] in getattr(package, "__all__", ()):
        return None  # a namespace the package exports (core.messaging's inbox, outbox, ...)
    return parts[1]


def test_callers_outside_core_import_packages_not_their_modules() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if private_module(m))
        for path in python_files(*OUTSIDE)
    }
    assert {file: bad for file, bad in offenders.items() if bad} == {}


def test_core_packages_reach_into_each_other_only_to_break_a_cycle() -> None:
    offenders = {}
    for path in python_files("core"):
        own = path.relative_to(CORE).parts[0]
        bad = sorted(
            m
            for m in imported_modules(path)
            if private_module(m) not in (None, own) and (own, m) not in CYCLE_BREAKS
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_each_core_package_imports_first_on_its_own(package: str) -> None:
    """Import order never matters: each package can be the first one imported."""
    subprocess.run([sys.executable, "-c", f"import core.{package}"], cwd=ROOT, check=True)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_core_package_says_what_it_exports(package: str) -> None:
    module = importlib.import_module(f"core.{package}")
    assert module.__doc__ and module.__doc__.strip()
    exported = getattr(module, "__all__", None)
    assert exported, f"core.{package} has no __all__"
    assert [name for name in exported if not hasattr(module, name)] == []


def test_no_table_access_outside_core() -> None:
    """Statements and table classes stay in core; the rest only hands core a unit of work."""
    offenders = {}
    for path in python_files("bot", "handlers", "notifications"):
        bad = sorted(
            m
            for m in imported_modules(path)
            if m.split(".")[0] == "sqlalchemy" and m not in SQLALCHEMY_OUTSIDE_CORE
        )
        bad += sorted(f"table {name}" for name in _names_used(path) & TABLES)
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_core_hands_views_not_rows_to_callers_outside_core() -> None:
    """What bot, handlers and notifications call in core returns plain views (core.common.views)."""
    offenders = {}
    for path in python_files("bot", "handlers", "notifications"):
        bad = sorted(
            f"{owner}.{name} -> {returns}"
            for owner, name, returns in _core_calls(path)
            if TABLE_NAME.search(returns)
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def _table_names() -> set[str]:
    from core.storage.models import Base

    return {mapper.class_.__name__ for mapper in Base.registry.mappers}


TABLES = _table_names()
TABLE_NAME = re.compile(r"\b(" + "|".join(sorted(TABLES)) + r")\b")


def _core_imports(tree: ast.AST) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Local names bound to core modules, and (module, name) pairs imported by name."""
    modules: dict[str, str] = {}
    names: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_module(full):
                    modules[alias.asname or alias.name] = full
                else:
                    names.add((node.module, alias.name))
    return modules, names


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, names = _core_imports(tree)
    used = {name for _, name in names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            used.update([node.attr] if node.value.id in modules else [])
    return used


def _core_calls(path: Path) -> set[tuple[str, str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, names = _core_imports(tree)
    pairs = set(names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pairs.update([(modules[node.value.id], node.attr)] if node.value.id in modules else [])
    found = set()
    for owner, name in pairs:
        target = getattr(importlib.import_module(owner), name, None)
        if inspect.isfunction(target):
            returns = inspect.signature(target).return_annotation
            found.add((owner, name, str(returns)))
    return found


def test_the_production_entry_points_load_no_benchmarks_or_dev_support() -> None:
    """``jxc`` and the app import the benchmarks only when ``jxc bench`` runs."""
    probe = (
        "import sys, bot.cli, bot.app\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'benchmarks', 'devsupport'})\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True)


def test_core_common_is_a_leaf_every_package_may_import() -> None:
    """``core.common`` (clock, errors, names, views) imports no other package of core, so any
    package can use it without a cycle."""
    reached = {
        str(path.relative_to(ROOT)): sorted(
            name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            for name in [node.module]
            if name.startswith("core") and not name.startswith("core.common")
        )
        for path in (CORE / "common").glob("*.py")
    }
    assert {file: names for file, names in reached.items() if names} == {}
