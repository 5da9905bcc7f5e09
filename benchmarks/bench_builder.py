"""Training and prediction throughput of the seed's K2 CNN (spacekit.builder) on this CPU.

Synthetic data in the Kaggle K2 layout: ``n`` series of ``length`` cadences (default 5,000 ×
3,197), two channels (flux and a smoothed copy, as the seed fed the network), ~1% positives
carrying a box-shaped dip. The network is ``build_cnn1d((length, 2))`` with its default
(seed) sizes, trained with Adam on balanced, rolled batches of 32 (``Trainer(balanced=True,
augment="roll")``) and, for comparison, on plain shuffled arrays.

Epoch 1 includes graph tracing, so steady-state throughput is taken from the later epochs.

Usage::

    MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python benchmarks/bench_builder.py \\
        [--n 5000] [--length 3197] [--epochs 2] [--batch-size 32] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np


def make_data(n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    flux = rng.normal(0.0, 1.0, size=(n, length)).astype("float32")
    y = (rng.random(n) < 0.01).astype("int32")
    y[:2] = 1  # at least two positives
    for i in np.flatnonzero(y):
        start = rng.integers(0, length - 30)
        flux[i, start : start + 30] -= 3.0
    kernel = np.ones(9, dtype="float32") / 9
    smooth = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, flux)
    return np.stack([flux, smooth], axis=-1), y


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--length", type=int, default=3197)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--predict-batch-size", type=int, default=256)
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)

    import keras
    import tensorflow as tf

    from spacekit.builder import Trainer, build_cnn1d

    x, y = make_data(args.n, args.length)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    results: dict = {
        "load_average_at_start": load,
        "n": args.n,
        "length": args.length,
        "channels": 2,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "cpus": os.cpu_count(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
    }

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()
            self.c0 = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t0)
            self.cpu.append(time.process_time() - self.c0)

    for mode in ("balanced", "arrays"):
        timer = EpochTimer()
        timer.times, timer.cpu = [], []
        trainer = Trainer(
            loss="binary_crossentropy",
            learning_rate=1e-5,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=0,
            balanced=(mode == "balanced"),
            augment="roll" if mode == "balanced" else None,
            callbacks=[timer],
            progress=False,
        )
        trainer.fit(lambda: build_cnn1d((args.length, 2)), x, y)
        per_epoch = (args.n // args.batch_size) * args.batch_size if mode == "balanced" else args.n
        steady = timer.times[1:] or timer.times
        results[f"train_{mode}"] = {
            "samples_per_epoch": per_epoch,
            "epoch_seconds": [round(t, 3) for t in timer.times],
            "samples_per_second_first_epoch": round(per_epoch / timer.times[0], 1),
            "samples_per_second_steady": round(per_epoch / float(np.mean(steady)), 1),
            # CPU time is less sensitive than wall time to other jobs on a shared machine
            "cpu_seconds": [round(t, 3) for t in timer.cpu],
            "cpu_ms_per_sample_steady": round(
                1000 * float(np.mean(timer.cpu[1:] or timer.cpu)) / per_epoch, 3
            ),
        }
        model = trainer.model_
    results["params"] = int(model.count_params())

    times, cpu = [], []
    for _ in range(2):  # the first call traces the predict function
        t0, c0 = time.perf_counter(), time.process_time()
        model.predict(x, batch_size=args.predict_batch_size, verbose=0)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    results["predict"] = {
        "batch_size": args.predict_batch_size,
        "seconds": [round(t, 3) for t in times],
        "samples_per_second_first_call": round(args.n / times[0], 1),
        "samples_per_second_steady": round(args.n / times[1], 1),
        "cpu_ms_per_sample_steady": round(1000 * cpu[1] / args.n, 3),
    }
    text = json.dumps(results, indent=2)
    sys.stdout.write(text + "\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return results


if __name__ == "__main__":
    main()
