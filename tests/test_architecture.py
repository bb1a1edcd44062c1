"""The shape the code promises: every config loads, no import cycle, kinds branch only in the Task table,
and the README's module tree and competition.yaml reference match the code."""

import ast
import re
from pathlib import Path

import pytest

from kagglekit.commands.schema import END, START, schema_markdown
from kagglekit.tuning import load_space, space_file
from kagglekit.core.competition import competition_names, load_competition
from kagglekit.core.config import available_configs
from kagglekit.core.paths import ROOT
from kagglekit.tasks import load_config

SRC = ROOT / "src"
PACKAGE = SRC / "kagglekit"


@pytest.mark.parametrize("comp", competition_names())
def test_every_committed_config_and_space_loads(comp):
    load_competition(comp)
    configs = available_configs(comp)
    assert configs, comp
    for name in configs:
        run = load_config(comp, name)
        assert run.config_name == name
        if space_file(comp, name).exists():
            load_space(comp, name)


def _imports():
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        pkg = m.split(".") if f.name == "__init__.py" else m.split(".")[:-1]
        for n in ast.walk(ast.parse(f.read_text())):
            names = []
            if isinstance(n, ast.Import):
                names = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom):
                base = pkg[: len(pkg) - n.level + 1] if n.level else []
                mod = ".".join(base + ([n.module] if n.module else []))
                names = [mod] + [f"{mod}.{a.name}" for a in n.names]
            edges[m] |= {t for t in names if t in mods and t != m}
    return edges


def test_no_import_cycles():
    edges, state, cycles = _imports(), {}, []

    def visit(u, stack):
        state[u] = 1
        for v in edges[u]:
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif v not in state:
                visit(v, stack + [v])
        state[u] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles[:3]


def _readme_order():
    """The package layers of the README's "Imports only go downwards: a -> b / c -> ..." line, top first."""
    text = " ".join((ROOT / "README.md").read_text().split())
    line = re.search(r"Imports only go downwards: (.*?)\.", text).group(1)
    return [[p.strip() for p in layer.split("/")] for layer in line.split("->")]


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""  # "" is kagglekit itself (__init__: the lazy API door)


def test_imports_only_go_down_the_readmes_order_between_packages():
    layers = _readme_order()
    level = {name: i for i, layer in enumerate(layers) for name in layer}
    packages = {_package(m) for m in _imports()} - {"", "__main__"}
    assert packages <= set(level), f"packages missing from the README's order: {sorted(packages - set(level))}"
    upward = sorted((a, b) for a, targets in _imports().items() for b in targets
                    if _package(a) not in ("", "__main__") and _package(a) != _package(b)
                    and level[_package(a)] >= level.get(_package(b), len(layers)))
    assert not upward, upward  # an arrow up (or across a layer) between packages
    outside = sorted(a for a, targets in _imports().items() for b in targets
                     if _package(b) == "commands" and _package(a) not in ("commands", "__main__"))
    assert not outside, outside  # the command line sits on top: nothing imports it


def test_no_branch_on_the_competition_kind_outside_the_task_table():
    pattern = re.compile(r"\b(spec|comp|competition|task|cfg|config|run)\.kinds? *(==|!=|in )|in (spec|comp|competition)\.kinds\b")
    hits = [f"{f.relative_to(SRC)}:{i}" for f in PACKAGE.rglob("*.py") if "tasks" not in f.parts
            for i, line in enumerate(f.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, hits


def test_no_competition_name_in_the_package():
    names = [n for n in competition_names() if len(n) > 4]  # 'hpc' and the like are ordinary words
    hits = [(f.name, n) for f in PACKAGE.rglob("*.py") for n in names if re.search(rf"\b{re.escape(n)}\b", f.read_text())]
    assert not hits, hits


def test_readme_module_tree_and_schema_match_the_code():
    readme = (ROOT / "README.md").read_text()
    tree = readme.split("<!-- module-tree:start -->")[1].split("<!-- module-tree:end -->")[0]
    modules = {f.relative_to(PACKAGE).as_posix() for f in PACKAGE.rglob("*.py") if f.name not in ("__main__.py",)}
    listed, folder = set(), ""
    for line in tree.splitlines():
        words, depth = line.split(), (len(line) - len(line.lstrip())) // 2
        if not words or depth == 0:
            continue
        if words[0].endswith("/"):
            folder = words[0]
            continue
        prefix = folder if depth == 2 else ""
        listed |= {prefix + w for w in words if w.endswith(".py")}
    assert modules == listed, (sorted(modules - listed), sorted(listed - modules))
    section = readme[readme.index(START): readme.index(END) + len(END)]
    assert section == schema_markdown(), "README's competition.yaml reference is stale: paste `python -m kagglekit schema`"


def test_code_passes_ruff():
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    out = subprocess.run([ruff, "check", "src", "tests", "competitions"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:]
