"""HST calibration's power transformer of ``n_files`` and ``total_mb``.

The estimator lives in the prepare layer, :class:`spacekit.transformer.PowerStandardizer`
(Yeo-Johnson + z-score of chosen columns, parameters as JSON). This subclass only keeps the
default the calibration models use, ``columns=(0, 1)`` (``n_files``, ``total_mb``); its fitted
parameters are saved with the model and applied at prediction time by
:func:`spacekit.transformer.power.power_standardize` with numpy alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from ....transformer.estimators import PowerStandardizer as _PowerStandardizer

__all__ = ["PowerStandardizer"]


class PowerStandardizer(_PowerStandardizer):
    """:class:`spacekit.transformer.PowerStandardizer` with HST calibration's default columns.

    Parameters
    ----------
    columns : sequence of int or str
        Columns to transform (default ``(0, 1)``: ``n_files``, ``total_mb``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 10, 0], [2, 20, 1], [4, 80, 1], [8, 300, 0]], dtype=float)
    >>> t = PowerStandardizer().fit(X)
    >>> Z = t.transform(X)
    >>> bool(abs(Z[:, 0].mean()) < 1e-9), Z[:, 2].tolist()
    (True, [0.0, 1.0, 1.0, 0.0])
    """

    def __init__(self, columns: Sequence[int | str] | None = (0, 1)):
        self.columns = columns
