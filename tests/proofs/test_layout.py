"""The layout's import rules (README, "Layout"), checked over every module's imports.

- The GraphQL machinery (``api/schema/engine``) imports no domain folder of the schema or the services.
- What the services share (``api/services/shared``) and key management and retention
  (``api/services/protection``) import no domain folder of the services.
- A schema domain folder takes from another domain's folder only its types (a case's host is a
  congregation): never its mutations or inputs.
- A service domain folder calls another domain's services only where the workflow crosses domains,
  and each such crossing is listed here, so a new one is a decision, not an accident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("sanctuary", "accompaniment", "rapid_response", "advocacy", "network")
SCHEMA_DOMAIN_PREFIXES = tuple(f"api.schema.{domain}" for domain in DOMAINS)
SERVICE_DOMAIN_PREFIXES = tuple(f"api.services.{domain}" for domain in DOMAINS)
NOT_TYPES = ("mutations", "inputs")  # the last part of a schema module that is not a types module ends so
# (from domain, to module): the workflows that cross domains
SERVICE_CROSSINGS = {
    ("sanctuary", "api.services.advocacy.actions"),  # withdrawing public-story consent unlinks actions
    ("accompaniment", "api.services.rapid_response.detention"),  # a detention opens a rapid-response incident
    ("accompaniment", "api.services.network.trainings"),  # only trained volunteers are offered
    ("rapid_response", "api.services.network.trainings"),  # trained legal observers and dispatchers
}


def _modules(folder: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def _imports(path: Path) -> Iterator[str]:
    """Every module a file imports (``from a import b`` yields ``a.b`` as well as ``a``: b may be a module)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _domain(name: str) -> str:
    return name.split(".")[2]


def test_the_machinery_imports_no_domain() -> None:
    offenders = [
        f"{module} imports {target}"
        for module, path in _modules("api/schema/engine")
        for target in _imports(path)
        if _under(target, SCHEMA_DOMAIN_PREFIXES + SERVICE_DOMAIN_PREFIXES)
    ]
    assert offenders == []


def test_shared_services_and_protection_import_no_domain() -> None:
    offenders = [
        f"{module} imports {target}"
        for folder in ("api/services/shared", "api/services/protection")
        for module, path in _modules(folder)
        for target in _imports(path)
        if _under(target, SERVICE_DOMAIN_PREFIXES)
    ]
    assert offenders == []


def test_schema_domains_take_only_types_from_each_other() -> None:
    offenders = []
    for module, path in _modules("api/schema"):
        if not _under(module, SCHEMA_DOMAIN_PREFIXES):
            continue
        for target in _imports(path):
            crosses = _under(target, SCHEMA_DOMAIN_PREFIXES) and _domain(target) != _domain(module)
            if crosses and len(target.split(".")) >= 4 and target.split(".")[3].endswith(NOT_TYPES):
                offenders.append(f"{module} imports {target}")
    assert offenders == []


def test_service_domains_cross_only_where_the_workflow_does() -> None:
    crossings = set()
    for module, path in _modules("api/services"):
        if not _under(module, SERVICE_DOMAIN_PREFIXES):
            continue
        for target in _imports(path):
            is_module = len(target.split(".")) == 4  # a module of a domain folder, not a name inside one
            if is_module and _under(target, SERVICE_DOMAIN_PREFIXES) and _domain(target) != _domain(module):
                crossings.add((_domain(module), target))
    assert crossings == SERVICE_CROSSINGS


def test_every_folder_of_the_layout_is_a_package_with_its_job_written_down() -> None:
    folders = [p.parent for p in (ROOT / "api").rglob("*.py")] + [p.parent for p in (ROOT / "tests").rglob("*.py")]
    missing = sorted(
        str(folder.relative_to(ROOT))
        for folder in set(folders)
        if not (folder / "__init__.py").exists() or not (folder / "__init__.py").read_text().strip()
    )
    assert missing == []
