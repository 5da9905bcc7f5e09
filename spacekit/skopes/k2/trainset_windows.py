"""The windows of a K2 training set: one real segment's and the synthetic ones.

:func:`spacekit.skopes.k2.dataset.build_training_set` calls these for each part of the set;
each window draws from its own ``numpy.random.default_rng([seed, ...])`` stream, so a set is
reproducible given its seed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...utils.progress import progress
from .inject import draw_transit, inject_transit, transit_snr
from .noise import robust_scatter, synthetic_window
from .windows import in_transit, mask_transits, window_starts

#: ``add(flux, label, info)``: append one window and its metadata row to the set.
AddWindow = Callable[[np.ndarray, int, dict], None]


def _tag(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _rng(seed: int, *tags: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *[int(t) for t in tags]])


def _transit_row(tw: np.ndarray, model: np.ndarray, params: Any, sigma: float) -> dict:
    n_in = int((model < 1.0 - 1e-9).sum())
    depth = float(1.0 - model.min())
    # transits with their middle inside the window (at least one by construction)
    first = np.ceil((tw[0] - params.epoch) / params.period)
    last = np.floor((tw[-1] - params.epoch) / params.period)
    n_events = max(1, int(last - first + 1))
    snr = transit_snr(depth, sigma, n_in)
    return {
        "period_d": params.period,
        "epoch_offset_d": float(params.epoch - tw[0]),
        "duration_h": params.duration * 24.0,
        "depth": depth,
        "impact": params.impact,
        "u1": params.u1,
        "u2": params.u2,
        "n_in_transit": n_in,
        "n_transits": n_events,
        "snr": snr,
        "snr_per_transit": snr / np.sqrt(n_events),
    }


def segment_windows(
    add: AddWindow,
    name: str,
    j: int,
    t: np.ndarray,
    f: np.ndarray,
    ephem: list,
    *,
    length: int,
    step: int,
    n_neg: int,
    injections_per_window: int,
    include_real_transits: bool,
    transit_ranges: Mapping[str, tuple[float, float]] | None,
    mask_factor: float,
    seed: int,
) -> int:
    """Add the windows of segment ``j`` of star ``name``; return how many windows were cut."""
    starts = window_starts(t.size, length, step=step)
    if starts.size == 0:
        return 0
    fm, _ = mask_transits(t, f, ephem, rng=_rng(seed, 1, _tag(name), j), factor=mask_factor)
    cadence_min = float(np.median(np.diff(t)) * 1440.0)
    for k, st in enumerate(starts):
        tw, fw = t[st : st + length], fm[st : st + length]
        sigma = robust_scatter(fw)
        base = {
            "star": name,
            "group": name,
            "segment": j,
            "start": int(st),
            "cadence_min": cadence_min,
            "noise_kind": "real",
            "sigma": sigma,
        }
        for r in range(max(1, n_neg)):
            # copies balance the injected ones, so a star's noise texture says nothing
            # about the label: the window, then time-reversed, then circularly rolled
            neg = (
                fw
                if r == 0
                else fw[::-1]
                if r == 1
                else np.roll(fw, int(_rng(seed, 4, _tag(name), j, k, r).integers(1, length)))
            )
            add(neg, 0, {**base, "kind": "real_noise", "copy": r})
        for r in range(int(injections_per_window)):
            rng = _rng(seed, 2, _tag(name), j, k, r)
            params = draw_transit(rng, t_start=tw[0], t_end=tw[-1], ranges=transit_ranges)
            fi, model = inject_transit(tw, fw, params)
            add(fi, 1, {**base, "kind": "real_injected", **_transit_row(tw, model, params, sigma)})
        if include_real_transits and ephem:
            _add_real_transit(add, tw, f[st : st + length], ephem, base)
    return len(starts)


def _add_real_transit(
    add: AddWindow, tw: np.ndarray, raw: np.ndarray, ephem: list, base: dict
) -> None:
    """Add the unmasked window ``raw`` as a real transit when it holds two in-transit cadences."""
    inside = in_transit(tw, ephem, factor=1.0)
    if inside.sum() >= 2:
        depth = float(np.median(raw[~inside]) - np.median(raw[inside]))
        sig_raw = robust_scatter(raw)
        add(
            raw,
            1,
            {
                **base,
                "kind": "real_transit",
                "sigma": sig_raw,
                "depth": depth,
                "n_in_transit": int(inside.sum()),
                "snr": transit_snr(depth, sig_raw, int(inside.sum())),
            },
        )


def synthetic_windows(
    add: AddWindow,
    n_synthetic: int,
    *,
    length: int,
    n_groups: int,
    transit_ranges: Mapping[str, tuple[float, float]] | None,
    seed: int,
    show_progress: bool | None,
) -> None:
    """Add ``n_synthetic`` synthetic windows, every other one with an injected transit."""
    for i in progress(range(int(n_synthetic)), desc="k2 synthetic", enabled=show_progress):
        rng = _rng(seed, 3, i)
        tw, fw, p = synthetic_window(length, rng=rng)
        sigma = robust_scatter(fw)
        base = {
            "star": "synthetic",
            "group": f"synthetic-{i % n_groups}",
            "segment": -1,
            "start": -1,
            "cadence_min": p["cadence_min"],
            "noise_kind": p["kind"],
            "sigma": sigma,
            "generator_seed": i,
        }
        if i % 2 == 1:
            params = draw_transit(rng, t_start=tw[0], t_end=tw[-1], ranges=transit_ranges)
            fi, model = inject_transit(tw, fw, params)
            add(
                fi,
                1,
                {**base, "kind": "synthetic_injected", **_transit_row(tw, model, params, sigma)},
            )
        else:
            add(fw, 0, {**base, "kind": "synthetic_noise"})
