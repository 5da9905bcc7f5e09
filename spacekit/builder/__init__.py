"""Build and train Keras models: plain builder functions returning models (1D, 2D and 3D
CNNs, MLP, ensembles), a matplotlib diagram of a model's layers, balanced batches with
augmentation, a reproducible trainer, and model save/load with metadata.

Layer 4 (model). TensorFlow/Keras are imported only inside the functions that need them, so
``import spacekit.builder`` stays light.

Seed names kept as aliases: ``build_cnn`` (:func:`build_cnn1d`), ``batch_maker``
(:class:`BalancedBatches`), ``fit_cnn`` (:class:`Trainer`).
"""

from .batches import (
    AUGMENT_KINDS,
    BalancedBatches,
    augment_color_jitter,
    augment_flip,
    augment_gaussian_noise,
    augment_laplace_noise,
    augment_logistic_noise,
    augment_roll,
    batch_maker,
)
from .diagram import layer_table, model_diagram
from .networks import (
    build_cnn,
    build_cnn1d,
    build_cnn2d,
    build_cnn3d,
    build_ensemble,
    build_mlp,
)
from .persist import load_model, save_model
from .trainer import Trainer, fit_cnn, history_of, predict_batches, set_seed

__all__ = [
    "AUGMENT_KINDS",
    "BalancedBatches",
    "Trainer",
    "augment_color_jitter",
    "augment_flip",
    "augment_gaussian_noise",
    "augment_laplace_noise",
    "augment_logistic_noise",
    "augment_roll",
    "batch_maker",
    "build_cnn",
    "build_cnn1d",
    "build_cnn2d",
    "build_cnn3d",
    "build_ensemble",
    "build_mlp",
    "fit_cnn",
    "history_of",
    "layer_table",
    "load_model",
    "model_diagram",
    "predict_batches",
    "save_model",
    "set_seed",
]
