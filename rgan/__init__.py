"""rgan: recurrent GANs for sequences and time series in JAX/Flax."""

__version__ = "0.1.0"
