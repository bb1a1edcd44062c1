"""Ensembles of finished runs, as first-class runs: one module per method, registered by name (``registry``).

Adding a method is one new module here: a ``Combiner`` subclass under ``@register_ensemble("name", "what it does")``,
imported below; the command line's help and checks read the registry.
"""

from . import mean, blend, hill, median, rank, stack  # noqa: F401 - each registers its method, in this order
from .build import ensemble, honest_cv
from .members import Member, load_members, member_targets
from .registry import ENSEMBLES, Combiner, get_combiner, method_names, register_ensemble

__all__ = ["ENSEMBLES", "Combiner", "Member", "ensemble", "get_combiner", "honest_cv", "load_members", "member_targets",
           "method_names", "register_ensemble"]
