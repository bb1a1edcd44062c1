"""The competition.yaml reference, generated from the dataclasses that define it (the README quotes this output)."""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import List

from ..core.competition import SUBMISSION_FORMATS, TASK_TYPES, CompetitionSpec
from ..core.metrics import METRICS
from ..tasks import TASKS

START, END = "<!-- competition-schema:start -->", "<!-- competition-schema:end -->"


def _comments(cls) -> dict:
    """Inline ``# comments`` of a dataclass's fields, from its source."""
    out = {}
    for line in inspect.getsource(cls).splitlines():
        m = re.match(r"\s+(\w+): [^#]*?(?:#\s*(.*))?$", line)
        if m and m.group(2):
            out[m.group(1)] = m.group(2).strip()
    return out


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = f.default_factory()  # type: ignore[misc]
        return None if dataclasses.is_dataclass(value) else value
    return None


def _rows(cls, prefix: str = "") -> List[str]:
    rows, notes = [], _comments(cls)
    for f in dataclasses.fields(cls):
        if (f.name == "name" and not prefix) or f.metadata.get("internal"):
            continue  # set from the folder name; the kinds' own sections come below
        value = f.default_factory() if f.default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
        if dataclasses.is_dataclass(value):
            doc = (inspect.getdoc(type(value)) or "").split("\n")[0]
            rows.append(f"| `{prefix}{f.name}` | | {doc} |")
            rows += _rows(type(value), f"{prefix}{f.name}.")
            continue
        default = _default(f)
        shown = "null" if default is None else (repr(default) if isinstance(default, str) else str(default))
        rows.append(f"| `{prefix}{f.name}` | `{shown}` | {notes.get(f.name, '')} |")
    return rows


def schema_markdown() -> str:
    lines = [START, "", "| key | default | meaning |", "| --- | --- | --- |"]
    lines += _rows(CompetitionSpec)
    for task in TASKS.values():  # each kind's own sections
        for name, cls in task.spec_sections.items():
            doc = (inspect.getdoc(cls) or "").split("\n")[0]
            lines.append(f"| `{name}` | | {doc} ({task.kind} competitions) |")
            lines += _rows(cls, f"{name}.")
    lines += ["", f"Tasks: {', '.join(TASK_TYPES)}. Submission formats: {', '.join(SUBMISSION_FORMATS)}.", "",
              "| metric | better | judges | averaged in | what |", "| --- | --- | --- | --- | --- |"]
    for m in METRICS.values():
        lines.append(f"| `{m.name}` | {'higher' if m.greater_is_better else 'lower'} | {m.needs} | {m.space or 'as is'} | "
                     f"{m.description} |")
    lines += ["", "Any `map@K` (K from 1 to 99) is known too; its submissions are usually `top_labels`.", "", END]
    return "\n".join(lines)


def cmd_schema(own, overrides) -> None:
    print(schema_markdown())
