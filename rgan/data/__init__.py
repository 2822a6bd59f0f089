"""Data: sources, windowing, scaling and the batch order."""

from rgan.data.batches import batch_indices
from rgan.data.dataset import Dataset, build_dataset, data_seed
from rgan.data.scaler import MinMaxScaler
from rgan.data.sines import sine_windows

__all__ = ["Dataset", "MinMaxScaler", "batch_indices", "build_dataset", "data_seed", "sine_windows"]
