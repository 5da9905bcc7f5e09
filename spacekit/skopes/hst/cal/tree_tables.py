"""Lookup tables that evaluate a :class:`~spacekit.skopes.hst.cal.trees.TreeEnsemble` on many
rows without walking its trees (built once per ensemble, cached by the ensemble)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["build_leaf_tables"]


def build_leaf_tables(ens: Any) -> dict | None:
    """Lookup tables for batch prediction without walking the trees, or None (then: walk).

    Each tree's leaves are numbered left to right and
    a set of leaves is an unsigned integer with a bit per leaf. A node whose test is false
    (``x > threshold``: the row goes right) rules out its left subtree's leaves; the exit
    leaf is then the lowest leaf not ruled out. The nodes that fail for a row are, per
    feature, those whose threshold is below the row's value: a prefix of that feature's
    sorted thresholds, so the feature's *code* (its number of thresholds below the value,
    one ``searchsorted``) decides them. Features are grouped (the low-cardinality flags and
    codes share one joint code) and each group's code gives, per tree, the leaves it leaves
    open (the bit-vector scheme of QuickScorer, Lucchese et al. 2015).

    At prediction time no bit is touched: each tree's distinct open-leaf sets per group are
    numbered in advance, every combination's exit-leaf value is stored in one value array,
    and each group's table maps (tree, code) straight to that tree's part of the index into
    it. A row's leaf value in a tree is then ``values[sum of the groups' table entries]``:
    one small-table lookup per group and one value lookup per tree, vectorised over the
    rows and the trees. Comparisons are the node walk's, so the leaves are identical.

    Trees of more than 64 leaves, or value arrays of more than 2**22 entries, return None.

    Parameters
    ----------
    ens : TreeEnsemble
        The ensemble (its node arrays: ``roots``, ``left``, ``right``, ``feature``,
        ``threshold``, ``value``).

    Returns
    -------
    dict or None
        ``features`` (per feature group: feature index, sorted thresholds, number of codes),
        ``rows`` (per group: the table of each code's index parts) and ``values`` (the exit
        leaves' values); None when the ensemble is too large for tables.
    """
    n_trees = ens.roots.size
    k = ens.n_outputs
    layout = _leaf_layout(ens)
    if layout is None:
        return None
    tree_of, leaf_start, leaf_stop, leaf_values = layout
    internal = np.flatnonzero((tree_of >= 0) & (ens.left != np.arange(ens.left.size)))
    span = (leaf_stop[internal] - leaf_start[internal]).astype(np.uint64)  # < 64
    masks = ~(((_ONE << span) - _ONE) << leaf_start[internal].astype(np.uint64))
    groups = _feature_groups(_feature_tables(ens, internal, masks, tree_of), n_trees)
    # Trees output by output (iteration order within an output): an output's trees are
    # then one block of rows in every table.
    order = (np.arange(n_trees // k)[None, :] * k + np.arange(k)[:, None]).ravel()
    local, uniques = _open_set_numbers(groups, order, n_trees)
    sizes = np.array([[len(u[t]) for u in uniques] for t in range(n_trees)], dtype=np.int64)
    per_tree = sizes.prod(axis=1)
    if per_tree.sum() > 1 << 22:
        return None
    start = np.concatenate([[0], np.cumsum(per_tree)[:-1]])
    values = _exit_values(uniques, start, per_tree, leaf_values[order])
    return {
        "features": [g["features"] for g in groups],
        "rows": _index_rows(local, start, sizes, k),
        "values": values,
    }


_ONE = np.uint64(1)
_FULL = np.iinfo(np.uint64).max


def _leaf_layout(ens: Any) -> tuple | None:
    """Per node its tree and the span of leaves under it; per tree its leaves' values (or None
    when a tree has more than 64 leaves)."""
    n_trees = ens.roots.size
    leaf_start = np.zeros(ens.left.size, dtype=np.intp)
    leaf_stop = np.zeros(ens.left.size, dtype=np.intp)
    tree_of = np.full(ens.left.size, -1, dtype=np.intp)
    leaf_node, leaf_tree, leaf_pos, counts = [], [], [], []
    for t, root in enumerate(ens.roots):
        count, stack = 0, [(int(root), False)]
        while stack:  # in-order walk: left subtree, node, right subtree
            node, after_left = stack.pop()
            tree_of[node] = t
            if after_left:
                leaf_stop[node] = count
            elif ens.left[node] == node:
                leaf_node.append(node)
                leaf_tree.append(t)
                leaf_pos.append(count)
                count += 1
            else:
                leaf_start[node] = count
                stack += [
                    (int(ens.right[node]), False),
                    (node, True),
                    (int(ens.left[node]), False),
                ]
        counts.append(count)
    width = max(counts)
    if width > 64:
        return None
    leaf_values = np.zeros((n_trees, width))
    leaf_values[leaf_tree, leaf_pos] = ens.value[leaf_node]
    return tree_of, leaf_start, leaf_stop, leaf_values


def _feature_tables(ens: Any, internal: np.ndarray, masks: np.ndarray, tree_of: np.ndarray) -> list:
    """Per feature: (feature, sorted thresholds, open leaves (n_thresholds + 1, n_trees))."""
    n_trees = ens.roots.size
    per_feature = []
    for f in np.unique(ens.feature[internal]):
        on_f = ens.feature[internal] == f
        sel, m = internal[on_f], masks[on_f]
        thr, rank = np.unique(ens.threshold[sel], return_inverse=True)
        table = np.full((thr.size + 1, n_trees), _FULL, dtype=np.uint64)
        np.bitwise_and.at(table[1:], (rank, tree_of[sel]), m)
        np.bitwise_and.accumulate(table, axis=0, out=table)
        per_feature.append((int(f), thr, table))
    return per_feature


def _feature_groups(per_feature: list, n_trees: int) -> list[dict]:
    """Features grouped under joint codes, low-cardinality ones first (fewer lookups per row)."""
    per_feature.sort(key=lambda e: e[2].shape[0])
    # A group's table holds a small integer per (tree, code); a tree's row of it is read
    # once per row of data, so it should stay in the fastest cache: at most 6144 codes.
    groups, budget = [], 6144
    for f, thr, table in per_feature:
        g = groups[-1] if groups else None
        if g is not None and g["table"].shape[0] * table.shape[0] <= budget:
            g["table"] = (g["table"][:, None, :] & table[None, :, :]).reshape(-1, n_trees)
            g["features"].append((f, thr, table.shape[0]))
        else:
            groups.append({"features": [(f, thr, table.shape[0])], "table": table})
    return groups


def _open_set_numbers(groups: list[dict], order: np.ndarray, n_trees: int) -> tuple[list, list]:
    """Per group: each (tree, code)'s number among the tree's distinct open-leaf sets, and
    those sets."""
    local, uniques = [], []
    for g in groups:  # number each tree's distinct open-leaf sets of this group
        tab = g["table"][:, order]
        srt = np.argsort(tab, axis=0, kind="stable")
        s = np.take_along_axis(tab, srt, axis=0)
        new = np.ones(s.shape, dtype=bool)
        new[1:] = s[1:] != s[:-1]
        rank = np.empty(s.shape, dtype=np.intp)
        np.put_along_axis(rank, srt, np.cumsum(new, axis=0) - 1, axis=0)
        local.append(rank.T)  # (n_trees, n_codes)
        uniques.append([s[new[:, t], t] for t in range(n_trees)])
    return local, uniques


def _exit_values(
    uniques: list, start: np.ndarray, per_tree: np.ndarray, lv: np.ndarray
) -> np.ndarray:
    """The exit leaf's value of every combination of the groups' open-leaf sets, tree by tree."""
    values = np.empty(int(per_tree.sum()))
    for t in range(len(per_tree)):  # every combination of the groups' open-leaf sets
        open_ = np.array([_FULL], dtype=np.uint64)
        for u in uniques:
            open_ = (open_[:, None] & u[t][None, :]).ravel()
        lowest = (open_ & (~open_ + _ONE)).astype(np.float64)  # 2**leaf, exact
        values[start[t] : start[t] + per_tree[t]] = lv[t][np.frexp(lowest)[1] - 1]
    return values


def _index_rows(local: list, start: np.ndarray, sizes: np.ndarray, k: int) -> list:
    """Per group, each (output, code, tree)'s part of the index into the values."""
    # index = start + sum over groups of (local number * stride), the last stride 1.
    # Stored code-major per output, shape (outputs, codes, trees of an output): a row's
    # entries for all of an output's trees are one contiguous row of the table, so the
    # gathers copy rows instead of single elements. The first group's table holds the
    # trees' offsets (int32); the others the narrowest unsigned type that holds their part
    # (the last, stride 1, usually fits in a byte).
    n_trees = len(start)
    stride = np.ones(n_trees, dtype=np.int64)
    rows = [None] * len(local)
    n_iter = n_trees // k
    for gi in range(len(local) - 1, -1, -1):
        part = local[gi] * stride[:, None]
        if gi == 0:
            part, dtype = part + start[:, None], np.int32
        else:
            dtype = next(
                d for d in (np.uint8, np.uint16, np.int32) if part.max() <= np.iinfo(d).max
            )
        rows[gi] = np.ascontiguousarray(part.reshape(k, n_iter, -1).transpose(0, 2, 1), dtype=dtype)
        stride *= sizes[:, gi]
    return rows
