"""The layout rules of DESIGN §4 that a reviewer would otherwise have to remember, read off the
source tree: every write is in an app's actions (§4.1, §4.5), and hand-written SQL lives in each
app's one speed-layer module (§4.8). Each rule names where the offence is and what to do."""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from django.apps import apps

import keel

SRC: Final = Path(keel.__file__).parent

# The ORM's writing verbs. ``update(`` only counts on a query (``….objects….update(``), since
# dicts and sets have one too; the related managers of many-to-many fields are found by name.
WRITING: Final = frozenset(
    {"save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
)
QUERYING: Final = frozenset(
    {"objects", "filter", "exclude", "all", "select_for_update", "order_by", "select_related", "only", "defer", "none"}
)
MANY_VERBS: Final = frozenset({"add", "remove", "clear", "set"})
SQL_WRITERS: Final = frozenset({"insert_rows", "update_rows", "bulk_update", "insert_instance", "insert_instances"})
DML: Final = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+[\w{}.]+\s+(AS\s+\w+\s+)?SET|DELETE\s+FROM)\b")
SQL: Final = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bWITH\s+RECURSIVE\b|\bANALYZE\b|" + DML.pattern)

# Writes outside actions that are meant to be there, each with its reason. Keep it short.
WRITES_ALLOWED: Final[dict[str, str]] = {
    "keel/audit/models.py": "the append-only guard: AuditRecord.save() refuses all but a new row",
}

# Modules that write SQL text besides each app's ``rows.py`` and ``lib/sql.py``.
SQL_ALLOWED: Final[dict[str, str]] = {}


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent).as_posix()
        if "/migrations/" not in relative:
            yield relative, ast.parse(path.read_text(), filename=relative)


def _in_actions(path: str) -> bool:
    return "/actions/" in path or path.endswith("/actions.py")


def _speed_layer(path: str) -> bool:
    return path.endswith("/rows.py") or path == "keel/lib/sql.py"


def _many_to_many_names() -> frozenset[str]:
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.many_to_many:
                names.add(field.name)
                accessor = getattr(field, "get_accessor_name", None)
                if accessor is not None and accessor():
                    names.add(accessor())
    return frozenset(names)


def _chain(node: ast.expr) -> list[str]:
    """The attribute and call names an expression is built from, outermost last."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names
        else:
            return names


def _write_of(call: ast.Call, many: frozenset[str]) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    receiver = _chain(func.value) if isinstance(func, ast.Attribute) else []
    if name in SQL_WRITERS:
        return f"{name}()"
    if not isinstance(func, ast.Attribute):
        return None
    found = None
    if name in WRITING or name.startswith("bulk_"):
        found = f".{name}()"
    elif name == "update" and QUERYING.intersection(receiver):
        found = ".update() on a query"
    elif name in MANY_VERBS and receiver and receiver[0] in many:
        found = f".{receiver[0]}.{name}()"
    return found


def _decorators(tree: ast.Module) -> set[int]:
    return {
        id(decorator)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for decorator in node.decorator_list
    }


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string constant but docstrings, with f-strings' literal parts joined."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = " ".join(part.value for part in node.values if isinstance(part, ast.Constant))
            yield node.lineno, text.replace("\n", " ")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def writes_outside_actions() -> list[Offence]:
    many = _many_to_many_names()
    found = []
    for path, tree in _modules():
        if _in_actions(path) or _speed_layer(path):
            continue
        decorators = _decorators(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in decorators:
                what = _write_of(node, many)
                if what is not None:
                    found.append(Offence(path, node.lineno, what))
        for line, text in _strings(tree):
            if DML.search(text):
                found.append(Offence(path, line, "SQL that writes"))
    return sorted({offence for offence in found if offence.path not in WRITES_ALLOWED}, key=str)


def sql_outside_the_speed_layer() -> list[Offence]:
    found = []
    for path, tree in _modules():
        if _speed_layer(path) or path in SQL_ALLOWED:
            continue
        found += [Offence(path, line, "SQL text") for line, text in _strings(tree) if SQL.search(text)]
    return sorted(set(found), key=str)


def test_every_write_is_in_an_actions_module() -> None:
    offences = writes_outside_actions()

    assert not offences, (
        "Writes belong in the app's actions (DESIGN §4.1): move these into <app>/actions "
        "(or explain them in WRITES_ALLOWED):\n" + "\n".join(map(str, offences))
    )


def test_sql_text_lives_in_the_speed_layer() -> None:
    offences = sql_outside_the_speed_layer()

    assert not offences, (
        "Hand-written SQL belongs in the app's rows.py (DESIGN §4.8), with its column lists derived "
        "from the models or held by a drift test:\n" + "\n".join(map(str, offences))
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Incident.objects.filter(pk=1).update(state='x')", ".update() on a query"),
        ("row.save(update_fields=['a'])", ".save()"),
        ("Team.objects.create(slug='x')", ".create()"),
        ("thing.delete()", ".delete()"),
        ("Model.objects.bulk_create(rows)", ".bulk_create()"),
        ("insert_rows(table, columns, rows)", "insert_rows()"),
        ("team.members.add(user)", ".members.add()"),
        ("fields.update(other)", None),
        ("seen.add(item)", None),
    ],
)
def test_the_write_finder_tells_writes_from_look_alikes(source: str, expected: str | None) -> None:
    call = ast.parse(source).body[0].value  # type: ignore[attr-defined]

    assert _write_of(call, frozenset({"members"})) == expected


@pytest.mark.parametrize(
    ("text", "is_sql"),
    [
        ("SELECT a.id FROM alerts a", True),
        ("UPDATE integrations_alert SET status = v.status", True),
        ("INSERT INTO t (a) SELECT 1", True),
        ("WITH RECURSIVE walk(id) AS (SELECT 1)", True),
        ("Select the rows you want from the list", False),
        ("Update the CI first", False),
    ],
)
def test_the_sql_finder_tells_sql_from_prose(text: str, is_sql: bool) -> None:
    assert bool(SQL.search(text)) is is_sql
