"""Linear models as numpy arrays: ridge regressions on pairwise products of the features.

Part of the numpy model export (:mod:`~spacekit.skopes.hst.cal.export`, which saves and loads
every kind): :func:`pairwise_basis` builds the 80 basis columns from the nine standardised
features, and :class:`LinearModel` is a weighted ridge regression on them (fitted with numpy
alone), reproducing its predictions to float64 rounding whatever the batch around a row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....exceptions import InputError
from .trees import _running_sum

__all__ = ["LinearModel", "pairwise_basis"]


def pairwise_basis(Z: Any, out: np.ndarray | None = None) -> np.ndarray:
    """The linear models' inputs: the nine standardised features, one-hot, and pairwise products.

    ``Z`` holds the features in :data:`~spacekit.skopes.hst.cal.features.FEATURES` order after
    :func:`~spacekit.transformer.power.power_standardize` (``n_files`` and ``total_mb``
    transformed, the categorical codes as they are). The base columns are ``n_files``,
    ``total_mb``, ``drizcorr``, ``pctecorr``, ``crsplit == 1``, ``crsplit == 2``, ``subarray``,
    ``detector``, ``dtype`` and ``instr == 1, 2, 3``; the basis is those 12, the squares of the
    two sizes and every product of two different base columns (80 columns). On a log-target
    this makes the prediction a product of per-feature factors with pairwise interactions,
    which extends to combinations of categorical values never seen together in training.
    ``out`` (float64, shape (n, 80)) receives the basis instead of a new array.

    Parameters
    ----------
    Z : array-like
        Standardised feature rows, shape (n, 9).
    out : numpy.ndarray, optional
        float64 array of shape (n, 80) to fill.

    Returns
    -------
    numpy.ndarray
        The basis, shape (n, 80) (``out`` when given).

    Examples
    --------
    >>> pairwise_basis(np.zeros((2, 9))).shape
    (2, 80)
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != 9:
        raise InputError(f"expected standardised features of shape (n, 9), got {Z.shape}")
    base = [
        Z[:, 0],
        Z[:, 1],
        Z[:, 2],
        Z[:, 3],
        (Z[:, 4] == 1) * 1.0,
        (Z[:, 4] == 2) * 1.0,
        Z[:, 5],
        Z[:, 6],
        Z[:, 7],
    ] + [(Z[:, 8] == k) * 1.0 for k in (1, 2, 3)]
    if out is None:
        out = np.empty((Z.shape[0], 80))
    k = len(base)
    for c, col in enumerate(base):
        out[:, c] = col
    c = k
    for i in range(k):
        for j in range(i, k):
            if i == j and i >= 2:  # squares of 0/1 columns repeat the column
                continue
            np.multiply(base[i], base[j], out=out[:, c])
            c += 1
    return out


_BASES = {"pairwise": pairwise_basis}
_LINEAR_CHUNK = 8192


class LinearModel:
    """A linear regression on a fixed basis of the standardised features (numpy only).

    ``predict(Z) = link(((basis(Z) - mean) / scale) @ coef + intercept)``.

    Parameters
    ----------
    coef, mean, scale : numpy.ndarray
        Coefficients of the standardised basis columns and the standardisation.
    intercept : float
    basis : str
        Name of the basis function (``pairwise``: :func:`pairwise_basis`).
    link : str
        ``identity`` or ``exp``.
    log_sizes : array of shape (k, 4), optional
        Rows ``(column, lambda, mean, scale)`` of power-standardised columns (see
        :func:`~spacekit.transformer.power.power_standardize`) that enter the basis as
        ``log(1 + x)`` of the original value instead: the Yeo-Johnson transform is undone
        (``log(1 + x) = log(lambda * t + 1) / lambda``, ``t = z * scale + mean``). On a log
        target this makes the model a power law in the sizes, which extrapolates to unseen
        sizes more sensibly.

    Examples
    --------
    >>> m = LinearModel(coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=1.5)
    >>> m.predict(np.zeros((1, 9))).tolist()
    [1.5]
    """

    kind = "linear"

    def __init__(
        self,
        *,
        coef,
        mean,
        scale,
        intercept: float,
        basis: str = "pairwise",
        link: str = "identity",
        log_sizes: Any = None,
    ):
        if basis not in _BASES:
            raise InputError(
                f"unknown linear-model basis {basis!r}; expected one of {sorted(_BASES)}"
            )
        if link not in ("identity", "exp"):
            raise InputError(f"unknown linear-model link {link!r}; expected 'identity' or 'exp'")
        self.coef = np.asarray(coef, dtype=np.float64).reshape(-1)
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        if not self.coef.shape == self.mean.shape == self.scale.shape:
            raise InputError(
                f"linear model: coef {self.coef.shape}, mean {self.mean.shape} and scale "
                f"{self.scale.shape} must have the same length"
            )
        self.intercept = float(intercept)
        self.basis = basis
        self.link = link
        self.log_sizes = (
            None if log_sizes is None else np.asarray(log_sizes, dtype=np.float64).reshape(-1, 4)
        )

    def _inputs(self, Z: Any) -> np.ndarray:
        """``Z`` with the ``log_sizes`` columns replaced by ``log(1 + x)`` of the original sizes."""
        Z = np.asarray(Z, dtype=np.float64)
        if self.log_sizes is None or len(self.log_sizes) == 0:
            return Z
        Z = Z.copy()
        for col, lam, mu, sd in self.log_sizes:
            c = int(col)
            t = Z[:, c] * sd + mu
            Z[:, c] = t if abs(lam) < 1e-12 else np.log(np.maximum(lam * t + 1.0, 1e-300)) / lam
        return Z

    @classmethod
    def fit(
        cls,
        Z: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        alpha: float = 1.0,
        basis: str = "pairwise",
        log_sizes: Any = None,
    ) -> LinearModel:
        """Weighted ridge regression (unpenalised intercept) on the standardised basis of ``Z``.

        Parameters
        ----------
        Z : array-like
            Standardised feature rows, shape (n, 9).
        y : array-like
            Targets, shape (n,).
        sample_weight : array-like, optional
            Non-negative row weights with a positive sum (default: equal).
        alpha : float
            Ridge penalty of the coefficients.
        basis : str
            Name of the basis function (``pairwise``: :func:`pairwise_basis`).
        log_sizes : array of shape (k, 4), optional
            Power-standardised columns entered as ``log(1 + x)`` (see :class:`LinearModel`).

        Returns
        -------
        LinearModel
            The fitted model.

        Examples
        --------
        >>> Z = np.zeros((4, 9)); Z[:, 1] = [0.0, 1.0, 2.0, 3.0]
        >>> m = LinearModel.fit(Z, 2 * Z[:, 1] + 1, alpha=1e-9)
        >>> bool(np.allclose(m.predict(Z), 2 * Z[:, 1] + 1))
        True
        """
        if basis not in _BASES:
            raise InputError(
                f"unknown linear-model basis {basis!r}; expected one of {sorted(_BASES)}"
            )
        B = _BASES[basis](
            cls(coef=[], mean=[], scale=[], intercept=0.0, log_sizes=log_sizes)._inputs(Z)
        )
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        w = (
            np.ones(len(y))
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        if len(y) != len(B) or len(w) != len(B):
            raise InputError(
                f"linear model: {len(B)} rows of features, {len(y)} targets, {len(w)} weights"
            )
        if np.any(w < 0) or not w.sum() > 0:
            raise InputError("linear model: sample weights must be >= 0 with a positive sum")
        wn = w / w.sum()
        mean = wn @ B
        sd = np.sqrt(wn @ (B - mean) ** 2)
        scale = np.where(sd > 1e-12, sd, 1.0)
        A = (B - mean) / scale
        A[:, sd <= 1e-12] = 0.0  # constant columns carry no information
        ym = float(wn @ y)
        # Minimises sum_i w_i (y_i - yhat_i)^2 + alpha * |coef|^2 (as scikit-learn's Ridge).
        gram = A.T @ (A * w[:, None])
        rhs = A.T @ (w * (y - ym))
        coef = np.linalg.solve(gram + alpha * np.eye(A.shape[1]), rhs)
        coef[sd <= 1e-12] = 0.0
        return cls(
            coef=coef, mean=mean, scale=scale, intercept=ym, basis=basis, log_sizes=log_sizes
        )

    def predict(self, Z: Any) -> np.ndarray:
        """Predicted values (n,).

        ``sum_c ((basis_c - mean_c) / scale_c) * coef_c`` is summed column by column in a
        fixed order (no BLAS product, whose rounding depends on how many rows it is given),
        so a row's prediction is the same bit for bit whatever the batch around it. Rows are
        taken 8192 at a time into one reused basis buffer, so memory stays bounded (the basis
        is 80 float64 columns per row).

        Parameters
        ----------
        Z : array-like
            Standardised feature rows, shape (n, 9).

        Returns
        -------
        numpy.ndarray
            Predictions, shape (n,).
        """
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2:
            raise InputError(f"expected a 2-D array (rows, features), got shape {Z.shape}")
        out = np.empty(Z.shape[0])
        buf = np.empty((self.coef.size, min(Z.shape[0], _LINEAR_CHUNK)))  # column-major basis
        weights = self.coef[:, None]
        for start in range(0, Z.shape[0], _LINEAR_CHUNK):
            z = Z[start : start + _LINEAR_CHUNK]
            b = buf[:, : z.shape[0]]
            _BASES[self.basis](self._inputs(z), out=b.T)
            b -= self.mean[:, None]
            b /= self.scale[:, None]
            b *= weights
            _running_sum(b, out[start : start + z.shape[0]])
        out += self.intercept
        return np.exp(out, out=out) if self.link == "exp" else out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {
            "coef": self.coef,
            "mean": self.mean,
            "scale": self.scale,
            "intercept": np.array([self.intercept]),
        }
        if self.log_sizes is not None:
            arrays["log_sizes"] = self.log_sizes
        return arrays, {"kind": self.kind, "basis": self.basis, "link": self.link}

    @classmethod
    def from_arrays(cls, arrays: dict, spec: dict) -> LinearModel:
        return cls(
            coef=arrays["coef"],
            mean=arrays["mean"],
            scale=arrays["scale"],
            intercept=float(np.asarray(arrays["intercept"]).reshape(-1)[0]),
            basis=spec["basis"],
            link=spec["link"],
            log_sizes=arrays.get("log_sizes"),
        )
