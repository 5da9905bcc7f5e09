"""Training with TensorFlow's oneDNN CPU kernels off (spacekit's default) and on.

spacekit sets ``TF_ENABLE_ONEDNN_OPTS=0`` when the user has not set it, so that TensorFlow's
start-up notice stays out of notebook cells (``spacekit.utils.deps.quiet_tensorflow``). This
measures what that costs: the same seeded 1D-CNN training in fresh interpreters, alternating
0 and 1, median wall time of the timed epochs and the final loss of each setting.

Usage: ``python benchmarks/bench_onednn.py [--repeat 3] [--n 1024] [--length 1000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CHILD = """
import sys, time
import numpy as np
from spacekit.builder import Trainer, build_cnn1d
n, length, epochs = (int(a) for a in sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.normal(size=(n, length, 1)).astype("float32")
y = np.arange(n) % 2
def trainer(e):
    return Trainer(loss="binary_crossentropy", epochs=e, batch_size=64, seed=0, progress=False)
trainer(1).fit(build_cnn1d((length, 1)), x, y)  # warm-up: graph tracing
t0 = time.perf_counter()
h = trainer(epochs).fit(build_cnn1d((length, 1)), x, y)
print(time.perf_counter() - t0, h["loss"][-1])
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {"0": [], "1": []}
    losses: dict[str, float] = {}
    for _ in range(args.repeat):
        for value in ("0", "1"):
            env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": value, "TF_CPP_MIN_LOG_LEVEL": "2"}
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.n), str(args.length), str(args.epochs)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds, loss = (float(v) for v in out.stdout.split()[-2:])
            times[value].append(seconds)
            losses[value] = loss
    for value, label in (("0", "oneDNN off (spacekit default)"), ("1", "oneDNN on")):
        print(
            f"{label:32s} median {statistics.median(times[value]):6.2f} s for {args.epochs} "
            f"epochs (runs: {', '.join(f'{t:.2f}' for t in times[value])}); "
            f"final loss {losses[value]:.6f}"
        )
    ratio = statistics.median(times["1"]) / statistics.median(times["0"])
    print(f"on / off wall time: {ratio:.2f}x")


if __name__ == "__main__":
    main()
