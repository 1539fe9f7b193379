"""DESIGN.md "Layout", checked over the code rather than trusted to review: views, API views and tasks do
no ORM work of their own; raw SQL lives in a few named selector and service modules; the folder, not a
name prefix, tells which sub-domain a module belongs to; apps talk to each other through services,
selectors and access helpers, never through another app's private modules nor its model managers, and a
view never reaches into another app's models or views.

Every rule reads the syntax tree (``ast``) of every product module, not its text: a regex misses
``X.objects.select_related().get(`` or a call split over lines, and trips over comments and strings.

Definitions (the tests below use exactly these):

* **Product module**: a file of ``git ls-files '*.py'`` outside ``tests/``, ``bench/`` and ``migrations/``.
* **App**: a top-level package of :data:`APPS`. Its sub-packages are the same app (``support.desk`` and
  ``support.records`` are both ``support``).
* **View module**: a module named ``views.py`` or ``api.py``, or any module inside a ``views/`` or
  ``api/`` package. That includes the shared API plumbing in ``cs_platform/api/`` (key auth, throttle,
  parsers, pagination): it runs in the request like a view, so it is held to the same rules, with the
  allow-list entries below where it cannot be.
* **Layer module** (the "views, API views and tasks" of DESIGN.md): a view module, or a module named
  ``tasks.py`` or inside a ``tasks/`` package.
* **ORM work**, forbidden in a layer module (:func:`orm_work`):
  - any access to ``.objects``, ``._base_manager`` or ``._default_manager`` (where a query starts from
    a model class, whatever follows: ``X.objects.select_related().get(...)``, ``self.model.objects``);
  - a call of a queryset method that no built-in type has: :data:`QUERYSET_METHODS` (``.filter(``,
    ``.order_by(``, ``.first()`` ...). The names that dicts, lists, strings or paths have too
    (``.get``, ``.count``, ``.update``, ``.values``, ``.create``, ``.exists``) are left out, so
    ``selectors.ticket_list(tenant=t).count()`` in a view is not caught: the test catches every query a
    layer module *starts*, not every use of a queryset a selector handed it;
  - a write or reload of a model instance: ``.save()``, ``.delete()``, ``.refresh_from_db()``. The one
    exception is ``form.save(commit=False)``, which only builds the unsaved instance that the view
    hands to a service;
  - raw SQL (below), and the query helpers called by name: :data:`QUERY_HELPERS`
    (``get_object_or_404``, ``Prefetch``, ``Subquery`` ...);
  - an import from ``django.db`` of anything but an exception class (``IntegrityError``) or, from
    ``django.db.models``, ``QuerySet`` / ``Model`` for annotations: ``connection``, ``transaction``,
    ``Q``, ``F``, ``Count`` ... are how queries are built or run (a transaction belongs to a service).
* **Raw SQL**, forbidden in every product module outside :data:`RAW_SQL_ALLOWED`: a call of
  ``.cursor()``, ``.raw(``, ``.extra(`` or ``RawSQL(``.
* **Module names** (:func:`naming_findings`): inside an app (``management/`` excepted: command names
  are user-facing), a module or package whose name joins a layer name (:data:`LAYER_WORDS`, singular or
  plural) with another word (``desk_views``, ``views_presence``, ``usage_api``, ``api_urls``,
  ``catalog_selectors``) fails: it belongs in a package's own ``views``/``api``/... module. At an app's
  top level a name that starts with a sub-domain prefix (:data:`SUBDOMAIN_PREFIXES`, plus every
  sub-domain package of any app: ``desk_``, ``kb_``, ``sla_``, ``usage_`` ...) fails: it belongs in
  that sub-domain's package.
* **Imports** (:func:`import_findings`), in every product module:
  - a module of another app whose path has a private segment (``accounts.views._common``), or a
    private name (``_write``) imported from another app, fails: only an app's public services,
    selectors and access helpers are its interface. Within one app private imports are allowed;
  - a view module importing another app's ``models`` or ``views`` (any path segment, so
    ``accounts.models.tenants`` too, type hints included) fails: use that app's access helpers and
    selectors. Allowed: imports under ``if TYPE_CHECKING:`` (never executed, so no runtime
    coupling), and the shared base DESIGN.md tells every app to build on (:data:`SHARED_BASE`:
    ``cs_platform.api.views`` holds the list and bulk view bases, not another app's pages).
* **Another app's models** (:func:`foreign_model_use`), in every product module of an app: no use of the
  manager (``.objects``, ``._base_manager``, ``._default_manager``, whatever follows: reads and writes
  alike) of a class imported from the ``models`` of another app (``from accounts.models import Contact``
  then ``Contact.objects.filter(...)``; aliased, ``import accounts.models as am`` / ``am.Contact``, or
  spelled ``accounts.models.Contact.objects``), and no ``.save()`` / ``.delete()`` of an instance the
  module constructs from such a class (``Contact(...).save()``, or ``c = Contact(...)`` then ``c.save()``
  in the same function). Reads go through the owning app's ``selectors`` / ``access`` helpers, writes
  through its ``services``. ``accounts.Tenant`` is no exception: finding a tenant is tenancy, which lives
  in accounts. Out of this rule's scope, on purpose: Django's user model (``get_user_model()``,
  ``auth.User``), which is not one of :data:`APPS`; raw SQL, by which the allow-listed selectors
  (``support/reports``, ``health/usage``) join other apps' tables (:data:`RAW_SQL_ALLOWED` governs it);
  ForeignKeys to, type hints of and ``isinstance`` checks against another app's models, which run no
  query; a queryset another app's selector returned, which the caller may refine (the owning app decided
  where the query starts). Out of its reach: an instance met through a relation (``ticket.contact.save()``)
  or a class passed around in a variable (``self.model.objects``), whose app the syntax tree cannot know.

Every allow-list says why, and an entry that no longer matches anything fails too, so the lists only shrink.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "support", "health", "learning", "surveys", "cs_platform")

LAYER_WORDS = frozenset({
    "models", "model", "services", "service", "selectors", "selector", "access", "views", "view", "api",
    "forms", "form", "tasks", "task", "urls", "url", "admin",
})
# Sub-domain prefixes that must not start a module at an app's top level; every sub-domain package that
# exists (support/desk, health/usage, ...) is added by :func:`subdomain_prefixes`.
SUBDOMAIN_PREFIXES = frozenset({
    "desk", "kb", "qa", "report", "reports", "sla", "team", "teams", "merge", "merges", "knowledge",
    "helpcenter", "callback", "callbacks", "presence", "usage", "catalog", "score", "scores", "alert",
    "alerts", "issue", "issues", "records",
})
NOT_SUBDOMAINS = frozenset({"management", "migrations", "templatetags"})

QUERYSET_METHODS = frozenset({
    "filter", "exclude", "annotate", "alias", "aggregate", "select_related", "prefetch_related", "order_by",
    "values_list", "only", "defer", "distinct", "select_for_update", "bulk_create", "bulk_update",
    "get_or_create", "update_or_create", "in_bulk", "all", "first", "last", "earliest", "latest",
})
MANAGER_ATTRIBUTES = frozenset({"objects", "_base_manager", "_default_manager"})
INSTANCE_WRITES = frozenset({"save", "delete", "refresh_from_db"})
FOREIGN_INSTANCE_WRITES = frozenset({"save", "delete"})
RAW_SQL_METHODS = frozenset({"cursor", "raw", "extra"})
QUERY_HELPERS = frozenset({
    "RawSQL", "get_object_or_404", "get_list_or_404", "Prefetch", "prefetch_related_objects", "Subquery",
    "OuterRef", "Exists",
})
# What a layer module may import from django.db.models (annotations); exception classes are always fine.
DJANGO_DB_MODELS_ALLOWED = frozenset({"QuerySet", "Model"})

# The shared base of DESIGN.md's Layout ("the shared base every app uses"): importing it is the point.
SHARED_BASE = ("cs_platform.api", "cs_platform.web")

# Layer modules allowed ORM work of their own, with the reason. Empty: API-key authentication
# (cs_platform/api/auth.py) looks the key up and stamps its use through accounts' selector and service.
ORM_IN_LAYER_ALLOWED: dict[str, str] = {}
# Product modules allowed raw SQL, with the reason. Every other module uses the ORM.
RAW_SQL_ALLOWED = {
    "learning/progress.py": "refresh_status: started/completed of many enrollments decided in one UPDATE ... FROM "
                            "(lateral counts of required steps done), certificate codes made by the database",
    "accounts/selectors.py": "external-id lookups: `= ANY(%s::text[])` binds one array, not an IN list of 1,000",
    "accounts/services/contacts.py": "contacts first met in usage events: one INSERT ... ON CONFLICT from "
                                     "unnest() arrays, and the batched last-seen UPDATE",
    "health/usage/selectors/adoption.py": "set-based adoption figures over the rollups view (one query per family); "
                                          "its `_rows` also runs account_usage.py's reads of the usage tab and "
                                          "health/scores/inputs.py's score inputs (one statement per family)",
    "health/scores/services.py": "the score recompute: one chunk per tenant at a time under "
                                 "pg_advisory_xact_lock",
    "health/scores/dirty.py": "the dirty flag: one INSERT ... SELECT of the tenant's existing accounts (or of the "
                              "accounts of contacts), ON CONFLICT renewing the mark (a writer marks many "
                              "accounts in one statement); the batch's DELETE of exactly the marks it read "
                              "(unnest of ids and times)",
    "health/alerts/services.py": "the alerts of an evaluation: one INSERT ... ON CONFLICT DO NOTHING RETURNING, which "
                                 "tells exactly which causes this run raised when two evaluations run at once",
    "health/usage/selectors/catalog.py": "unknown event names: a grouped anti-join over the rollups view",
    "health/usage/services/ingest.py": "ingestion: COPY into the staging table and the set-based insert from it",
    "health/usage/services/partitions.py": "the events table's monthly partitions, created and dropped through the "
                                           "owner's functions under an advisory lock",
    "accounts/management/commands/migrate.py": "the app role's grants, after the migrations, as the owner",
    "cs_platform/db/rls.py": "row-level security: the catalogue of tenant-owned relations, their policies and "
                             "the app role's grants (the migration operation)",
    "health/usage/services/retention.py": "retention: DELETE per partition (the events table has no model manager)",
    "health/usage/services/rollups.py": "the rollup merge: set-based upsert from the pending batches",
    "learning/events.py": "product tasks completed set-based from the usage events (INSERT ... SELECT with "
                                 "a LATERAL look-up per waiting step, partition-pruned) and the near-miss reads",
    "support/knowledge/selectors.py": "frequent terms: ts_stat() over the compiled ORM subquery",
    "support/qa/selectors.py": "calibration pairs: a self-join of reviews in one query",
    "support/qa/services.py": "QA sampling: per-agent random sample in one statement, under an advisory lock",
    "surveys/services.py": "the default survey's first use, under an advisory lock per tenant and kind",
    "surveys/sending/services.py": "the sender's decisions per tenant under pg_try_advisory_xact_lock (a second run "
                                   "skips instead of passing the fatigue budget twice)",
    "learning/emails/services.py": "the learning emails' decisions per tenant under pg_try_advisory_xact_lock (a "
                                   "second run stops instead of emailing a contact twice)",
    "support/records/backlog.py": "the backlog's open spans: derived (written) by records.services.tickets and "
                                  "read by reports.families; one module keeps the write and the read of "
                                  "the span table to one definition",
    "support/reports/sql.py": "the support report's per-period LATERAL queries: the builder and the cursor that "
                              "runs every family query of reports/families.py",
    "support/reports/distributions.py": "a reports selector (the duration histograms in one query), beside "
                                        "selectors.py, built from sql.py's inclusion and attribution SQL",
    "support/reports/services.py": "the support-cost upsert serialised per tenant by an advisory lock",
    "learning/services.py": "enrollment: one INSERT ... ON CONFLICT DO NOTHING RETURNING from unnest() arrays, which "
                            "counts exactly the rows it inserted",
    "learning/reports/selectors.py": "the learning figures: per-path cohort aggregates with percentile_cont, the "
                                     "drop-off by step (correlated per enrollment and step) and trained contacts",
}
# View modules allowed to import another app's models, with the reason.
CROSS_APP_VIEW_IMPORT_ALLOWED = {
    "cs_platform/api/auth.py": "authenticates with the accounts app's ApiKey: recognises it on request.auth by "
                               "its class (accounts.selectors.active_api_key looks it up)",
    "cs_platform/api/throttle.py": "rate-limits per accounts.ApiKey, recognised on request.auth by its class",
}
# Product modules allowed to use another app's model managers or write its instances, with the reason.
# Empty: every module reads other apps' rows through their selectors and access helpers (Tenant included:
# tenancy lives in accounts) and writes them through their services.
CROSS_APP_MODEL_ALLOWED: dict[str, str] = {}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


# --- the code base ------------------------------------------------------------------------------


@functools.cache
def product_files() -> tuple[str, ...]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return tuple(f for f in out.split()
                 if not f.startswith(("tests/", "bench/")) and "/migrations/" not in f)


@functools.cache
def parsed(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(), filename=path)


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def is_view_module(path: str) -> bool:
    parts = path.removesuffix(".py").split("/")
    return parts[-1] in ("views", "api") or any(p in ("views", "api") for p in parts[:-1])


def is_layer_module(path: str) -> bool:
    parts = path.removesuffix(".py").split("/")
    return is_view_module(path) or parts[-1] == "tasks" or "tasks" in parts[:-1]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# --- ORM work and raw SQL -----------------------------------------------------------------------


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def raw_sql(tree: ast.AST, path: str) -> list[Finding]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if isinstance(node.func, ast.Attribute) and name in RAW_SQL_METHODS:
            found.append(Finding(path, node.lineno, f"raw SQL: .{name}("))
        elif name == "RawSQL":
            found.append(Finding(path, node.lineno, "raw SQL: RawSQL("))
    return found


def _commit_false(call: ast.Call) -> bool:
    return any(k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
               for k in call.keywords)


def _django_db_import(node: ast.ImportFrom | ast.Import) -> list[str]:
    """The names of a django.db import that build or run queries (exception classes excepted)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name == "django.db" or a.name.startswith("django.db.")]
    module = node.module or ""
    if node.level or not (module == "django.db" or module.startswith("django.db.")):
        return []
    allowed = DJANGO_DB_MODELS_ALLOWED if module == "django.db.models" else frozenset()
    return [f"{module}.{a.name}" for a in node.names if not a.name.endswith("Error") and a.name not in allowed]


def orm_work(tree: ast.AST, path: str) -> list[Finding]:
    """Everything in ``tree`` that is ORM work by the definition in this module's docstring."""
    found = raw_sql(tree, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRIBUTES:
            found.append(Finding(path, node.lineno, f"manager access .{node.attr}"))
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if isinstance(node.func, ast.Attribute) and name in QUERYSET_METHODS:
                found.append(Finding(path, node.lineno, f"queryset call .{name}("))
            elif isinstance(node.func, ast.Attribute) and name in INSTANCE_WRITES:
                if not (name == "save" and _commit_false(node)):
                    found.append(Finding(path, node.lineno, f"model write .{name}("))
            elif name in QUERY_HELPERS and name != "RawSQL":
                found.append(Finding(path, node.lineno, f"query helper {name}("))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for name in _django_db_import(node):
                found.append(Finding(path, node.lineno, f"imports {name}"))
    return sorted(set(found), key=lambda f: (f.line, f.what))


# --- module names -------------------------------------------------------------------------------


def subdomain_prefixes(paths: Iterable[str]) -> frozenset[str]:
    """:data:`SUBDOMAIN_PREFIXES` plus every package directly inside an app that is not a layer."""
    packages = {p.split("/")[1] for p in paths
                if p.count("/") >= 2 and p.split("/")[0] in APPS}
    return SUBDOMAIN_PREFIXES | {p for p in packages if p not in LAYER_WORDS and p not in NOT_SUBDOMAINS}


def naming_findings(paths: Iterable[str]) -> list[Finding]:
    paths = list(paths)
    prefixes = subdomain_prefixes(paths)
    found: dict[str, Finding] = {}
    for path in paths:
        parts = path.split("/")
        if parts[0] not in APPS or "management" in parts:
            continue
        for depth in range(1, len(parts)):
            name = parts[depth].removesuffix(".py")
            where = "/".join(parts[:depth + 1])
            if name == "__init__" or where in found:
                continue
            words = name.split("_")
            if name not in LAYER_WORDS and LAYER_WORDS.intersection(words):
                found[where] = Finding(path, 1, f"{name}: a layer name joined with another word; use a "
                                                f"package's own {sorted(LAYER_WORDS.intersection(words))[0]} module")
            elif depth == 1 and any(name.startswith(f"{p}_") for p in prefixes):
                prefix = next(p for p in sorted(prefixes) if name.startswith(f"{p}_"))
                found[where] = Finding(path, 1, f"{name}: sub-domain prefix {prefix}_ at the app's top; "
                                                f"put it in {parts[0]}/{prefix}/")
    return sorted(found.values(), key=lambda f: f.path)


# --- imports ------------------------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import with whether it only runs for type checkers (in the body of ``if TYPE_CHECKING:``)."""

    def walk(node: ast.AST, typing_only: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, typing_only
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, True)
            for child in node.orelse:
                yield from walk(child, typing_only)
            return
        for child in ast.iter_child_nodes(node):
            yield from walk(child, typing_only)

    yield from walk(tree, False)


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_findings(tree: ast.AST, path: str, known_modules: frozenset[str]) -> list[Finding]:
    importer = module_name(path)
    own_app = app_of(importer)
    view = is_view_module(path)
    found = []
    for node, typing_only in _imports(tree):
        if isinstance(node, ast.Import):
            targets = [(a.name, None) for a in node.names]
        else:
            source = _absolute(node, importer, path.endswith("__init__.py"))
            # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name`` a name of mod.
            targets = [((f"{source}.{a.name}" if f"{source}.{a.name}" in known_modules else source), a.name)
                       for a in node.names]
        for target, name in targets:
            target_app = app_of(target)
            if target_app is None or target_app == own_app:
                continue
            segments = target.split(".")
            if any(_private(s) for s in segments):
                found.append(Finding(path, node.lineno, f"imports {target}, a private module of {target_app}"))
            elif name is not None and _private(name):
                found.append(Finding(path, node.lineno, f"imports {name} from {target}, a private name of "
                                                        f"{target_app}"))
            if (view and not typing_only and not target.startswith(SHARED_BASE)
                    and {"models", "views"}.intersection(segments[1:])):
                found.append(Finding(path, node.lineno, f"a view imports {target} of the {target_app} app; use its "
                                                        "access helpers or selectors"))
    return sorted(set(found), key=lambda f: (f.line, f.what))


# --- another app's models ----------------------------------------------------------------------


def _bindings(tree: ast.AST, importer: str, is_package: bool) -> dict[str, str]:
    """Local name -> the dotted path an import binds it to: ``Contact`` -> ``accounts.models.Contact``,
    ``am`` -> ``accounts.models`` (``import accounts.models as am``), ``accounts`` -> ``accounts``
    (``import accounts.models``). Every import of the module counts, those inside functions too."""
    bound: dict[str, str] = {}
    for node, _typing_only in _imports(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                bound[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        else:
            source = _absolute(node, importer, is_package)
            bound.update({a.asname or a.name: f"{source}.{a.name}" for a in node.names if a.name != "*"})
    return bound


def _dotted(node: ast.expr, bound: dict[str, str]) -> str | None:
    """The dotted path of an expression made of imported names and attributes (``am.Contact`` ->
    ``accounts.models.Contact``); None for anything else (a variable, a call, ``self.model``)."""
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, bound)
        return f"{base}.{node.attr}" if base else None
    return None


def _foreign_model(node: ast.expr, bound: dict[str, str], own_app: str) -> str | None:
    """``accounts.Contact`` when ``node`` names a class imported from the ``models`` of an app other than
    ``own_app``; None otherwise (the own app's models, Django's ``get_user_model()``, a variable)."""
    dotted = _dotted(node, bound)
    if dotted is None:
        return None
    segments = dotted.split(".")
    app = app_of(dotted)
    if app is None or app == own_app or "models" not in segments[1:-1]:
        return None
    return f"{app}.{segments[-1]}"


def _scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one function (or of the module) outside the functions nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def foreign_model_use(tree: ast.AST, path: str) -> list[Finding]:
    """Everything in ``tree`` that uses another app's model by the definition in this module's docstring."""
    importer = module_name(path)
    own_app = app_of(importer)
    if own_app is None:
        return []
    bound = _bindings(tree, importer, path.endswith("__init__.py"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRIBUTES:
            model = _foreign_model(node.value, bound, own_app)
            if model:
                found.append(Finding(path, node.lineno, f"{model}.{node.attr}: the manager of another app's model"))
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))]
    for scope in scopes:
        constructed: dict[str, str] = {}  # variable -> the other app's model it was constructed from
        for node in _scope_nodes(scope):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and isinstance(node.value, ast.Call):
                model = _foreign_model(node.value.func, bound, own_app)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                constructed.update({t.id: model for t in targets if model and isinstance(t, ast.Name)})
        for node in _scope_nodes(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in FOREIGN_INSTANCE_WRITES):
                continue
            instance = node.func.value
            model = (_foreign_model(instance.func, bound, own_app) if isinstance(instance, ast.Call)
                     else constructed.get(instance.id) if isinstance(instance, ast.Name) else None)
            if model:
                found.append(Finding(path, node.lineno, f"{model}(...).{node.func.attr}(): writes another app's model"))
    return sorted(set(found), key=lambda f: (f.line, f.what))


# --- the rules over the code base ---------------------------------------------------------------


def _known_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in product_files())


def _report(findings: Iterable[Finding], advice: str) -> str:
    return advice + ":\n" + "\n".join(f"  {f}" for f in findings)


def test_layer_modules_are_found():
    layers = [p for p in product_files() if is_layer_module(p)]
    # Not vacuous: the definitions above do reach the modules they are about.
    for expected in ("support/sla/views.py", "support/desk/api.py", "accounts/views/members.py",
                     "accounts/tasks.py", "cs_platform/api/views.py", "health/usage/tasks.py"):
        assert expected in layers, expected
    assert not [p for p in layers if p.endswith(("selectors.py", "services.py", "access.py"))]


def test_views_api_views_and_tasks_do_no_orm_work():
    findings = [f for p in product_files() if is_layer_module(p) and p not in ORM_IN_LAYER_ALLOWED
                for f in orm_work(parsed(p), p)]
    assert not findings, _report(findings, "ORM work in a view, API view or task: read through the package's "
                                           "selectors or access helpers, write through its services")


def test_raw_sql_only_in_the_allowed_selectors_and_services():
    findings = [f for p in product_files() if p not in RAW_SQL_ALLOWED for f in raw_sql(parsed(p), p)]
    assert not findings, _report(findings, "raw SQL outside RAW_SQL_ALLOWED (move it into a selector or "
                                           "service, and add it there with the reason)")


def test_no_module_name_carries_a_layer_or_sub_domain_prefix():
    findings = naming_findings(product_files())
    assert not findings, _report(findings, "the folder tells the sub-domain (DESIGN.md Layout)")


def test_apps_import_no_private_module_and_views_no_other_apps_models_or_views():
    known = _known_modules()
    findings = [f for p in product_files() for f in import_findings(parsed(p), p, known)
                if not (p in CROSS_APP_VIEW_IMPORT_ALLOWED and "a view imports" in f.what)]
    assert not findings, _report(findings, "apps talk through services, selectors and access helpers")


def test_apps_use_no_other_apps_model_managers_nor_write_their_instances():
    findings = [f for p in product_files() if p not in CROSS_APP_MODEL_ALLOWED
                for f in foreign_model_use(parsed(p), p)]
    assert not findings, _report(findings, "another app's model used directly: read through that app's selectors "
                                           "or access helpers, write through its services")


def test_allow_lists_hold_only_live_entries():
    files = set(product_files())
    allowed = {*ORM_IN_LAYER_ALLOWED, *RAW_SQL_ALLOWED, *CROSS_APP_VIEW_IMPORT_ALLOWED, *CROSS_APP_MODEL_ALLOWED}
    stale = [p for p in allowed if p not in files]
    assert not stale, f"allow-listed files that no longer exist: {stale}"
    stale = [p for p in ORM_IN_LAYER_ALLOWED if not orm_work(parsed(p), p)]
    stale += [p for p in CROSS_APP_MODEL_ALLOWED if not foreign_model_use(parsed(p), p)]
    stale += [p for p in RAW_SQL_ALLOWED if not raw_sql(parsed(p), p)]
    known = _known_modules()
    stale += [p for p in CROSS_APP_VIEW_IMPORT_ALLOWED
              if not any("a view imports" in f.what for f in import_findings(parsed(p), p, known))]
    assert not stale, f"allow-list entries that match nothing any more; remove them: {stale}"


# --- the detectors themselves, on snippets (a detector that finds nothing would pass vacuously) --


def _orm(code: str, path: str = "support/desk/views.py") -> list[str]:
    return [f.what for f in orm_work(ast.parse(textwrap.dedent(code)), path)]


@pytest.mark.parametrize("code", [
    "Ticket.objects.select_related('contact').get(pk=pk)",
    "Ticket.objects.get(pk=pk)",
    "self.model.objects.filter(tenant=self.tenant)",
    "Model._base_manager.filter(pk=1)",
    "Model._default_manager.all()",
    "connection.cursor()",
    "with connection.cursor() as c:\n    c.execute('select 1')",
    "qs.raw('SELECT 1')",
    "qs.extra(where=['1=1'])",
    "qs.annotate(n=F('x'))",
    "selectors.public_articles(tenant=t).filter(category__isnull=True)",
    "(Holiday.objects\n .filter(tenant=t)\n .delete())",
    "policy.delete()",
    "tenant.refresh_from_db()",
    "form.save()",
    "obj.save(update_fields=['name'])",
    "get_object_or_404(Ticket, pk=1)",
    "models.Prefetch('x')",
    "RawSQL('1', [])",
    "from django.db.models import Count",
    "from django.db import connection",
    "from django.db import transaction",
    "import django.db",
])
def test_orm_detector_catches(code):
    assert _orm(code), code


@pytest.mark.parametrize("code", [
    "request.GET.get('q', '')",
    "context.update(rows=rows)",
    "form.save(commit=False)",
    "selectors.inbox_tickets(tenant=tenant, now=now)",
    "values.get('contact', '').strip().lower()",
    "list(filter(None, items))",
    "from django.db import IntegrityError",
    "from django.db.models import QuerySet, RestrictedError",
    "x = 'Ticket.objects.get(pk=1)'  # in a string, not code",
])
def test_orm_detector_leaves_plain_python_alone(code):
    assert not _orm(code), code


def test_raw_sql_detector():
    assert len(raw_sql(ast.parse("connection.cursor()\nTicket.objects.raw('x')\nRawSQL('1', [])"), "x.py")) == 3
    assert not raw_sql(ast.parse("self.decode_cursor(request)\nqs.filter(pk=1)"), "x.py")


def test_layer_definitions():
    assert is_layer_module("support/sla/views.py")
    assert is_layer_module("accounts/views/_common.py")
    assert is_layer_module("cs_platform/api/auth.py")
    assert is_layer_module("support/records/tasks.py")
    assert not is_layer_module("support/sla/selectors.py")
    assert not is_layer_module("accounts/services/tenants.py")
    assert is_view_module("health/usage/api.py") and not is_view_module("health/usage/tasks.py")


@pytest.mark.parametrize("path", [
    "support/desk_views.py", "support/kb_urls.py", "support/records/views_presence.py", "health/usage_api.py",
    "health/usage/catalog_selectors.py", "support/reports/cost_services.py", "cs_platform/api_urls.py",
    "accounts/operator_views.py", "support/sla_calendar.py", "support/merge_contacts.py",
    "support/helpcenter_search/__init__.py", "support/team_members.py", "accounts/views/member_views.py",
])
def test_naming_detector_catches(path):
    findings = naming_findings([path, "support/desk/__init__.py"])
    assert findings and findings[0].path == path, findings


@pytest.mark.parametrize("path", [
    "support/desk/views.py", "accounts/views/members.py", "health/usage/selectors/catalog.py",
    "cs_platform/beat_schedule.py", "accounts/demo_data.py", "cs_platform/settings_test.py",
    "accounts/context_processors.py", "support/desk/__init__.py", "support/sla/calendar.py",
    "accounts/management/commands/create_api_key.py",
])
def test_naming_detector_leaves_good_names_alone(path):
    assert not naming_findings([path, "support/desk/__init__.py"]), path


KNOWN = frozenset({"accounts", "accounts.models", "accounts.models.tenants", "accounts.views",
                   "accounts.views._common", "accounts.services", "accounts.services.upserts", "accounts.access",
                   "support", "support.desk", "support.desk.views", "support.models", "support.sla",
                   "support.sla.selectors", "cs_platform", "cs_platform.api", "cs_platform.api.views"})


def _imports_found(code: str, path: str = "support/desk/views.py") -> list[str]:
    return [f.what for f in import_findings(ast.parse(textwrap.dedent(code)), path, KNOWN)]


@pytest.mark.parametrize(("code", "path"), [
    ("from accounts.views._common import page", "support/desk/services.py"),
    ("from accounts.views import _common", "support/desk/services.py"),
    ("import accounts.views._common", "health/usage/selectors/adoption.py"),
    ("from accounts.services.upserts import _write", "support/records/services/identities.py"),
    ("from accounts.models import Tenant", "support/desk/views.py"),
    ("from accounts.models.tenants import hash_api_key", "support/desk/api.py"),
    ("from accounts import models", "health/usage/views.py"),
    ("from support.desk.views import inbox", "accounts/views/accounts.py"),
    ("def f():\n    from accounts.models import Contact", "support/desk/api.py"),
    ("if TYPE_CHECKING:\n    pass\nelse:\n    from accounts.models import Tenant", "support/desk/views.py"),
])
def test_import_detector_catches(code, path):
    assert _imports_found(code, path), code


@pytest.mark.parametrize(("code", "path"), [
    ("from support.sla.selectors import _clock_code", "support/desk/services.py"),  # the same app
    ("from accounts.services.upserts import _write", "accounts/services/contacts.py"),
    ("from accounts.models import Tenant", "support/desk/selectors.py"),  # not a view
    ("if TYPE_CHECKING:\n    from accounts.models import Tenant", "support/desk/views.py"),
    ("from accounts.access import get_contact_for_tenant", "support/desk/views.py"),
    ("from cs_platform.api.views import TenantListView", "accounts/api.py"),  # the shared base
    ("from support.models import Ticket", "support/desk/views.py"),
    ("from .access import get_callback_for_tenant", "support/desk/views.py"),
    ("from __future__ import annotations", "support/desk/views.py"),
])
def test_import_detector_allows(code, path):
    assert not _imports_found(code, path), code


def test_relative_imports_resolve_to_their_app():
    def resolved(code: str, importer: str, is_package: bool = False) -> str:
        return _absolute(ast.parse(code).body[0], importer, is_package)

    assert resolved("from ._common import page", "accounts.views.members") == "accounts.views._common"
    assert resolved("from . import _common", "accounts.views", is_package=True) == "accounts.views"
    assert resolved("from ..models import Tenant", "accounts.views.members") == "accounts.models"
    # health/usage/views.py -> health.models: the same app, so not another app's models.
    assert not _imports_found("from ..models import UsageDaily", "health/usage/views.py")
    assert _imports_found("from .._common import x", "accounts/views/members.py") == []  # own app


def _foreign(code: str, path: str = "support/records/services/tickets.py") -> list[str]:
    return [f.what for f in foreign_model_use(ast.parse(textwrap.dedent(code)), path)]


@pytest.mark.parametrize(("code", "path"), [
    ("from accounts.models import Contact\nContact.objects.filter(tenant=t, external_id=e).first()",
     "support/records/services/tickets.py"),
    ("import accounts.models\naccounts.models.Contact.objects.get(pk=1)", "support/desk/selectors.py"),
    ("from accounts.models import Contact as Person\nPerson.objects.select_related('account').first()",
     "support/demo.py"),
    ("import accounts.models as am\nam.CustomerAccount._base_manager.all()", "health/usage/selectors/first_days.py"),
    ("from accounts import models\nmodels.Contact._default_manager.all()", "support/desk/selectors.py"),
    ("from accounts.models import customers\ncustomers.Contact.objects.all()", "support/desk/selectors.py"),
    ("from accounts.models.customers import CustomerAccount\nCustomerAccount.objects.create(tenant=t)",
     "support/records/services/identities.py"),
    ("from accounts.models import Tenant\nTenant.objects.only('pk', 'settings')", "health/usage/services/retention.py"),
    ("from accounts.models import ApiKey\nApiKey.objects.unscoped().filter(pk=1).update(x=1)",
     "cs_platform/api/auth.py"),
    ("from support.models import Ticket\nTicket.objects.filter(contact=c).exists()", "accounts/services/contacts.py"),
    ("def f(t):\n    from accounts.models import Contact\n    return Contact.objects.all()", "support/demo.py"),
    ("from accounts.models import Contact\nContact(tenant=t, email=e).save()", "support/desk/services.py"),
    ("from accounts.models import Contact\ndef f(t):\n    c = Contact(tenant=t)\n    c.name = 'x'\n    c.save()",
     "support/desk/services.py"),
    ("from accounts.models import Contact\ndef f(t):\n    c: Contact = Contact(tenant=t)\n    c.delete()",
     "support/desk/services.py"),
    ("from accounts.models import Contact\nf = lambda t: Contact(tenant=t).save()", "support/desk/services.py"),
])
def test_foreign_model_detector_catches(code, path):
    assert _foreign(code, path), code


@pytest.mark.parametrize(("code", "path"), [
    ("from support.models import Ticket\nTicket.objects.filter(tenant=t)", "support/desk/selectors.py"),  # own app
    ("from support.records.models import ContactIdentity\nContactIdentity.objects.all()", "support/desk/selectors.py"),
    ("from ..models import UsageDaily\nUsageDaily.objects.all()", "health/usage/selectors/adoption.py"),
    ("from accounts.models import Contact\nContact.objects.filter(tenant=t)", "accounts/selectors.py"),
    ("from support.models import Ticket\nt = Ticket(tenant=x)\nt.save()", "support/records/services/tickets.py"),
    ("from django.contrib.auth import get_user_model\nget_user_model().objects.filter(memberships__tenant=t)",
     "support/records/forms.py"),  # Django's user model is not one of our apps
    ("from django.contrib.auth.models import User\nUser.objects.all()", "support/demo.py"),
    ("from accounts.models import Contact\ndef f(*, contact: Contact) -> Contact:\n    return contact",
     "support/desk/services.py"),  # a type hint
    ("from accounts.models import Contact\nclass Ticket(TenantOwnedModel):\n"
     "    contact = models.ForeignKey(Contact, on_delete=models.PROTECT)", "support/records/models.py"),
    ("from accounts.models import ApiKey\nisinstance(request.auth, ApiKey)", "cs_platform/api/throttle.py"),
    ("from accounts.models import Role\nusers_with_role(tenant=t, role=Role.MANAGER)", "support/records/forms.py"),
    ("from accounts.selectors import api_contact_rows\napi_contact_rows(tenant=t).filter(pk=1)",
     "support/desk/selectors.py"),  # a selector's queryset, refined
    ("from accounts.models import Contact\ntry:\n    pass\nexcept Contact.DoesNotExist:\n    pass",
     "support/desk/services.py"),
    ("from accounts.models import Contact\ndef f(t):\n    c = Contact(tenant=t)\ndef g(c):\n    c.save()",
     "support/desk/services.py"),  # another function's c
    ("Contact.objects.all()", "support/desk/selectors.py"),  # not imported here: unknown, not guessed
    ("x = 'from accounts.models import Contact; Contact.objects.all()'", "support/desk/selectors.py"),
])
def test_foreign_model_detector_leaves_allowed_uses_alone(code, path):
    assert not _foreign(code, path), code
