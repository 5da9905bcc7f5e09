"""spacekit.builder: model builders, balanced batches, Trainer, save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spacekit.builder import (
    BalancedBatches,
    Trainer,
    batch_maker,
    build_cnn,
    build_cnn1d,
    build_cnn3d,
    build_ensemble,
    build_mlp,
    fit_cnn,
    load_model,
    predict_batches,
    save_model,
    set_seed,
)
from spacekit.exceptions import InputError, ModelLoadError, SpacekitError


# -- builders -----------------------------------------------------------------------------
@pytest.mark.slow
def test_build_cnn1d_defaults_are_the_seed_network():
    import keras

    model = build_cnn1d((3197, 2))
    convs = [la for la in model.layers if isinstance(la, keras.layers.Conv1D)]
    assert [c.filters for c in convs] == [8, 16, 32, 64]
    assert all(c.kernel_size == (11,) for c in convs)
    assert sum(isinstance(la, keras.layers.MaxPooling1D) for la in model.layers) == 4
    assert sum(isinstance(la, keras.layers.BatchNormalization) for la in model.layers) == 4
    dense = [la for la in model.layers if isinstance(la, keras.layers.Dense)]
    assert [d.units for d in dense] == [64, 64, 1]
    assert dense[-1].activation.__name__ == "sigmoid"
    assert [la.rate for la in model.layers if isinstance(la, keras.layers.Dropout)] == [0.5, 0.25]
    assert model.output_shape == (None, 1)
    assert build_cnn is build_cnn1d


@pytest.mark.slow  # a quicker sibling stays in the fast tier
def test_build_cnn1d_sizes_are_arguments_and_short_series_fail_clearly():
    model = build_cnn1d(
        100,
        filters=(4, 6),
        kernel_size=3,
        dense=(5,),
        dropout=0.1,
        output_units=3,
        output_activation="softmax",
    )
    assert model.input_shape == (None, 100, 1)
    assert model.output_shape == (None, 3)
    with pytest.raises(InputError, match="too short"):
        build_cnn1d((50, 1))
    with pytest.raises(InputError, match="timesteps, channels"):
        build_cnn1d((10, 10, 1))
    with pytest.raises(InputError, match="dropout"):
        build_cnn1d((1000, 1), dense=(4, 4), dropout=(0.1, 0.2, 0.3))


def test_build_mlp_cnn3d_and_ensemble_shapes():
    import keras

    mlp = build_mlp(9, output_units=4, output_activation="softmax")
    assert [la.units for la in mlp.layers if isinstance(la, keras.layers.Dense)] == [
        18,
        32,
        64,
        32,
        18,
        9,
        4,
    ]
    assert mlp.output_shape == (None, 4)
    reg = build_mlp(5, hidden=(4,), output_activation="linear", dropout=0.2, batch_norm=True)
    assert reg.layers[-1].activation.__name__ == "linear"

    cnn = build_cnn3d((3, 16, 16, 3), filters=(4, 8), dense=(8,))
    assert cnn.input_shape == (None, 3, 16, 16, 3)
    assert cnn.output_shape == (None, 1)

    ens = build_ensemble(
        7, (3, 16, 16, 3), mlp_hidden=(8, 4), cnn_filters=(4,), cnn_dense=(6,), head=(5,)
    )
    assert [tuple(t.shape) for t in ens.inputs] == [(None, 7), (None, 3, 16, 16, 3)]
    assert any(isinstance(la, keras.layers.Concatenate) for la in ens.layers)
    out = ens.predict([np.zeros((2, 7)), np.zeros((2, 3, 16, 16, 3))], verbose=0)
    assert out.shape == (2, 1)
    with pytest.raises(InputError, match="frames, height, width, channels"):
        build_cnn3d((16, 16, 3))
    with pytest.raises(InputError):
        build_mlp(0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: build_mlp("a"), "input_dim .* positive integer"),
        (lambda: build_mlp((3,)), "input_dim .* positive integer"),
        (lambda: build_mlp(3.7), "input_dim .* positive integer"),  # was truncated to 3
        (lambda: build_mlp(3, dropout="x"), r"dropout must be a number in \[0, 1\)"),
        (lambda: build_mlp(3, activation="rleu"), "not a Keras activation"),
        (lambda: build_mlp(3, output_activation="sigmod"), "output_activation='sigmod'"),
        (lambda: build_mlp(3, hidden=(8, 2.5)), "hidden must be a sequence of positive"),
        (lambda: build_cnn1d((100, 2), kernel_size=0), "kernel_size must be a positive"),
        (lambda: build_cnn1d((100, 2), pool_strides=0), "pool_strides must be a positive"),
        (lambda: build_cnn1d((100.5, 2)), "input_shape must be a sequence of positive"),
        (lambda: build_cnn3d((3, 16, 16, 3), kernel_size=(3, 3)), "kernel_size must be one"),
        (lambda: build_ensemble(2.5, (3, 16, 16, 3)), "tabular_dim .* positive integer"),
    ],
)
def test_builders_refuse_bad_arguments_with_input_errors(call, match):
    # these were bare ValueError/TypeError/ZeroDivisionError from int(), float() or Keras
    with pytest.raises(InputError, match=match):
        call()


def test_builders_take_numpy_ints_and_an_int_3d_pool_size():
    model = build_cnn1d(np.int64(100), filters=(4,), kernel_size=np.int64(3))
    assert model.input_shape == (None, 100, 1)
    cnn = build_cnn3d((2, 8, 8, 1), filters=(2,), dense=(4,), pool_size=2)  # was a TypeError
    assert cnn.output_shape == (None, 1)


# -- balanced batches ---------------------------------------------------------------------
def _imbalanced(n=200, pos=20, t=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, t, 1))
    y = np.r_[np.ones(pos), np.zeros(n - pos)].astype(int)
    return x, y


def test_balanced_batches_equal_classes_and_step_count():
    import keras

    x, y = _imbalanced()
    b = BalancedBatches(x, y, batch_size=32, seed=3)
    assert isinstance(b, keras.utils.PyDataset)
    assert isinstance(b, BalancedBatches)
    assert len(b) == 200 // 32  # samples / batch size, not timesteps / batch size
    for i in range(len(b)):
        xb, yb = b[i]
        assert xb.shape == (32, 40, 1)
        assert int(yb.sum()) == 16
    # rows come from the data unchanged without augmentation
    rows = b.batch_indices(0)
    np.testing.assert_array_equal(b[0][0], x[rows])
    # the 20 positives are all used before any repeats within an epoch
    pos_rows = np.concatenate([r[y[r] == 1] for r in (b.batch_indices(i) for i in range(2))])
    assert len(set(pos_rows.tolist())) == 20


def test_balanced_batches_are_repeatable_and_change_each_epoch():
    x, y = _imbalanced()
    a = BalancedBatches(x, y, batch_size=16, seed=7, augment="roll")
    b = BalancedBatches(x, y, batch_size=16, seed=7, augment="roll")
    np.testing.assert_array_equal(a[2][0], b[2][0])
    first = a.batch_indices(0).copy()
    a.on_epoch_end()
    assert not np.array_equal(first, a.batch_indices(0))
    c = BalancedBatches(x, y, batch_size=16, seed=8)
    assert not np.array_equal(b.batch_indices(0), c.batch_indices(0))


def test_roll_augmentation_is_a_circular_shift():
    x = np.tile(np.arange(50.0), (10, 1))[..., None] * np.array([1.0, -1.0])  # 2 channels
    y = np.r_[np.ones(5), np.zeros(5)]
    b = BalancedBatches(x, y, batch_size=10, augment=True, seed=0)
    xb, _ = b[0]
    shifted = 0
    for row in xb:
        start = int(row[0, 0])
        np.testing.assert_array_equal(row[:, 0], np.roll(np.arange(50.0), -start))
        np.testing.assert_array_equal(row[:, 1], -row[:, 0])  # channels move together
        shifted += start != 0
    assert shifted > 0


def test_flip_augmentation_on_image_stacks_and_multi_input():
    rng = np.random.default_rng(0)
    tab = rng.normal(size=(12, 4))
    img = rng.normal(size=(12, 3, 8, 8, 3))
    y = np.r_[np.ones(4), np.zeros(8)]
    b = BalancedBatches([tab, img], y, batch_size=8, augment=True, seed=1)
    (tb, ib), yb = b[0]
    rows = b.batch_indices(0)
    np.testing.assert_array_equal(tb, tab[rows])  # tabular input is never augmented
    assert ib.shape == (8, 3, 8, 8, 3)
    changed = 0
    for k, r in enumerate(rows):
        np.testing.assert_allclose(np.sort(ib[k].ravel()), np.sort(img[r].ravel()))
        changed += not np.array_equal(ib[k], img[r])
    assert changed > 0
    assert int(yb.sum()) == 4


def test_balanced_batches_multiclass_one_hot_and_errors():
    x = np.zeros((30, 5))
    labels = np.repeat([0, 1, 2], 10)
    y = np.eye(3)[labels]
    b = BalancedBatches(x, y, batch_size=9, seed=0)
    counts = b[0][1].sum(axis=0)
    assert counts.tolist() == [3, 3, 3]
    with pytest.raises(InputError, match="two classes"):
        BalancedBatches(x, np.zeros(30), batch_size=4)
    with pytest.raises(InputError, match="at least the number of classes"):
        BalancedBatches(x, labels, batch_size=2)
    with pytest.raises(InputError, match="one row per label"):
        BalancedBatches(x[:10], labels, batch_size=6)
    with pytest.raises(InputError, match="augment"):
        BalancedBatches(x, labels, batch_size=6, augment="spin")


def test_batch_maker_keeps_seed_convention():
    x, y = _imbalanced(n=64, pos=8)
    b = batch_maker(x, y, 16, seed=0)
    assert isinstance(b, BalancedBatches)
    assert b.augment == "roll"
    assert len(b) == 4
    assert int(b[1][1].sum()) == 8


# -- Trainer -------------------------------------------------------------------------------
def _dip_series(n=96, t=64, seed=0):
    """Series with (label 1) or without (label 0) a box-shaped dip."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.3, size=(n, t, 1))
    y = (np.arange(n) % 3 == 0).astype(int)
    for i in np.flatnonzero(y):
        s = rng.integers(0, t - 8)
        x[i, s : s + 8, 0] -= 2.0
    return x, y


def _tiny_cnn(t=64):
    return build_cnn1d(
        (t, 1), filters=(4, 8), kernel_size=5, pool_strides=2, dense=(8,), dropout=0.1
    )


@pytest.mark.slow
def test_trainer_same_seed_same_weights_and_history():
    x, y = _dip_series()

    def run():
        trainer = Trainer(
            loss="binary_crossentropy",
            epochs=2,
            batch_size=16,
            seed=123,
            balanced=True,
            augment="roll",
            progress=False,
        )
        history = trainer.fit(_tiny_cnn, x, y, validation_data=(x[:20], y[:20]))
        return history, [w.copy() for w in trainer.model_.get_weights()]

    h1, w1 = run()
    h2, w2 = run()
    assert h1 == h2
    assert set(h1) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))
    trainer = Trainer(
        loss="binary_crossentropy", epochs=2, batch_size=16, seed=124, balanced=True, progress=False
    )
    h3 = trainer.fit(_tiny_cnn, x, y, validation_data=(x[:20], y[:20]))
    assert h3 != h1


@pytest.mark.slow
def test_fit_cnn_learns_a_transit_like_dip():
    x, y = _dip_series(n=120)
    model, history = fit_cnn(
        x,
        y,
        x,
        y,
        _tiny_cnn(),
        epochs=12,
        batch_size=16,
        learning_rate=3e-3,
        seed=0,
        progress=False,
    )
    assert len(history["loss"]) == 12
    assert history["loss"][-1] < history["loss"][0]
    proba = model.predict(x, verbose=0).ravel()
    assert ((proba > 0.5) == y).mean() > 0.85


@pytest.mark.slow
def test_trainer_early_stopping_checkpoint_schedule_class_weight(tmp_path):
    x, y = _dip_series(n=48)
    seen = []

    def schedule(epoch, lr):
        seen.append(epoch)
        return 0.0  # nothing improves, so early stopping must stop

    trainer = Trainer(
        loss="binary_crossentropy",
        epochs=20,
        batch_size=16,
        seed=0,
        early_stopping=1,
        checkpoint_dir=tmp_path / "ckpt",
        lr_schedule=schedule,
        class_weight="balanced",
        progress=False,
    )
    history = trainer.fit(build_mlp(64, hidden=(4,)), x[..., 0], y, validation_data=(x[..., 0], y))
    assert len(history["loss"]) < 20
    assert seen[:2] == [0, 1]
    assert (tmp_path / "ckpt" / "best.keras").is_file()
    best = json.loads((tmp_path / "ckpt" / "best.json").read_text())
    assert best["monitor"] == "val_loss" and best["epoch"] >= 1
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["best.json", "best.keras"]
    assert trainer._class_weight(y) == pytest.approx({0: 48 / (2 * 32), 1: 48 / (2 * 16)})
    assert trainer.samples_per_second_ > 0
    compiled = Trainer(loss="mse", compile_options={"jit_compile": False}, epochs=1, progress=False)
    compiled.fit(build_mlp(64, hidden=(2,)), x[..., 0], y)
    assert compiled.model_.jit_compile is False
    with pytest.raises(InputError, match="compile_options must not repeat"):
        Trainer(loss="mse", compile_options={"loss": "mae"}).compile(build_mlp(2, hidden=(2,)))
    plateau = Trainer(loss="mse", lr_schedule="plateau", epochs=2, progress=False)
    h = plateau.fit(build_mlp(64, hidden=(4,), output_activation="linear"), x[..., 0], y)
    assert "accuracy" not in h and len(h["loss"]) == 2


def test_trainer_progress_bar_and_input_errors(capsys):
    x, y = _dip_series(n=32)
    Trainer(loss="binary_crossentropy", epochs=2, progress=True).fit(
        build_mlp(64, hidden=(4,)), x[..., 0], y
    )
    assert "training" in capsys.readouterr().err
    t = Trainer(loss="binary_crossentropy", epochs=1, progress=False)
    with pytest.raises(InputError, match="one label per row"):
        t.fit(build_mlp(64, hidden=(4,)), x[..., 0], y[:10])
    with pytest.raises(InputError, match="keras.Model"):
        t.fit("not a model", x[..., 0], y)
    with pytest.raises(InputError, match="optimizer"):
        Trainer(loss="mse", optimizer="nope", progress=False).fit(
            build_mlp(64, hidden=(4,)), x[..., 0], y
        )
    with pytest.raises(InputError, match="y must be None"):
        t.fit(build_mlp(64, hidden=(4,)), BalancedBatches(x[..., 0], y, batch_size=8), y)
    with pytest.raises(SpacekitError):
        set_seed("abc")


# -- save / load ---------------------------------------------------------------------------
@pytest.fixture
def trained(tmp_path):
    x, y = _dip_series(n=32)
    xt = x[..., 0]
    trainer = Trainer(loss="binary_crossentropy", epochs=2, batch_size=8, seed=1, progress=False)
    trainer.fit(build_mlp(64, hidden=(6,)), xt, y)
    folder = save_model(
        trainer.model_,
        tmp_path / "model",
        metadata={
            "feature_names": [f"f{i}" for i in range(64)],
            "preprocessing": {"scale": 1.0},
            "training_data_sha256": "ab" * 32,
            "metrics": {"accuracy": 0.5},
        },
    )
    return trainer, folder, xt


def test_save_and_load_round_trip(trained):
    import keras

    trainer, folder, xt = trained
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "model.keras"]
    model, meta = load_model(folder)
    np.testing.assert_allclose(
        model.predict(xt, verbose=0), trainer.model_.predict(xt, verbose=0), rtol=1e-6
    )
    assert meta["feature_names"][:2] == ["f0", "f1"]
    assert meta["training_data_sha256"] == "ab" * 32
    assert meta["metrics"] == {"accuracy": 0.5}
    assert meta["keras_version"] == keras.__version__
    assert meta["spacekit_version"]
    assert meta["history"] == trainer.history_  # history saved with the model
    assert meta["input_shape"] == [[None, 64]]


def test_load_from_other_spacekit_version(trained):
    _, folder, xt = trained
    meta_path = folder / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["spacekit_version"] = "1.9.0"
    meta_path.write_text(json.dumps(meta))
    model, got = load_model(folder)  # same folder format: works
    assert got["spacekit_version"] == "1.9.0"
    assert model.predict(xt[:2], verbose=0).shape == (2, 1)
    meta["format_version"] = 99
    meta["spacekit_version"] = "9.1.0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"spacekit 9\.1\.0 in model-folder format 99"):
        load_model(folder)
    meta["format_version"] = 1
    meta["keras_version"] = "2.15.0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="Keras 2.15.0"):
        load_model(folder)


def test_load_errors_name_the_file(trained, tmp_path):
    _, folder, _ = trained
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nowhere")
    (folder / "model.keras").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="model.keras does not match the sha256"):
        load_model(folder)
    with pytest.raises(ModelLoadError, match="model.keras could not be loaded"):
        load_model(folder, check_sha256=False)
    (folder / "model.keras").unlink()
    with pytest.raises(ModelLoadError, match="model.keras is missing"):
        load_model(folder)
    (folder / "metadata.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="metadata.json is corrupt"):
        load_model(folder)
    (folder / "metadata.json").unlink()
    (folder / "old_model.h5").write_bytes(b"x")
    with pytest.raises(ModelLoadError, match=r"metadata.json is missing.*Keras 2"):
        load_model(folder)


def test_truncated_model_file_and_unbuilt_model_are_named_clearly(tmp_path):
    import keras

    folder = save_model(build_mlp(3, hidden=(2,)), tmp_path / "m")
    data = (folder / "model.keras").read_bytes()
    (folder / "model.keras").write_bytes(data[: len(data) // 2])  # an interrupted copy
    # was Keras' "File not found: filepath=.../model.keras" for a file that is there
    with pytest.raises(
        ModelLoadError, match=r"could not be loaded: it is not a Keras archive.*truncated"
    ):
        load_model(folder, check_sha256=False)
    # an unbuilt model: was a bare AttributeError after model.keras had been written
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    with pytest.raises(InputError, match="has not been built.*keras.Input"):
        save_model(unbuilt, tmp_path / "u")
    assert not (tmp_path / "u").exists()


def test_load_from_a_run_folder(tmp_path):
    from spacekit.utils.runs import Run

    run = Run.create("k2", "t", runs_dir=tmp_path)
    save_model(build_mlp(3, hidden=(2,)), run.model_dir, metadata={"labels": [0, 1]})
    _, meta = load_model(run.path)
    assert meta["labels"] == [0, 1]


@pytest.mark.slow
def test_trainer_feeds_balanced_multi_input_batches_to_an_ensemble():
    rng = np.random.default_rng(0)
    tab = rng.normal(size=(24, 5)).astype("float32")
    img = rng.normal(size=(24, 3, 8, 8, 3)).astype("float32")
    y = np.r_[np.ones(6), np.zeros(18)].astype(int)
    trainer = Trainer(
        loss="binary_crossentropy",
        epochs=2,
        batch_size=8,
        seed=0,
        balanced=True,
        augment=True,
        progress=False,
    )
    history = trainer.fit(
        lambda: build_ensemble(
            5, (3, 8, 8, 3), mlp_hidden=(4,), cnn_filters=(2,), cnn_dense=(4,), head=(3,)
        ),
        [tab, img],
        y,
        validation_data=([tab, img], y),
    )
    assert len(history["val_loss"]) == 2
    assert trainer.model_.predict([tab, img], verbose=0).shape == (24, 1)


def test_trainer_progress_follows_the_setting(capsys):
    from spacekit.config import conf

    x, y = _dip_series(n=16)
    with conf.set_temp("progress", True):
        Trainer(loss="binary_crossentropy", epochs=1).fit(build_mlp(64, hidden=(2,)), x[..., 0], y)
    assert "training" in capsys.readouterr().err
    Trainer(loss="binary_crossentropy", epochs=1).fit(build_mlp(64, hidden=(2,)), x[..., 0], y)
    assert "training" not in capsys.readouterr().err  # SPACEKIT_PROGRESS=0 in the test suite


@pytest.mark.slow
def test_fit_on_a_balanced_batches_dataset_advances_its_epochs():
    x, y = _imbalanced(n=64, pos=8, t=20)
    b = BalancedBatches(x[..., 0], y, batch_size=16, seed=0)
    first = b.batch_indices(0).copy()
    history = Trainer(loss="binary_crossentropy", epochs=3, progress=False).fit(
        build_mlp(20, hidden=(3,)), b
    )
    assert len(history["loss"]) == 3
    assert b.epoch >= 3  # Keras called on_epoch_end, so each epoch drew new batches
    assert not np.array_equal(first, b.batch_indices(0))


def test_trainer_refuses_text_labels_empty_data_and_bad_sizes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3))
    y = np.where(x[:, 0] > 0, "planet", "star")
    trainer = Trainer(loss="binary_crossentropy", epochs=1, batch_size=8, progress=False)
    for kw in ({}, {"balanced": True}, {"class_weight": "balanced"}):
        t = Trainer(loss="binary_crossentropy", epochs=1, batch_size=8, progress=False, **kw)
        with pytest.raises(InputError, match=r"text labels \['planet', 'star'\].*np.unique"):
            t.fit(lambda: build_mlp(3, hidden=(2,)), x, y)
    codes = (y == "planet").astype(int)
    with pytest.raises(InputError, match="no samples"):
        trainer.fit(lambda: build_mlp(3, hidden=(2,)), x[:0], codes[:0])
    with pytest.raises(InputError, match="validation_data x has 4 samples but y has 3"):
        trainer.fit(lambda: build_mlp(3, hidden=(2,)), x, codes, validation_data=(x[:4], codes[:3]))
    with pytest.raises(InputError, match="batch_size must be a whole number of at least 1"):
        Trainer(loss="mse", batch_size=0, progress=False).fit(
            lambda: build_mlp(3, hidden=(2,)), x, codes
        )
    with pytest.raises(InputError, match="missing"):
        BalancedBatches(x, np.r_[np.ones(8), np.full(8, np.nan)])


def test_model_folder_paths_that_are_files(tmp_path):
    model = build_mlp(2, hidden=(2,))
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        save_model(model, a_file)
    assert a_file.read_text() == "x"
    folder = save_model(model, tmp_path / "m")
    with pytest.raises(ModelLoadError, match="is a file, not a folder.*pass the folder"):
        load_model(folder / "model.keras")


def test_predict_batches_matches_predict_for_one_and_two_inputs(caplog):
    import keras

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(37, 4)).astype("float32"), rng.normal(size=(37, 2)).astype("float32")
    one = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    np.testing.assert_allclose(
        predict_batches(one, a, batch_size=8), one.predict(a, verbose=0), rtol=1e-5, atol=1e-6
    )
    ia, ib = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    two = keras.Model([ia, ib], keras.layers.Dense(1)(keras.layers.Concatenate()([ia, ib])))
    want = two.predict([a, b], verbose=0)
    np.testing.assert_allclose(
        predict_batches(two, [a, b], batch_size=10), want, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(predict_batches(two, {"a": a, "b": b}), want, rtol=1e-5, atol=1e-6)
    # a new model per fold, each predicting another number of rows: model.predict makes
    # TensorFlow warn about retracing from the 5th model on; this never does. (The model.predict
    # calls above may warn already, counting earlier tests' calls: only the loop is checked.)
    caplog.clear()
    with caplog.at_level("WARNING"):
        for n in range(6, 14):
            fold_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
            assert predict_batches(fold_model, a[:n]).shape == (n, 3)
    assert "retracing" not in caplog.text
    assert predict_batches(one, a[:0]).shape == (0, 3)
    with pytest.raises(InputError, match="batch_size"):
        predict_batches(one, a, batch_size=0)
    with pytest.raises(InputError, match="batch_size must be a whole number"):
        predict_batches(one, a, batch_size=2.5)  # ran as 2


def test_trainer_refuses_nan_inputs_that_would_turn_every_weight_into_nan():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    bad = x.copy()
    bad[5, 1] = np.nan  # one value: Keras trained on, reported a finite loss, all weights NaN
    t = Trainer(loss="binary_crossentropy", epochs=1, batch_size=64, progress=False)
    with pytest.raises(
        InputError, match=r"x has NaN or infinite values in 1 of 64 rows \(first row 5\)"
    ):
        t.fit(lambda: build_mlp(4, hidden=(4,)), bad, y)
    with pytest.raises(InputError, match="validation x has NaN"):
        t.fit(lambda: build_mlp(4, hidden=(4,)), x, y, validation_data=(bad, y))
    with pytest.raises(InputError, match="y has 1 NaN"):
        t.fit(lambda: build_mlp(4, hidden=(4,)), x, np.r_[np.nan, y[1:]].astype(float))


def test_trainer_and_predict_batches_check_inputs_against_the_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    t = Trainer(loss="binary_crossentropy", epochs=1, progress=False)
    mlp = build_mlp(4, hidden=(4,))
    # each of these was a bare Keras ValueError ("incompatible with the layer",
    # "Invalid dtype: str1024", "target.shape=(32, 2), output.shape=(32, 1)")
    with pytest.raises(
        InputError, match=r"x has shape \(32, 3\), but the model input 'features' expects \(n, 4\)"
    ):
        t.fit(mlp, x[:, :3], y)
    with pytest.raises(InputError, match="x must hold numbers, found dtype <U"):
        t.fit(mlp, x.astype(str), y)
    with pytest.raises(
        InputError, match=r"y has 2 columns but the model has 1 output unit.*argmax"
    ):
        t.fit(mlp, x, np.eye(2)[y])
    softmax = build_mlp(4, hidden=(4,), output_units=3, output_activation="softmax")
    with pytest.raises(InputError, match="sparse_categorical_crossentropy"):
        Trainer(loss="categorical_crossentropy", epochs=1, progress=False).fit(softmax, x, y)
    assert len(t.fit(mlp, x.tolist(), y)["loss"]) == 1  # a list of rows is one input

    cnn = build_cnn1d((50, 1), filters=(2,), kernel_size=3)
    with pytest.raises(InputError, match=r"expects \(n, 50, 1\) \(add the channel axis"):
        predict_batches(cnn, np.zeros((3, 50)))
    with pytest.raises(InputError, match=r"one sample\? add the sample axis"):
        predict_batches(cnn, np.zeros((50, 1)))
    ens = build_ensemble(
        3, (2, 8, 8, 1), mlp_hidden=(4,), cnn_filters=(2,), cnn_dense=(4,), head=(2,)
    )
    with pytest.raises(InputError, match=r"x\[1\] has 4 rows but x\[0\] has 5"):
        predict_batches(
            ens, [np.zeros((5, 3)), np.zeros((4, 2, 8, 8, 1))]
        )  # was a TF ConcatOp error
    with pytest.raises(InputError, match=r"takes 2 input\(s\) \['tabular', 'images'\]"):
        predict_batches(ens, [np.zeros((5, 3))])
    assert predict_batches(mlp, [x[:5]]).shape == (5, 1)


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"epochs": "ten"}, "epochs must be a whole number of at least 1; got 'ten'"),
        ({"epochs": 2.5}, "epochs must be a whole number of at least 1"),
        ({"early_stopping": "yes"}, "early_stopping .* must be a whole number of at least 0"),
        ({"loss": "binary_crossentrop"}, "unknown loss 'binary_crossentrop'"),
        ({"seed": 1.5}, "seed must be a whole number of at least 0"),  # was truncated to 1
        ({"seed": -1}, "seed must be a whole number of at least 0"),
        ({"seed": 2**40}, "seed must be .* at most 4294967295"),
    ],
)
def test_trainer_settings_are_checked_with_input_errors(settings, match):
    # were bare ValueErrors from int() or Keras ("Could not interpret loss identifier")
    x = np.random.default_rng(0).normal(size=(16, 3))
    y = (x[:, 0] > 0).astype(int)
    kw = {"loss": "binary_crossentropy", "epochs": 1, "progress": False, **settings}
    with pytest.raises(InputError, match=match):
        Trainer(**kw).fit(lambda: build_mlp(3, hidden=(2,)), x, y)


def test_balanced_batches_refuse_text_inputs_and_non_integer_sizes():
    x, y = _imbalanced(n=40, pos=5, t=10)
    with pytest.raises(InputError, match="x must hold numbers, found dtype <U"):
        BalancedBatches(x.astype(str), y, batch_size=8)  # was accepted; Keras failed later
    with pytest.raises(InputError, match="steps_per_epoch must be a whole number"):
        BalancedBatches(x, y, batch_size=8, steps_per_epoch="x")  # was int()'s ValueError
    with pytest.raises(InputError, match="batch_size must be a whole number"):
        BalancedBatches(x, y, batch_size=8.5)  # was truncated to 8


def test_progress_bar_ends_full_when_training_stops_early(capsys):
    # A bar stopped by early stopping used to stay at "10% 2/20" (red in a notebook), which
    # reads as a crash; it now ends at the epochs run, full, and says it stopped early.
    x, y = _dip_series(n=32)
    trainer = Trainer(
        loss="binary_crossentropy",
        epochs=20,
        early_stopping=1,
        lr_schedule=lambda epoch, lr: 0.0,  # nothing improves: early stopping stops
        seed=0,
        progress=True,
    )
    history = trainer.fit(build_mlp(64, hidden=(4,)), x[..., 0], y)
    run = len(history["loss"])
    assert run < 20
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert f"stopped early after {run} of 20 epochs" in last
    assert "100%" in last and f"{run}/{run}" in last and "/20" not in last


@pytest.mark.slow
def test_tensorflow_start_up_lines_are_silenced_but_a_users_setting_wins(monkeypatch):
    # TensorFlow printed "WARNING: All log messages before absl::InitializeLog()..." and
    # "oneDNN custom operations are on..." into the first training cell.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    code = (
        "import os, numpy as np\n"
        "from spacekit.builder import Trainer, build_mlp\n"
        "Trainer(loss='mse', epochs=1, progress=False).fit("
        "build_mlp(4, hidden=(2,), output_activation='linear'), np.zeros((8, 4)), np.zeros(8))\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['TF_ENABLE_ONEDNN_OPTS'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "0"]
    assert "oneDNN" not in out.stderr and "absl" not in out.stderr, out.stderr
    assert "cpu_feature_guard" not in out.stderr, out.stderr

    from spacekit.utils.deps import quiet_tensorflow

    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert quiet_tensorflow() == {"TF_ENABLE_ONEDNN_OPTS": "0"}
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert quiet_tensorflow() == {} and os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
