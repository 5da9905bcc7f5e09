"""Build, train, save and evaluate a Keras model with spacekit.builder and spacekit.computer.

A small 1D CNN learns to tell flux series with periodic box-shaped dips (a toy "transit")
from pure noise. Nothing is downloaded::

    .venv/bin/python examples/04_build_train_evaluate.py

About 15 s on 2 cores (mostly importing TensorFlow). The model folder and the run folder go to
a temporary folder (or the folder given as the first argument); ``spacekit dashboard --runs
<that folder>`` shows the run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from spacekit.builder import Trainer, build_cnn1d, load_model, save_model
from spacekit.computer import make_report, predict_classes
from spacekit.transformer import add_smoothed_channel, scale_rows


def toy_set(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy series, a third of them with a dip of 8 cadences every ``period``."""
    x = rng.normal(1.0, 1e-3, (n, length))
    y = (rng.random(n) < 1 / 3).astype(int)
    for row in np.flatnonzero(y):
        period, phase = rng.integers(60, 150), rng.integers(0, 60)
        x[row, (np.arange(length) - phase) % period < 8] -= 2.5e-3
    return add_smoothed_channel(scale_rows(x)), y  # (n, length, 2): flux, smoothed


def main(out_dir: str | None = None) -> None:
    out = Path(out_dir or tempfile.mkdtemp(prefix="spacekit-example-"))
    rng = np.random.default_rng(0)
    x_train, y_train = toy_set(600, 600, rng)
    x_test, y_test = toy_set(200, 600, rng)
    print(f"train {x_train.shape}, {y_train.sum()} with dips; test {x_test.shape}")

    # Pass a builder (not a model) so the trainer seeds Keras before initialising weights;
    # balanced batches with circular-roll augmentation, early stopping on val_loss.
    trainer = Trainer(
        loss="binary_crossentropy",
        learning_rate=3e-3,
        epochs=8,
        batch_size=32,
        seed=0,
        balanced=True,
        augment="roll",
        early_stopping=3,
        progress=False,
    )
    history = trainer.fit(
        lambda: build_cnn1d((600, 2), filters=(8, 16), kernel_size=7, dense=(16,), dropout=0.1),
        x_train,
        y_train,
        validation_data=(x_test, y_test),
    )
    print(f"trained {len(history['loss'])} epochs, best val_loss {min(history['val_loss']):.3f}")

    folder = save_model(
        trainer.model_,
        out / "models" / "toy",
        metadata={"feature_names": ["flux", "flux_smoothed"]},
    )
    model, meta = load_model(folder)
    print(f"saved {folder} (keras {meta['keras_version']}, format {meta['format_version']})")

    proba, classes = predict_classes(model, x_test)
    report = make_report(y_test, proba=proba, history=history, name="toy")
    run = report.save(out / "runs", app="toy")
    metrics = run.metrics
    print(
        f"run folder {run.path}: accuracy {metrics['accuracy']:.3f}, "
        f"ROC-AUC {metrics['roc_auc']:.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
