"""The scikit-learn estimator contract (``get_params``, ``set_params``, ``clone``) without
importing scikit-learn, so model classes serve predictions with scikit-learn absent.

Examples
--------
>>> class Model(ParamsMixin):
...     def __init__(self, *, depth=2, seed=0):
...         self.depth = depth
...         self.seed = seed
>>> Model(depth=3).get_params()
{'depth': 3, 'seed': 0}
>>> Model().set_params(seed=5).seed
5
"""

from __future__ import annotations

import inspect
from typing import Any

from ..exceptions import InputError

__all__ = ["ParamsMixin"]


class ParamsMixin:
    """``get_params``/``set_params`` read from ``__init__``'s keyword settings (which ``__init__``
    stores unchanged, under the same names), as :class:`sklearn.base.BaseEstimator` does;
    :func:`sklearn.base.clone` then works."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings given to ``__init__`` (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any):
        """Change settings; returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise InputError(
                    f"{type(self).__name__} has no setting {name!r}; valid settings: {valid}"
                )
            setattr(self, name, value)
        return self

    def _repr_html_(self) -> str | None:
        """Notebook view: settings, fitted attributes, the model.json manifest and metrics."""
        from .display import model_html

        return model_html(self)
