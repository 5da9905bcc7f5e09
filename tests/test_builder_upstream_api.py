"""Upstream spacekit's builder API that users reach for: a 2D CNN, a model diagram, and the
image/table augmentations of upstream's generator (issue 23, item 5)."""

from __future__ import annotations

import numpy as np
import pytest

from spacekit.builder import (
    build_cnn2d,
    build_ensemble,
    build_mlp,
    layer_table,
    model_diagram,
)
from spacekit.exceptions import InputError


# -- build_cnn2d ----------------------------------------------------------------------------
def test_build_cnn2d_layers_shapes_and_one_channel_default():
    import keras

    model = build_cnn2d((32, 24, 3), filters=(4, 8), kernel_size=(3, 5), dense=(6,))
    convs = [la for la in model.layers if isinstance(la, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [4, 8]
    assert convs[0].kernel_size == (3, 5)
    assert model.get_layer("pool2").output.shape == (None, 8, 6, 8)
    assert model.input_shape == (None, 32, 24, 3)
    assert model.output_shape == (None, 1)
    assert model.inputs[0].name == "image"
    gray = build_cnn2d(
        (20, 20), filters=(2,), dense=(), output_units=3, output_activation="softmax"
    )
    assert gray.input_shape == (None, 20, 20, 1)
    assert gray.output_shape == (None, 3)
    assert not any(isinstance(la, keras.layers.Dense) for la in gray.layers[:-1])
    flat = build_cnn2d((8, 8, 1), filters=(2,), global_pool=False, dense=(4,), dropout=0)
    assert flat.get_layer("flatten").output.shape == (None, 32)


@pytest.mark.slow
def test_build_cnn2d_learns_to_tell_bright_corners(tmp_path):
    """A tiny network fits an easy image task: the class is which corner is bright (a
    position, so Flatten rather than global pooling, which forgets where things are)."""
    from spacekit.builder import Trainer

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, (64, 12, 12, 1)).astype("float32")
    y = np.r_[np.zeros(32), np.ones(32)]
    x[:32, :4, :4] += 1.0
    x[32:, -4:, -4:] += 1.0
    trainer = Trainer(
        loss="binary_crossentropy",
        learning_rate=1e-2,
        epochs=10,
        batch_size=16,
        seed=0,
        progress=False,
    )
    trainer.fit(
        lambda: build_cnn2d((12, 12, 1), filters=(4,), global_pool=False, dense=(4,), dropout=0),
        x,
        y,
    )
    p = trainer.model_.predict(x, verbose=0).ravel()
    assert ((p > 0.5) == y).mean() > 0.9


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: build_cnn2d((4, 4, 1), filters=(2, 2, 2)), "too small"),
        (lambda: build_cnn2d((10, 10, 10, 1)), "height, width, channels"),
        (lambda: build_cnn2d((16, 16, 1), padding="full"), "padding"),
        (lambda: build_cnn2d((16, 16, 1), kernel_size=(3, 3, 3)), "kernel_size"),
        (lambda: build_cnn2d((16, 16, 1), dense=(4, 4), dropout=(0.1,)), "dropout"),
        (lambda: build_cnn2d((16, 16, 1), activation="nope"), "activation"),
    ],
)
def test_build_cnn2d_refuses_bad_arguments(call, match):
    with pytest.raises(InputError, match=match):
        call()


# -- model diagram --------------------------------------------------------------------------
def test_layer_table_follows_the_graph_of_a_two_branch_model():
    model = build_ensemble(
        5, (3, 8, 8, 3), mlp_hidden=(4,), cnn_filters=(2,), cnn_dense=(3,), head=(2,)
    )
    rows = layer_table(model)
    by_name = {r["name"]: r for r in rows}
    assert by_name["tabular"]["type"] == "InputLayer" and by_name["tabular"]["depth"] == 0
    assert by_name["images"]["output_shape"] == "(None, 3, 8, 8, 3)"
    assert by_name["concat"]["inputs"] == ["mlp_dense1", "cnn_head_dense1"]
    assert by_name["output"]["depth"] == max(r["depth"] for r in rows)
    assert sum(r["params"] for r in rows) == model.count_params()
    assert by_name["mlp_dense1"]["params"] == 5 * 4 + 4


def test_model_diagram_draws_every_layer_with_shape_and_parameters(tmp_path):
    from matplotlib.figure import Figure

    model = build_cnn2d((16, 16, 1), filters=(4,), dense=(8,))
    fig = model_diagram(model)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text()]
    assert len(texts) == len(layer_table(model))
    conv = next(t for t in texts if t.startswith("conv1"))
    assert conv == "conv1 (Conv2D)\noutput (None, 16, 16, 4)\n40 parameters"
    assert fig.axes[0].get_title() == f"cnn2d: {model.count_params():,} parameters"
    arrows = [t for t in fig.axes[0].texts if not t.get_text()]  # one per connection
    assert len(arrows) == sum(len(r["inputs"]) for r in layer_table(model)) == 7
    fig.savefig(tmp_path / "cnn2d.png")
    assert (tmp_path / "cnn2d.png").stat().st_size > 1000
    short = model_diagram(build_mlp(3, hidden=(2,)), show_shapes=False, show_params=False)
    assert [t.get_text() for t in short.axes[0].texts if t.get_text()] == [
        "features (InputLayer)",
        "dense1 (Dense)",
        "output (Dense)",
    ]


def test_model_diagram_of_a_sequential_model_and_a_wrong_object():
    import keras

    seq = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    rows = layer_table(seq)
    assert [r["type"] for r in rows] == ["InputLayer", "Dense", "Dense"]
    assert rows[2]["inputs"] == [rows[1]["name"]]
    assert model_diagram(seq).axes
    with pytest.raises(InputError, match="Keras model"):
        model_diagram("model.keras")


# -- augmentation ---------------------------------------------------------------------------
def test_color_jitter_changes_brightness_contrast_saturation_within_range():
    from spacekit.builder import augment_color_jitter

    rng = np.random.default_rng(1)
    x = rng.uniform(0.2, 0.8, (50, 3, 8, 8, 3)).astype("float32")  # SVM-like stacks, scaled
    out = augment_color_jitter(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert not np.allclose(out.mean(axis=(1, 2, 3, 4)), x.mean(axis=(1, 2, 3, 4)))
    # only brightness: every pixel of a sample moves by the same amount (before clipping)
    b = augment_color_jitter(
        x, np.random.default_rng(0), contrast=0, saturation=0, value_range=(-10, 10)
    )
    shift = (b - x).reshape(50, -1)
    assert np.allclose(shift, shift[:, :1], atol=1e-6)
    assert np.abs(shift[:, 0]).max() <= 0.8 * 0.4 * 20 + 1e-6
    # only saturation: the grey value of each pixel is kept, colour spread changes
    s = augment_color_jitter(x, np.random.default_rng(0), brightness=0, contrast=0)
    inside = (s > 0) & (s < 1)
    assert inside.all()
    assert np.allclose(s.mean(axis=-1), x.mean(axis=-1), atol=1e-5)
    # 0-255 images stay in 0-255; x is not changed in place
    big = x * 255
    out255 = augment_color_jitter(big, np.random.default_rng(0))
    assert out255.max() > 1 and out255.max() <= 255 and np.array_equal(big, x * 255)
    with pytest.raises(InputError, match="images"):
        augment_color_jitter(np.zeros((4, 10)), rng)
    with pytest.raises(InputError, match="brightness"):
        augment_color_jitter(x, rng, brightness=-1)


def test_laplace_and_logistic_noise_have_their_distributions():
    from scipy import stats

    from spacekit.builder import (
        augment_gaussian_noise,
        augment_laplace_noise,
        augment_logistic_noise,
    )

    x = np.zeros((20000, 2))
    lap = augment_laplace_noise(x, np.random.default_rng(0), scale=0.5, p=1.0).ravel()
    logi = augment_logistic_noise(x, np.random.default_rng(0), scale=0.5, p=1.0).ravel()
    gau = augment_gaussian_noise(x, np.random.default_rng(0), scale=0.5).ravel()
    assert stats.kstest(lap, "laplace", args=(0, 0.5)).pvalue > 0.01
    assert stats.kstest(logi, "logistic", args=(0, 0.5)).pvalue > 0.01
    assert stats.kstest(gau, "norm", args=(0, 0.5)).pvalue > 0.01
    assert stats.kstest(lap, "norm", args=(0, lap.std())).pvalue < 1e-6  # heavier tails
    # p: the share of samples (rows) that get noise, whole rows at a time
    part = augment_laplace_noise(np.zeros((4000, 3)), np.random.default_rng(2), p=0.25)
    noisy = (part != 0).any(axis=1)
    assert abs(noisy.mean() - 0.25) < 0.03
    assert ((part != 0).all(axis=1) == noisy).all()
    with pytest.raises(InputError, match="scale"):
        augment_laplace_noise(x, np.random.default_rng(0), scale=-1)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        augment_logistic_noise(x, np.random.default_rng(0), p=2)


def test_balanced_batches_take_lists_of_augmentations_seeded_and_per_input():
    from spacekit.builder import AUGMENT_KINDS, BalancedBatches

    assert set(AUGMENT_KINDS) == {"roll", "flip", "jitter", "gaussian", "laplace", "logistic"}
    rng = np.random.default_rng(0)
    tab = rng.normal(size=(40, 5)).astype("float32")
    img = rng.uniform(0, 1, (40, 3, 8, 8, 3)).astype("float32")
    y = np.r_[np.zeros(30), np.ones(10)]
    kinds = ["flip", "jitter", "laplace"]
    a = BalancedBatches([tab, img], y, batch_size=10, augment=kinds, seed=3)
    b = BalancedBatches([tab, img], y, batch_size=10, augment=kinds, seed=3)
    (ta, ia), ya = a[1]
    (tb, ib), yb = b[1]
    assert np.array_equal(ta, tb) and np.array_equal(ia, ib) and np.array_equal(ya, yb)
    rows = a.batch_indices(1)
    assert not np.allclose(ta, tab[rows])  # Laplace noise on the table (p = 0.8 per row)
    assert not np.allclose(ia, img[rows])
    a.on_epoch_end()
    (tc, _), _ = a[1]
    assert not np.array_equal(tc, ta)  # a new epoch, new draws
    # a kind that suits no input of its shape is skipped: jitter on a table does nothing
    only = BalancedBatches(tab, y, batch_size=10, augment="jitter", seed=0)
    xo, _ = only[0]
    assert np.array_equal(xo, tab[only.batch_indices(0)])
    with pytest.raises(InputError, match="laplace"):
        BalancedBatches(tab, y, batch_size=10, augment=["flip", "blur"])
