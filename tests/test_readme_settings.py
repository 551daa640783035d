"""The README's configuration table names every environment variable the service reads, and
nothing else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONFIG = ROOT / "segments_app" / "config.py"
#: variables the table lists that config.py does not read, with the file that reads each
READ_ELSEWHERE = {"WEB_CONCURRENCY": ROOT / "Dockerfile"}


def _is_environ_get(func: ast.expr) -> bool:
    """`os.environ.get` or `os.getenv`."""
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "getenv":
        return True
    owner = func.value
    return func.attr == "get" and isinstance(owner, ast.Attribute) and owner.attr == "environ"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def variables_read(source: str) -> set[str]:
    """Names the module reads from the environment: through os.environ.get, os.getenv,
    os.environ[...], or one of its own functions that passes its first argument to those."""
    tree = ast.parse(source)
    readers = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.args.args:
            first = function.args.args[0].arg
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and _is_environ_get(call.func)
                    and call.args
                    and isinstance(call.args[0], ast.Name)
                    and call.args[0].id == first
                ):
                    readers.add(function.name)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            named = isinstance(node.func, ast.Name) and node.func.id in readers
            if named or _is_environ_get(node.func):
                names.add(_literal(node.args[0]))
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
        ):
            names.add(_literal(node.slice))
    names.discard(None)
    return names


def table_variables() -> list[str]:
    """The first column of the table under "## Configuration", in order."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.M)


def test_the_reader_finds_each_way_config_reads_a_variable():
    source = (
        "import os\n"
        "def _int(name, default):\n    raw = os.environ.get(name)\n"
        "A = os.environ.get('A')\nB = _int('B', 1)\nC = os.environ['C']\nD = os.getenv('D')\n"
    )
    assert variables_read(source) == {"A", "B", "C", "D"}


def test_the_readme_table_lists_every_setting_config_reads_and_no_other():
    read = variables_read(CONFIG.read_text(encoding="utf-8"))
    assert len(read) > 20  # the reader still understands config.py
    listed = table_variables()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    missing = read - set(listed)
    extra = set(listed) - read - set(READ_ELSEWHERE)
    assert not missing, f"config.py reads these, the README's table does not list them: {missing}"
    assert not extra, f"the README's table lists these, config.py does not read them: {extra}"


def test_the_variables_read_outside_config_are_still_read_there():
    for name, path in READ_ELSEWHERE.items():
        assert name not in variables_read(CONFIG.read_text(encoding="utf-8"))
        assert name in path.read_text(encoding="utf-8"), f"{path.name} no longer reads {name}"
