"""scikit-learn transformers: power standardisation of chosen columns and the row transforms
of flux tables (:mod:`spacekit.transformer.signal`) as estimators for a ``Pipeline``.

- :class:`PowerStandardizer`: Yeo-Johnson + z-score of chosen columns, the others passed
  through; its fitted numbers are JSON-ready (:meth:`~PowerStandardizer.to_dict`) and applied
  without scikit-learn by :func:`spacekit.transformer.power.power_standardize`;
- :class:`RowScaler`: :func:`~spacekit.transformer.scale_rows` (each row to zero mean, unit
  variance);
- :class:`SmoothedChannel`: :func:`~spacekit.transformer.add_smoothed_channel` (rows plus a
  running mean as a second channel, shape ``(n, m, 2)`` for a 1-D CNN);
- :class:`FFTFeatures`: :func:`~spacekit.transformer.fft_features` (FFT magnitude per row).

All follow the scikit-learn contract (docs/design.rst, "Estimators, builders, names and
plots"): ``__init__`` stores settings only, ``fit`` validates them and returns ``self``, fitted
attributes end in ``_`` and ``transform`` refuses to run before ``fit``
(:class:`~spacekit.exceptions.NotFittedError`). Bad input is an
:class:`~spacekit.exceptions.InputError` (a ``ValueError``) with scikit-learn's message.

The row transforms learn nothing from the training rows (each row is transformed on its own,
so they cannot leak between train and test); ``fit`` records the number of columns, which
``transform`` then requires, so a model downstream always sees the width it was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import validate_data

from ..exceptions import InputError, NotFittedError
from ..utils.checks import whole_number
from .power import power_standardize
from .signal import add_smoothed_channel, fft_features, scale_rows

__all__ = ["PowerStandardizer", "RowScaler", "SmoothedChannel", "FFTFeatures"]


class _SpacekitTransformer(TransformerMixin, BaseEstimator):
    """Input validation and the fitted check shared by the transformers here."""

    #: A fitted attribute that exists only after ``fit``.
    _fitted_attr = "n_features_in_"
    _allow_nan = False
    _min_samples = 1  # rows that fit needs (transform takes any number)

    def _validate(self, X: Any, *, reset: bool) -> np.ndarray:
        """scikit-learn's checks (2-D, numeric, finite, width as in fit) as an InputError."""
        try:
            return validate_data(
                self,
                X,
                reset=reset,
                dtype=np.float64,
                ensure_all_finite="allow-nan" if self._allow_nan else True,
                ensure_min_samples=self._min_samples if reset else 1,
            )
        except InputError:
            raise
        except ValueError as exc:  # keep scikit-learn's words, raise spacekit's type
            raise InputError(f"{type(self).__name__}: {exc}") from None

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attr):
            name = type(self).__name__
            raise NotFittedError(
                f"this {name} is not fitted yet: call {name}(...).fit(X) first (or "
                "fit_transform), or use it inside a Pipeline that is fitted"
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        return tags


class PowerStandardizer(OneToOneFeatureMixin, _SpacekitTransformer):
    """Yeo-Johnson power transform + standardisation of chosen columns; the others pass
    through unchanged.

    Like scikit-learn's ``PowerTransformer(method="yeo-johnson")`` restricted to some columns,
    with the fitted parameters exported as plain numbers (:meth:`to_dict`) so that a served
    model applies them with numpy alone (:func:`~spacekit.transformer.power.power_standardize`).

    Parameters
    ----------
    columns : sequence of int or str, optional
        Columns to transform: indices, or names when fitted on a DataFrame. Default: all.

    Attributes
    ----------
    columns_ : numpy.ndarray of int
        Indices of the transformed columns.
    lambdas_ : numpy.ndarray
        Yeo-Johnson parameters (maximum likelihood, :func:`scipy.stats.yeojohnson_normmax`).
    means_, scales_ : numpy.ndarray
        Mean and standard deviation of each transformed column (a constant column's scale
        is 1).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names seen in ``fit`` (only when ``X`` had string column names).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 10, 0], [2, 20, 1], [4, 80, 1], [8, 300, 0]], dtype=float)
    >>> t = PowerStandardizer(columns=[0, 1]).fit(X)
    >>> Z = t.transform(X)
    >>> bool(abs(Z[:, 0].mean()) < 1e-9), Z[:, 2].tolist()
    (True, [0.0, 1.0, 1.0, 0.0])

    The fitted numbers travel as JSON and come back as a fitted transformer:

    >>> again = PowerStandardizer.from_dict(t.to_dict())
    >>> bool(np.array_equal(again.transform(X), Z))
    True

    In a Pipeline, by column name:

    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> df = pd.DataFrame(X, columns=["n_files", "total_mb", "flag"])
    >>> model = make_pipeline(PowerStandardizer(columns=["total_mb"]), LinearRegression())
    >>> model.fit(df, [1.0, 2.0, 3.0, 4.0]).predict(df).shape
    (4,)
    """

    _fitted_attr = "lambdas_"
    _min_samples = 2  # a Yeo-Johnson lambda needs at least two values

    def __init__(self, columns: Sequence[int | str] | None = None):
        self.columns = columns

    def _column_indices(self, n_features: int) -> np.ndarray:
        if self.columns is None:
            return np.arange(n_features)
        if isinstance(self.columns, (str, int, np.integer)):
            raise InputError(
                f"PowerStandardizer: columns must be a sequence of indices or names, got "
                f"{self.columns!r}; wrap a single column in a list: columns=[{self.columns!r}]"
            )
        names = getattr(self, "feature_names_in_", None)
        out = []
        for c in self.columns:
            if isinstance(c, str):
                if names is None:
                    raise InputError(
                        f"PowerStandardizer: column {c!r} is a name, but X has no column names; "
                        "fit on a DataFrame or give column indices"
                    )
                hits = np.flatnonzero(names == c)
                if not len(hits):
                    raise InputError(
                        f"PowerStandardizer: no column {c!r} in X; its columns are "
                        f"{list(names)[:20]}"
                    )
                out.append(int(hits[0]))
            elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
                if not -n_features <= c < n_features:
                    raise InputError(
                        f"PowerStandardizer: column index {c} is out of range for X with "
                        f"{n_features} column(s)"
                    )
                out.append(int(c) % n_features)
            else:
                raise InputError(f"PowerStandardizer: columns must be indices or names, got {c!r}")
        if len(set(out)) != len(out):
            raise InputError(
                f"PowerStandardizer: columns {list(self.columns)!r} name a column twice; "
                "each column can be transformed once"
            )
        return np.asarray(out, dtype=int)

    def fit(self, X: Any, y: Any = None) -> PowerStandardizer:
        """Fit the Yeo-Johnson lambdas (maximum likelihood) and the z-score of each column.

        Parameters
        ----------
        X : array_like of shape (n_rows, n_features)
            At least two rows, finite values.
        y : ignored

        Returns
        -------
        PowerStandardizer
            ``self``, fitted.
        """
        from scipy import stats

        X = self._validate(X, reset=True)
        cols = self._column_indices(X.shape[1])
        lambdas, means, scales = [], [], []
        for c in cols:
            x = X[:, c]
            lam = float(stats.yeojohnson_normmax(x))
            unit = {"columns": [0], "lambdas": [lam], "means": [0.0], "scales": [1.0]}
            z = power_standardize(x[:, None], unit)[:, 0]
            sd = float(z.std())
            lambdas.append(lam)
            means.append(float(z.mean()))
            scales.append(sd if sd > 0 else 1.0)
        self.columns_ = cols
        self.lambdas_ = np.array(lambdas)
        self.means_ = np.array(means)
        self.scales_ = np.array(scales)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return a float64 copy of ``X`` with the chosen columns transformed.

        Parameters
        ----------
        X : array_like of shape (n_rows, n_features)
            As many columns as in ``fit``.

        Returns
        -------
        numpy.ndarray of float64
        """
        self._check_fitted()
        X = self._validate(X, reset=False)
        return power_standardize(X, self.to_dict())

    def to_dict(self) -> dict:
        """Fitted parameters as JSON-ready numbers.

        Returns
        -------
        dict
            ``columns`` (indices), ``lambdas``, ``means``, ``scales``, ``n_features_in`` (and
            ``feature_names`` when fitted on named columns): the input of
            :func:`~spacekit.transformer.power.power_standardize` and :meth:`from_dict`.

        Examples
        --------
        >>> import numpy as np
        >>> d = PowerStandardizer().fit(np.array([[1.0], [2.0], [4.0]])).to_dict()
        >>> sorted(d)
        ['columns', 'lambdas', 'means', 'n_features_in', 'scales']
        """
        self._check_fitted()
        cols = getattr(self, "columns_", None)
        if cols is None:  # an object unpickled from before columns_ existed
            cols = self.columns
        out = {
            "columns": [int(c) for c in cols],
            "lambdas": self.lambdas_.tolist(),
            "means": self.means_.tolist(),
            "scales": self.scales_.tolist(),
            "n_features_in": int(self.n_features_in_),
        }
        if hasattr(self, "feature_names_in_"):
            out["feature_names"] = [str(c) for c in self.feature_names_in_]
        return out

    @classmethod
    def from_dict(cls, params: dict) -> PowerStandardizer:
        """Rebuild a fitted transformer from :meth:`to_dict` output.

        Parameters
        ----------
        params : dict
            The output of :meth:`to_dict`.

        Returns
        -------
        PowerStandardizer
            The fitted transformer.

        Examples
        --------
        >>> t = PowerStandardizer.from_dict({"columns": [0], "lambdas": [1.0], "means": [1.0],
        ...                                  "scales": [2.0], "n_features_in": 2})
        >>> t.transform([[3.0, 5.0]]).tolist()
        [[1.0, 5.0]]
        """
        try:
            cols = [int(c) for c in params["columns"]]
            obj = cls(columns=tuple(cols))
            obj.columns_ = np.asarray(cols, dtype=int)
            obj.lambdas_ = np.asarray(params["lambdas"], dtype=float)
            obj.means_ = np.asarray(params["means"], dtype=float)
            obj.scales_ = np.asarray(params["scales"], dtype=float)
            obj.n_features_in_ = int(params["n_features_in"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                "PowerStandardizer.from_dict expects PowerStandardizer.to_dict() output (keys "
                f"columns, lambdas, means, scales, n_features_in); {type(exc).__name__}: {exc}"
            ) from None
        if not len(cols) == len(obj.lambdas_) == len(obj.means_) == len(obj.scales_):
            raise InputError(
                "PowerStandardizer.from_dict: columns, lambdas, means and scales must have one "
                f"entry per column; got lengths {len(cols)}, {len(obj.lambdas_)}, "
                f"{len(obj.means_)}, {len(obj.scales_)}"
            )
        if "feature_names" in params:
            obj.feature_names_in_ = np.asarray(params["feature_names"], dtype=object)
        return obj


class RowScaler(OneToOneFeatureMixin, _SpacekitTransformer):
    """Scale each row to zero mean and unit variance (:func:`~spacekit.transformer.scale_rows`).

    Each row (one light curve) is scaled by its own mean and spread, so nothing is learnt
    from the training rows. A constant row becomes zeros; NaN values are left out of a row's
    statistics and stay NaN.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns (flux samples per row) seen in ``fit``.

    Examples
    --------
    >>> RowScaler().fit_transform([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]).round(3).tolist()
    [[-1.225, 0.0, 1.225], [0.0, 0.0, 0.0]]

    Before a classifier:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 8)), np.arange(20) % 2
    >>> make_pipeline(RowScaler(), LogisticRegression()).fit(X, y).predict(X).shape
    (20,)
    """

    _allow_nan = True

    def fit(self, X: Any, y: Any = None) -> RowScaler:
        """Check ``X`` and record its number of columns; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows of flux.
        y : None
            Ignored (the scikit-learn signature).

        Returns
        -------
        RowScaler
            ``self``, fitted.
        """
        self._validate(X, reset=True)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Rows of ``X`` scaled to zero mean and unit variance (float64).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows of flux, as many columns as in ``fit``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_rows, n_features_in_)``.
        """
        self._check_fitted()
        return scale_rows(self._validate(X, reset=False))


class SmoothedChannel(_SpacekitTransformer):
    """Stack each row with its running mean as a second channel
    (:func:`~spacekit.transformer.add_smoothed_channel`): shape ``(n, m)`` to ``(n, m, 2)``.

    The output is 3-D, the input of a 1-D CNN (``build_cnn1d``), so it ends a Pipeline of
    array steps or feeds a Keras model; scikit-learn estimators that expect 2-D input cannot
    follow it.

    Parameters
    ----------
    size : int
        Width of the running mean in samples (at least 1).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns (flux samples per row) seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> X = np.array([[0.0, 3.0, 0.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
    >>> make_pipeline(RowScaler(), SmoothedChannel(size=3)).fit_transform(X).shape
    (2, 4, 2)
    """

    def __init__(self, size: int = 7):
        self.size = size

    def fit(self, X: Any, y: Any = None) -> SmoothedChannel:
        """Check ``size`` and ``X`` and record its number of columns; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows of flux.
        y : None
            Ignored (the scikit-learn signature).

        Returns
        -------
        SmoothedChannel
            ``self``, fitted.
        """
        whole_number(self.size, "SmoothedChannel size (running-mean width in samples)", minimum=1)
        self._validate(X, reset=True)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Array of shape ``(n_rows, n_features_in_, 2)``: each row and its running mean.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows of flux, as many columns as in ``fit``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_rows, n_features_in_, 2)``.
        """
        self._check_fitted()
        return add_smoothed_channel(self._validate(X, reset=False), self.size)


class FFTFeatures(_SpacekitTransformer):
    """FFT magnitude of each row (:func:`~spacekit.transformer.fft_features`).

    Parameters
    ----------
    n : int, optional
        FFT length (rows cropped or zero-padded to it); default: the number of columns.
    onesided : bool
        Keep the ``n // 2 + 1`` non-negative frequencies (default), or all ``n``.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    n_features_out_ : int
        Number of output columns (frequencies).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.vstack([np.sin(np.arange(16) * np.pi / 2), np.zeros(16)])
    >>> f = FFTFeatures().fit(x)
    >>> f.transform(x).shape, f.get_feature_names_out()[:3].tolist()
    ((2, 9), ['fft0', 'fft1', 'fft2'])

    Scaled rows, then their spectra, then a classifier:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 16)), np.arange(20) % 2
    >>> model = make_pipeline(RowScaler(), FFTFeatures(), LogisticRegression()).fit(X, y)
    >>> model.predict(X).shape
    (20,)
    """

    _fitted_attr = "n_features_out_"

    def __init__(self, n: int | None = None, *, onesided: bool = True):
        self.n = n
        self.onesided = onesided

    def fit(self, X: Any, y: Any = None) -> FFTFeatures:
        """Check the settings and ``X``; record the input and output widths; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows of flux.
        y : None
            Ignored (the scikit-learn signature).

        Returns
        -------
        FFTFeatures
            ``self``, fitted.
        """
        n = (
            None
            if self.n is None
            else whole_number(self.n, "FFTFeatures n (FFT length)", minimum=1)
        )
        if not isinstance(self.onesided, (bool, np.bool_)):
            raise InputError(f"FFTFeatures onesided must be True or False; got {self.onesided!r}")
        X = self._validate(X, reset=True)
        length = X.shape[1] if n is None else n
        self.n_features_out_ = length // 2 + 1 if self.onesided else length
        return self

    def transform(self, X: Any) -> np.ndarray:
        """FFT magnitudes, shape ``(n_rows, n_features_out_)``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows of flux, as many columns as in ``fit``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_rows, n_features_out_)``.
        """
        self._check_fitted()
        return fft_features(self._validate(X, reset=False), n=self.n, onesided=bool(self.onesided))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output names ``fft0 ... fft{k}`` (``k`` the frequency index).

        Parameters
        ----------
        input_features : None
            Ignored (the scikit-learn signature).

        Returns
        -------
        numpy.ndarray of str
            Shape ``(n_features_out_,)``.
        """
        self._check_fitted()
        return np.asarray([f"fft{k}" for k in range(self.n_features_out_)], dtype=object)
