"""Build and train Keras models: plain builder functions returning models (1D CNN, MLP, 3D CNN, ensembles), balanced batches with augmentation, a reproducible trainer, and model save/load with metadata.

Layer 4 (model). TensorFlow/Keras are imported only inside the functions that need them."""
