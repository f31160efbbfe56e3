"""The layout rules of docs/architecture.md, checked on the source (tests/architecture.py reads the
imports with ast; nothing is imported)."""

import ast

from tests.architecture import ROOT, cycles, import_graph, imported_names, project_modules

# The capabilities inside members/, each with its own layers (docs/architecture.md).
CAPABILITIES = (
    "core", "imports", "reviews", "tiers", "segments", "predictions", "recs", "campaigns",
    "partners", "demo", "dashboard", "operations", "accounts",
)
# Calls that write through the ORM: a task hands these to a service.
ORM_WRITES = {
    "save", "delete", "create", "bulk_create", "bulk_update", "update", "get_or_create",
    "update_or_create", "select_for_update",
}


def test_there_is_no_import_cycle():
    assert cycles(import_graph()) == []


def test_ml_never_imports_django_or_the_app():
    offenders = []
    for module, path in project_modules().items():
        if not module.startswith("ml"):
            continue
        tree = ast.parse(path.read_text())
        for candidates in imported_names(tree, module, path.name == "__init__.py"):
            if candidates[-1].split(".")[0] in ("django", "members", "memberhub", "rest_framework", "celery"):
                offenders.append(f"{module} imports {candidates[-1]}")
    assert offenders == []


def test_reads_never_import_writes():
    graph = import_graph()
    offenders = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if ".selectors" in module
        for target in targets
        if ".services" in target or target.endswith(".tasks")
    ]
    assert offenders == []


def test_only_tasks_modules_import_tasks_modules():
    """Services queue work by task name (members/task_queue.py); importing a tasks module from a
    service is how the old services <-> tasks cycles began."""
    graph = import_graph()
    offenders = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if target.endswith(".tasks") and not module.endswith(".tasks") and module != "memberhub.celery"
    ]
    assert offenders == []


def test_task_modules_leave_orm_work_to_services():
    offenders = []
    for module, path in project_modules().items():
        if not module.endswith(".tasks"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and (node.attr == "objects" or node.attr in ORM_WRITES):
                offenders.append(f"{module}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_every_task_is_named_after_its_capability():
    names = []
    for module, path in project_modules().items():
        if not module.endswith(".tasks"):
            continue
        capability = module.split(".")[1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "shared_task":
                        name = next((k.value.value for k in decorator.keywords if k.arg == "name"), None)
                        names.append((module, node.name, name, capability))
    assert names, "no tasks found"
    wrong = [(m, f, n) for m, f, n, cap in names if not (n and n.startswith(f"members.{cap}."))]
    assert wrong == []


def test_each_capability_is_one_folder_and_the_old_layer_folders_are_gone():
    for capability in CAPABILITIES:
        assert (ROOT / "members" / capability / "__init__.py").is_file(), capability
    for layer in ("services", "selectors", "views"):
        assert not (ROOT / "members" / layer).exists(), f"members/{layer}/ is back"
    assert sorted(p.name for p in (ROOT / "members").glob("*tasks*.py")) == []


def test_the_check_finds_a_cycle():
    # The cycle check itself can fail: two modules importing each other are reported.
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
