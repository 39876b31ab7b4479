"""The direction of imports and the rules of DESIGN.md, checked on the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"
VENDORS = sorted(p.name for p in (PACKAGE / "vendors").iterdir() if p.is_dir() and not p.name.startswith("_"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(PACKAGE / "core"), ids=lambda p: p.name)
def test_core_imports_nothing_above_it(path: Path) -> None:
    above = [name for name in _imports(path)
             if name.startswith(("simulator.vendors", "simulator.admin", "simulator.app", "simulator.testing",
                                 "simulator.cli", "simulator.settings"))]
    assert not above, f"{path.name} imports {above}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendors_never_import_each_other_or_the_app(vendor: str) -> None:
    for path in _modules(PACKAGE / "vendors" / vendor):
        for name in _imports(path):
            other = re.match(r"simulator\.vendors\.(\w+)", name)
            assert not (other and other.group(1) != vendor), f"{path} imports {name}"
            assert not name.startswith(("simulator.app", "simulator.admin", "simulator.testing")), f"{path}: {name}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_models_know_nothing_of_http(vendor: str) -> None:
    models = PACKAGE / "vendors" / vendor / "models.py"
    assert not [n for n in _imports(models) if n.startswith(("starlette", "uvicorn", "httpx"))]


@pytest.mark.parametrize("vendor", VENDORS)
def test_seeding_stays_out_of_the_rules(vendor: str) -> None:
    """The namespace calls the seeder through the plugin (a codec may, to rebuild a baseline); rules never do."""
    folder = PACKAGE / "vendors" / vendor
    seeders = tuple(f"simulator.vendors.{vendor}.{name}" for name in ("seed", "population"))
    for name in ("models.py", "handlers.py", "handmade.py"):
        path = folder / name
        if path.exists():
            reached = [imported for imported in _imports(path) if imported.startswith(seeders)]
            assert not reached, f"{path.name} imports {reached}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_handlers_get_their_backend_typed(vendor: str) -> None:
    """Handlers take ``Call[Backend]``; re-declaring ``backend: X = call.backend`` means the Call is untyped."""
    handlers = (PACKAGE / "vendors" / vendor / "handlers.py").read_text(encoding="utf-8")
    assert not re.findall(r"^\s*backend: \w+ = call\.backend", handlers, re.MULTILINE)


def test_admin_does_not_import_vendors() -> None:
    for path in _modules(PACKAGE / "admin"):
        assert not [n for n in _imports(path) if n.startswith("simulator.vendors")], path


@pytest.mark.parametrize("path", _modules(PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_time_and_randomness_come_from_clock_and_rand(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(PACKAGE).as_posix()
    if relative not in ("core/clock.py",):
        assert not re.search(r"datetime\.now\(|time\.time\(|utcnow\(|time\.monotonic\(|perf_counter\(", text), relative
    if relative != "core/rand.py":
        assert "random" not in {n.split(".")[0] for n in _imports(path)}, relative


@pytest.mark.parametrize("path", _modules(PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 450


def test_requests_flow_through_named_stages_in_the_documented_order() -> None:
    from simulator.app import create_app

    pipeline = create_app().state.pipeline
    names = [stage.name for stage in [*pipeline.stages, *pipeline.reply_stages]]
    assert names == ["route", "admin guard", "body size", "namespace", "rate limit", "faults", "read body",
                     "validate", "authenticate", "handle", "persist", "mutate", "rate limit headers",
                     "replica header"]
    readme = " ".join((PACKAGE.parent / "README.md").read_text(encoding="utf-8").split())
    assert " → ".join(names) in readme


def test_no_request_state_travels_in_scope_keys() -> None:
    """One typed context carries a request through the stages; only the server protocol's verdict on
    the request head reaches the app in the scope (core/limits.py HEAD_PROBLEM)."""
    pattern = re.compile(r"""scope(\[|\.get\(|\.setdefault\()["']sim\.""")
    offenders = [f"{path.relative_to(PACKAGE)}:{number}" for path in _modules(PACKAGE)
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line)]
    assert not offenders
