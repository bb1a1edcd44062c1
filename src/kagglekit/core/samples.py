"""What every kind's generated sample shares: its definition (``competitions/<comp>/sample.yaml``) and its README."""

from __future__ import annotations

from typing import Any, Dict

from .competition import CompetitionSpec
from .errors import UserError
from .files import read_yaml

SAMPLE_NOTE = """# Generated sample for {name}

Synthetic rows made by `make sample comp={name}` from `competitions/{name}/sample.yaml`
(seed {seed}): the real file names, columns, types and kinds of missing or odd values, with a
target that depends on the features. Not real data; use it to try the pipeline and in tests.
"""


def load_sample_spec(spec: CompetitionSpec) -> Dict[str, Any]:
    path = spec.folder / "sample.yaml"
    if not path.exists():
        raise UserError(f"{spec.name} has no sample definition ({path}); `make describe comp={spec.name} data_dir=PATH` "
                        "writes one from the real files.")
    return read_yaml(path)
