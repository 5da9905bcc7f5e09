"""The scikit-learn-compatible power transformer of ``n_files`` and ``total_mb``.

:class:`PowerStandardizer` fits a Yeo-Johnson power transform followed by a z-score on chosen
columns and passes the others through. Its fitted parameters are plain numbers
(:meth:`~PowerStandardizer.to_dict`), saved as JSON with the model and applied at prediction
time by :func:`spacekit.skopes.hst.cal.features.power_standardize` with numpy alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ....exceptions import InputError, NotFittedError
from .features import power_standardize

__all__ = ["PowerStandardizer"]


class PowerStandardizer(TransformerMixin, BaseEstimator):
    """Yeo-Johnson + standardisation of selected columns (default: the first two).

    Parameters
    ----------
    columns : sequence of int
        Column indices to transform (default ``(0, 1)``: ``n_files``, ``total_mb``).

    Attributes
    ----------
    lambdas_, means_, scales_ : numpy.ndarray
        Fitted Yeo-Johnson parameters and the mean and standard deviation of the transformed
        columns.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 10, 0], [2, 20, 1], [4, 80, 1], [8, 300, 0]], dtype=float)
    >>> t = PowerStandardizer().fit(X)
    >>> Z = t.transform(X)
    >>> bool(abs(Z[:, 0].mean()) < 1e-9), Z[:, 2].tolist()
    (True, [0.0, 1.0, 1.0, 0.0])
    """

    def __init__(self, columns: Sequence[int] = (0, 1)):
        self.columns = columns

    def fit(self, X: Any, y: Any = None) -> PowerStandardizer:
        """Fit the Yeo-Johnson lambdas (maximum likelihood) and the z-score of each column."""
        from scipy import stats

        X = self._check(X)
        cols = list(self.columns)
        lambdas, means, scales = [], [], []
        for c in cols:
            x = X[:, c]
            lam = float(stats.yeojohnson_normmax(x))
            z = power_standardize(x[:, None], {"columns": [0], "lambdas": [lam], "means": [0.0], "scales": [1.0]})[:, 0]
            sd = float(z.std())
            lambdas.append(lam)
            means.append(float(z.mean()))
            scales.append(sd if sd > 0 else 1.0)
        self.lambdas_ = np.array(lambdas)
        self.means_ = np.array(means)
        self.scales_ = np.array(scales)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return a float64 copy of ``X`` with the chosen columns transformed."""
        if not hasattr(self, "lambdas_"):
            raise NotFittedError("this PowerStandardizer is not fitted yet: call fit(X) first")
        X = self._check(X)
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"expected {self.n_features_in_} columns as in fit, got {X.shape[1]}")
        return power_standardize(X, self.to_dict())

    def to_dict(self) -> dict:
        """Fitted parameters as JSON-ready numbers."""
        if not hasattr(self, "lambdas_"):
            raise NotFittedError("this PowerStandardizer is not fitted yet: call fit(X) first")
        return {
            "columns": [int(c) for c in self.columns],
            "lambdas": self.lambdas_.tolist(),
            "means": self.means_.tolist(),
            "scales": self.scales_.tolist(),
            "n_features_in": int(self.n_features_in_),
        }

    @classmethod
    def from_dict(cls, params: dict) -> PowerStandardizer:
        """Rebuild a fitted transformer from :meth:`to_dict` output."""
        obj = cls(columns=tuple(params["columns"]))
        obj.lambdas_ = np.asarray(params["lambdas"], dtype=float)
        obj.means_ = np.asarray(params["means"], dtype=float)
        obj.scales_ = np.asarray(params["scales"], dtype=float)
        obj.n_features_in_ = int(params["n_features_in"])
        return obj

    @staticmethod
    def _check(X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise InputError(
                f"expected a 2-D array (rows, features), got shape {X.shape}; "
                "reshape a single row with X.reshape(1, -1)"
            )
        return X
