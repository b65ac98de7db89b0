"""Dependencies point inward (api, ingest, events, cli -> services -> domain; SQLAlchemy only
in store), read from the imports of the sources."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import omnistock

ROOT = Path(omnistock.__file__).parent
PACKAGE = "omnistock"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[str]:
    """Every module `path` imports, relative imports made absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def modules(*, under: str | None = None) -> dict[str, set[str]]:
    where = ROOT / under if under else ROOT
    return {module_name(p): set(imported(p)) for p in sorted(where.rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def offenders(sources: dict[str, set[str]], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for module, names in sources.items():
        bad = sorted({f for f in forbidden for n in names if within(n, f)})
        if bad:
            found[module] = bad
    return found


OUTER = tuple(f"{PACKAGE}.{layer}" for layer in
              ("services", "store", "api", "ingest", "events", "cli"))


def test_imports_are_read_with_their_packages() -> None:
    names = modules(under="api/routes")[f"{PACKAGE}.api.routes.orders"]
    assert f"{PACKAGE}.services.orders" in names and f"{PACKAGE}.api.schemas.orders" in names


def test_domain_imports_no_outer_layer() -> None:
    assert offenders(modules(under="domain"), (*OUTER, "sqlalchemy")) == {}


def test_services_import_neither_ingest_nor_api() -> None:
    forbidden = (f"{PACKAGE}.ingest", f"{PACKAGE}.api")
    assert offenders(modules(under="services"), forbidden) == {}


def test_sqlalchemy_only_in_store() -> None:
    outside = {m: names for m, names in modules().items()
               if not within(m, f"{PACKAGE}.store")}
    assert offenders(outside, ("sqlalchemy",)) == {}


def test_planning_is_pure_like_the_domain() -> None:
    assert offenders(modules(under="planning"), (*OUTER, "sqlalchemy")) == {}
