"""A picture of a Keras model's layers, drawn with matplotlib (no graphviz or pydot).

:func:`layer_table` lists the layers (name, type, output shape, parameters, inputs) in the
order the data flows; :func:`model_diagram` draws them as boxes joined by arrows, one row per
depth of the graph, so branches (the SVM ensemble's tabular and image inputs) sit side by
side. Upstream spacekit's ``Builder.model_diagram`` wrote a PNG through
``keras.utils.plot_model``, which needs the graphviz program installed; this figure needs
only matplotlib and is returned, never shown or saved (``fig.savefig(...)`` is the caller's
choice).
"""

from __future__ import annotations

import logging
from typing import Any

from ..exceptions import InputError

__all__ = ["layer_table", "model_diagram"]

log = logging.getLogger(__name__)


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in tuple(shape)) + ")"


def _output_shape(layer: Any) -> Any:
    try:
        out = layer.output
    except (AttributeError, ValueError):
        return None
    if isinstance(out, (list, tuple)):
        return [tuple(o.shape) for o in out]
    return tuple(out.shape)


def _params(layer: Any) -> int:
    try:
        return int(layer.count_params())
    except ValueError:  # a layer not built yet
        return 0


def layer_table(model: Any) -> list[dict[str, Any]]:
    """The layers of a Keras model, inputs first, in the order data flows through them.

    Parameters
    ----------
    model : keras.Model
        A functional or Sequential model (built, so output shapes are known); a subclassed
        model is listed in ``model.layers`` order with the previous layer as input.

    Returns
    -------
    list of dict
        One dict per layer: ``name``, ``type`` (class name), ``output_shape`` (text, e.g.
        ``"(None, 64)"``), ``params`` (number of weights), ``inputs`` (names of the layers
        that feed it) and ``depth`` (longest path from an input).

    Raises
    ------
    InputError
        When ``model`` is not a Keras model.

    Examples
    --------
    >>> from spacekit.builder import build_mlp
    >>> rows = layer_table(build_mlp(4, hidden=(3,)))
    >>> [(r["name"], r["output_shape"], r["params"]) for r in rows]
    [('features', '(None, 4)', 0), ('dense1', '(None, 3)', 15), ('output', '(None, 1)', 4)]
    """
    if not hasattr(model, "layers") or not hasattr(model, "count_params"):
        raise InputError(
            f"expected a Keras model (from a spacekit.builder function or keras.Model), got "
            f"{type(model).__name__}"
        )
    layers = list(model.layers)
    # Sequential and functional models alike: the input layers that feed the graph
    for inp in getattr(model, "inputs", None) or []:
        hist = getattr(inp, "_keras_history", None)
        op = getattr(hist, "operation", None) if hist is not None else None
        if op is not None and op not in layers:
            layers.insert(0, op)
    names = {id(la): la.name for la in layers}
    rows = []
    for i, la in enumerate(layers):
        parents: list[str] = []
        for node in getattr(la, "_inbound_nodes", []) or []:
            for p in getattr(node, "parent_nodes", []) or []:
                op = getattr(p, "operation", None)
                name = names.get(id(op))
                if name is not None and name not in parents:
                    parents.append(name)
        graph = bool(getattr(la, "_inbound_nodes", None))
        if not graph and i > 0 and type(la).__name__ != "InputLayer":
            parents = [layers[i - 1].name]  # no graph information: a plain chain
        rows.append(
            {
                "name": la.name,
                "type": type(la).__name__,
                "output_shape": _shape_text(_output_shape(la)),
                "params": _params(la),
                "inputs": parents,
            }
        )
    depth: dict[str, int] = {}
    for r in rows:  # layers are in topological order
        depth[r["name"]] = 1 + max((depth[p] for p in r["inputs"] if p in depth), default=-1)
        r["depth"] = depth[r["name"]]
    return rows


def _lanes(rows: list[dict[str, Any]]) -> dict[str, int]:
    """A column for each layer: a branch keeps its parent's column, inputs and forks get
    new ones, a merge takes the leftmost of its inputs' columns."""
    lane: dict[str, int] = {}
    used: set[tuple[int, int]] = set()
    next_lane = 0
    for r in rows:
        parents = [lane[p] for p in r["inputs"] if p in lane]
        want = min(parents) if parents else next_lane
        while (r["depth"], want) in used:
            want += 1
        lane[r["name"]] = want
        used.add((r["depth"], want))
        next_lane = max(next_lane, want + 1)
    order = {v: i for i, v in enumerate(sorted(set(lane.values())))}
    return {k: order[v] for k, v in lane.items()}


_COLOURS = {
    "InputLayer": "#dbe9f6",
    "Dense": "#fde2c8",
    "Dropout": "#eeeeee",
    "BatchNormalization": "#eeeeee",
    "Concatenate": "#e5d8f0",
}


def _colour(kind: str) -> str:
    if kind in _COLOURS:
        return _COLOURS[kind]
    if kind.startswith("Conv"):
        return "#d5ecd4"
    if "Pool" in kind or kind == "Flatten":
        return "#fff3c4"
    return "#f4f4f4"


def model_diagram(
    model: Any,
    *,
    show_shapes: bool = True,
    show_params: bool = True,
    title: str | None = None,
    box_width: float = 3.4,
    row_height: float = 0.62,
):
    """Draw a Keras model as a column of layer boxes joined by arrows (matplotlib, no graphviz).

    Each box names the layer and its type and, by default, its output shape and number of
    parameters. Layers at the same depth of the graph (parallel branches) are drawn side by
    side; an arrow joins each layer to the layers that feed it.

    Parameters
    ----------
    model : keras.Model
        The model (functional, Sequential, or a builder's result such as
        :func:`build_cnn2d`, :func:`build_ensemble`).
    show_shapes, show_params : bool
        Write the output shape / the parameter count in each box.
    title : str, optional
        Figure title (default: the model name and its total parameter count).
    box_width, row_height : float
        Size of one box in inches (the figure grows with the number of layers and branches).

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no global state changes); never shown.

    Examples
    --------
    >>> from spacekit.builder import build_cnn2d, model_diagram
    >>> fig = model_diagram(build_cnn2d((16, 16, 1), filters=(4,), dense=(8,)))
    >>> fig.axes[0].get_title()
    'cnn2d: 105 parameters'
    >>> fig.savefig("cnn2d.png")
    """
    from ..utils import optional_import

    optional_import("matplotlib", "model_diagram")
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    rows = layer_table(model)
    lanes = _lanes(rows)
    n_rows = 1 + max(r["depth"] for r in rows)
    n_cols = 1 + max(lanes.values())
    lines = 1 + int(show_shapes) + int(show_params)
    h_box = 0.34 + 0.17 * lines  # inches
    step = max(row_height, h_box + 0.3)
    pitch = box_width + 0.4
    width = max(4.0, n_cols * pitch + 0.4)
    height = n_rows * step + 0.8
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1 - 0.5 / height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, n_rows * step + 0.1)
    ax.axis("off")
    total = sum(r["params"] for r in rows)
    ax.set_title(title if title is not None else f"{model.name}: {total:,} parameters")
    x0 = (width - n_cols * pitch) / 2 + 0.2
    centre: dict[str, tuple[float, float]] = {}
    for r in rows:
        x = x0 + lanes[r["name"]] * pitch
        y = (n_rows - r["depth"] - 0.5) * step + 0.05
        centre[r["name"]] = (x + box_width / 2, y)
        ax.add_patch(
            FancyBboxPatch(
                (x, y - h_box / 2),
                box_width,
                h_box,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                facecolor=_colour(r["type"]),
                edgecolor="#555555",
                linewidth=0.8,
            )
        )
        text = [f"{r['name']} ({r['type']})"]
        if show_shapes:
            text.append(f"output {r['output_shape']}")
        if show_params:
            text.append(f"{r['params']:,} parameters")
        ax.text(x + box_width / 2, y, "\n".join(text), ha="center", va="center", fontsize=8.5)
    style = {"color": "#555555", "lw": 0.9}
    for r in rows:
        for p in r["inputs"]:
            (x1, y1), (x2, y2) = centre[p], centre[r["name"]]
            start = y1 - h_box / 2
            if x1 != x2 and y1 - y2 > step * 1.5:
                # down its own lane first, then across to the layer it feeds
                bend = y2 + h_box / 2 + (step - h_box) * 0.5
                ax.plot([x1, x1], [start, bend], **style)
                start = bend
            ax.annotate(
                "",
                xy=(x2, y2 + h_box / 2),
                xytext=(x1, start),
                arrowprops={"arrowstyle": "->", **style},
            )
    return fig
