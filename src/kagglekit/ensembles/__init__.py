"""Ensembles of finished runs, as first-class runs: one module per method, registered by name (``registry``).

Adding a method is one new module here: a ``Combiner`` subclass under ``@register_ensemble("name", "what it does")``.
Every module of this package is imported below, so it registers itself; the command line's help and checks read the
registry (methods listed by name).
"""

import importlib
import pkgutil

from .build import ensemble, honest_cv
from .members import Member, load_members, member_targets
from .registry import ENSEMBLES, Combiner, get_combiner, method_names, register_ensemble

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")  # each method module registers its Combiner

__all__ = ["ENSEMBLES", "Combiner", "Member", "ensemble", "get_combiner", "honest_cv", "load_members", "member_targets",
           "method_names", "register_ensemble"]
