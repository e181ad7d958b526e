"""The house's floors: a module imports only its own floor or the floors below it, and the
import graph (module-level and function-level imports alike) has no circle."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "quiz"

# lowest first; quiz.proofs.* is one library module family
FLOORS = [
    {"quiz", "quiz.errors", "quiz.text", "quiz.files"},  # ground floor: no Rich, no fsrs, no quiz above
    {"quiz.schedule", "quiz.store", "quiz.bank", "quiz.config", "quiz.trust"},  # data
    {"quiz.session", "quiz.mdtext", "quiz.markdown", "quiz.importer", "quiz.export", "quiz.stats", "quiz.mock",
     "quiz.optimize", "quiz.coverage", "quiz.grading", "quiz.proofs", "quiz.backup", "quiz.anki"},  # the library
    {"quiz.render", "quiz.ui"},  # views
    {"quiz.cli", "quiz.__main__", "quiz.launch"},  # commands
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(name: str) -> int:
    for i, names in enumerate(FLOORS):
        if name in names or any(name.startswith(n + ".") for n in names if n != "quiz"):
            return i
    raise LookupError(f"{name} is on no floor: add it to FLOORS")


def imports(path: Path) -> set[str]:
    """The quiz modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("quiz")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("quiz") and not node.level:
            for a in node.names:  # `from quiz import render` imports quiz.render
                sub = f"{node.module}.{a.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else node.module)
    return found


def graph() -> dict[str, set[str]]:
    files = [p for p in PACKAGE.rglob("*.py") if "questions" not in p.parts]
    return {module_name(p): imports(p) - {module_name(p)} for p in files}


def test_every_module_has_a_floor():
    for name in graph():
        floor(name)


def test_no_module_imports_a_floor_above_its_own():
    upward = sorted(f"{a} → {b}" for a, deps in graph().items() for b in deps if floor(b) > floor(a))
    assert not upward


def test_the_import_graph_has_no_circle():
    g = graph()
    # quiz.proofs modules import their package (quiz.proofs) for its API: a package and its own modules are one node
    node = lambda n: "quiz.proofs" if n.startswith("quiz.proofs") else n  # noqa: E731
    edges = {}
    for a, deps in g.items():
        edges.setdefault(node(a), set()).update(node(b) for b in deps if node(b) != node(a) and b != "quiz")
    seen, on_path, circles = set(), [], []

    def visit(n):
        if n in on_path:
            circles.append(on_path[on_path.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        on_path.append(n)
        for m in sorted(edges.get(n, ())):
            visit(m)
        on_path.pop()

    for n in sorted(edges):
        visit(n)
    assert not circles, " ; ".join(" → ".join(c) for c in circles)


def test_function_level_imports_are_seen():
    # render imports the proofs package only inside functions (to stay light): the scan must see it
    assert "quiz.proofs" in graph()["quiz.render"]
    assert "quiz.text" in graph()["quiz.render"]  # and module-level ones


def test_only_commands_and_views_import_the_importer():
    # the importer turns Markdown into banks; a file or YAML helper others need lives on a floor below it
    users = sorted(a for a, deps in graph().items() if "quiz.importer" in deps)
    assert set(users) <= {"quiz.cli", "quiz.ui"}, users
