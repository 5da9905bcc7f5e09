"""The Yeo-Johnson power transform and saved power-standardisation parameters, with numpy alone.

:class:`~spacekit.transformer.PowerStandardizer` (a scikit-learn estimator) fits the
parameters; this module applies them. It imports nothing but numpy, so a model served from
its saved parameters (e.g. HST calibration's ``CalPredictor``) needs neither scikit-learn nor
scipy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..exceptions import InputError

__all__ = ["yeo_johnson", "power_standardize"]


def yeo_johnson(x: Any, lmbda: float) -> np.ndarray:
    """The Yeo-Johnson power transform of ``x`` with parameter ``lmbda`` (numpy only).

    The same formula as :func:`scipy.stats.yeojohnson` with a given ``lmbda`` (and
    scikit-learn's ``PowerTransformer(method="yeo-johnson")`` before its standardisation).

    Parameters
    ----------
    x : array_like
        Values (any sign).
    lmbda : float
        The transform's parameter (1 is the identity).

    Returns
    -------
    numpy.ndarray
        Transformed values (float64), same shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> float(yeo_johnson(np.array([3.0]), 1.0)[0])
    3.0
    >>> yeo_johnson([-1.0, 0.0, np.e - 1], 0.0).round(6).tolist()
    [-1.5, 0.0, 1.0]
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    eps = np.spacing(1.0)
    if abs(lmbda) < eps:
        out[pos] = np.log1p(x[pos])
    else:
        out[pos] = (np.power(x[pos] + 1, lmbda) - 1) / lmbda
    if abs(lmbda - 2) > eps:
        out[~pos] = -(np.power(-x[~pos] + 1, 2 - lmbda) - 1) / (2 - lmbda)
    else:
        out[~pos] = -np.log1p(-x[~pos])
    return out


def power_standardize(X: Any, params: Mapping[str, Any]) -> np.ndarray:
    """Apply saved power-standardisation parameters to a feature matrix (numpy only).

    Parameters
    ----------
    X : array_like of shape (n_rows, n_features)
        Feature matrix.
    params : mapping
        :meth:`PowerStandardizer.to_dict <spacekit.transformer.PowerStandardizer.to_dict>`
        output: ``columns`` (indices), ``lambdas``, ``means``, ``scales``. Each chosen column
        becomes ``(yeo_johnson(x, lambda) - mean) / scale``; the other columns pass through.
        An optional ``decimals`` rounds the transformed columns (upstream spacekit's models
        were trained on values rounded to 5 decimals).

    Returns
    -------
    numpy.ndarray
        A float64 copy of ``X``.

    Raises
    ------
    InputError
        ``X`` is not 2-D, or the parameters name a column ``X`` does not have.

    Examples
    --------
    >>> import numpy as np
    >>> p = {"columns": [0], "lambdas": [1.0], "means": [1.0], "scales": [2.0]}
    >>> power_standardize(np.array([[3.0, 5.0]]), p).tolist()
    [[1.0, 5.0]]
    """
    out = np.array(X, dtype=np.float64, copy=True)
    if out.ndim != 2:
        raise InputError(
            f"expected a 2-D feature matrix (rows, features), got shape {out.shape}; reshape a "
            "single row with X.reshape(1, -1)"
        )
    cols = list(params["columns"])
    if cols and (max(cols) >= out.shape[1] or min(cols) < -out.shape[1]):
        raise InputError(
            f"the power-transform parameters are for columns {cols}, but X has only "
            f"{out.shape[1]} column(s); pass the feature matrix the parameters were fitted on"
        )
    for col, lam, mu, sd in zip(
        cols, params["lambdas"], params["means"], params["scales"], strict=False
    ):
        out[:, col] = (yeo_johnson(out[:, col], lam) - mu) / sd
        if params.get("decimals") is not None:
            out[:, col] = np.round(out[:, col], int(params["decimals"]))
    return out
