"""A TS2Vec encoder (Yue et al., AAAI 2022) and its contrastive training, for Context-FID.

Follows the reference implementation (github.com/yuezhihan/ts2vec) that PSA-GAN and
Diffusion-TS use: a linear input layer, a binomial timestamp mask while training, residual
blocks of two dilated "same" convolutions (dilation 2^i) with GELU, dropout 0.1 on the
output; random overlapping crops of each batch and the hierarchical contrastive loss
(instance + temporal, max-pooled by 2 until one step is left); AdamW, and the encoder used
afterwards is the running average of the weights after every step (torch's AveragedModel).

Cropped views have a length that changes every step. To keep one compiled shape, a view of
length L lives at the start of a full-length buffer and every convolution input is zeroed
past L: since the reference pads each convolution with zeros, this gives exactly the
reference's outputs on the first L steps.
"""

from __future__ import annotations

import functools
import math

import flax.linen as nn
import jax
import jax.flatten_util
import jax.numpy as jnp
import optax

OUTPUT_DIMS = 320
HIDDEN_DIMS = 64
DEPTH = 10
KERNEL_SIZE = 3
DROPOUT = 0.1
MASK_PROBABILITY = 0.5  # binomial timestamp mask: each step kept with this probability
ALPHA = 0.5  # weight of the instance loss against the temporal loss
WEIGHT_DECAY = 0.01  # torch.optim.AdamW's default, which TS2Vec keeps
# Logit for excluded similarities: finite, so fully excluded rows stay NaN-free (and so do
# their gradients, which `where` would otherwise leak).
_EXCLUDED = -1e30


def default_iterations(windows_shape: tuple[int, ...]) -> int:
    """TS2Vec's default: 200 iterations when the data has <= 100,000 values, else 600."""
    return 200 if math.prod(windows_shape) <= 100_000 else 600


def _torch_uniform_bias(fan_in: int):
    """torch's default bias init for Linear/Conv1d: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    limit = 1.0 / math.sqrt(fan_in)
    return lambda key, shape, dtype=jnp.float32: jax.random.uniform(
        key, shape, dtype, -limit, limit
    )


# torch's default weight init (kaiming_uniform with a = sqrt(5)) is U(+-1/sqrt(fan_in)).
_torch_uniform_kernel = nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


class _Linear(nn.Module):
    """torch.nn.Linear (also a kernel-size-1 Conv1d): [..., in] -> [..., features]."""

    features: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return nn.Dense(
            self.features,
            kernel_init=_torch_uniform_kernel,
            bias_init=_torch_uniform_bias(x.shape[-1]),
        )(x)


class _SamePadConv(nn.Module):
    """Zero-padded "same" dilated convolution: [batch, time, in] -> [batch, time, features].

    When the dilation is at least the length, both outer taps read only padding at every
    step, so just the centre tap is computed (the same result, a third of the work).
    """

    features: int

    @nn.compact
    def __call__(self, x: jax.Array, dilation: jax.Array | int) -> jax.Array:
        """x: [batch, time, channels]; dilation: scalar int, may be traced -> [b, t, features]."""
        channels, steps = x.shape[-1], x.shape[1]
        kernel = self.param("kernel", _torch_uniform_kernel, (KERNEL_SIZE, channels, self.features))
        bias = self.param("bias", _torch_uniform_bias(KERNEL_SIZE * channels), (self.features,))

        def centre_tap(x):
            return x @ kernel[KERNEL_SIZE // 2] + bias

        def all_taps(x):
            # Shifted copies and one matmul rather than lax.conv_general_dilated: the same
            # sums, but XLA's CPU backward pass of a dilated convolution is several times
            # slower, and this form takes a traced dilation, so blocks of every dilation
            # share one scan body.
            padded = jnp.pad(x, ((0, 0), (steps, steps), (0, 0)))
            taps = [
                jax.lax.dynamic_slice_in_dim(padded, steps + offset * dilation, steps, axis=1)
                for offset in (-1, 0, 1)
            ]
            stacked = jnp.concatenate(taps, axis=-1)  # [batch, time, KERNEL_SIZE * channels]
            return stacked @ kernel.reshape(KERNEL_SIZE * channels, self.features) + bias

        if isinstance(dilation, int):
            return centre_tap(x) if dilation >= steps else all_taps(x)
        return jax.lax.cond(dilation >= steps, centre_tap, all_taps, x)


class _ConvBlock(nn.Module):
    """TS2Vec ConvBlock: x + conv2(gelu(conv1(gelu(x)))), with a 1x1 projection when needed."""

    features: int
    final: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, valid: jax.Array, dilation: jax.Array | int) -> jax.Array:
        """x: [batch, time, channels], valid: [batch, time, 1] -> [batch, time, features].

        Inputs of both convolutions are zeroed where `valid` is 0, as the padding would be.
        """
        needs_projection = x.shape[-1] != self.features or self.final
        residual = _Linear(self.features)(x) if needs_projection else x
        # torch's F.gelu is the exact (erf) GELU.
        x = jax.nn.gelu(x, approximate=False) * valid
        x = _SamePadConv(self.features)(x, dilation)
        x = jax.nn.gelu(x, approximate=False) * valid
        x = _SamePadConv(self.features)(x, dilation)
        return x + residual


class _ScannedBlock(nn.Module):
    """A _ConvBlock in the (carry, input) form that nn.scan wants."""

    features: int

    @nn.compact
    def __call__(self, x: jax.Array, valid: jax.Array, dilation: jax.Array):
        return _ConvBlock(self.features)(x, valid, dilation), None


class _BlockStack(nn.Module):
    """Same-width ConvBlocks, one per entry of `dilations`, as one nn.scan.

    Scanning compiles the block once instead of once per layer, which is most of the
    compile time of the encoder's training step on CPU.
    """

    features: int

    @nn.compact
    def __call__(self, x: jax.Array, valid: jax.Array, dilations: jax.Array) -> jax.Array:
        """x: [batch, time, features], valid: [batch, time, 1], dilations: [blocks] int."""
        stack = nn.scan(
            _ScannedBlock,
            variable_axes={"params": 0},
            split_rngs={"params": True},
            in_axes=(nn.broadcast, 0),
        )(self.features)
        x, _ = stack(x, valid, dilations)
        return x


class TSEncoder(nn.Module):
    """TS2Vec's encoder: per-step representations of (a prefix of) each window."""

    output_dims: int = OUTPUT_DIMS
    hidden_dims: int = HIDDEN_DIMS
    depth: int = DEPTH

    @nn.compact
    def __call__(self, x: jax.Array, valid: jax.Array, *, train: bool) -> jax.Array:
        """Encodes windows whose steps outside `valid` are padding.

        Args:
          x: [batch, time, features].
          valid: [batch, time] bool, True on the steps that exist.
          train: apply the binomial timestamp mask and dropout (needs rngs 'mask', 'dropout').

        Returns:
          [batch, time, output_dims]; steps where `valid` is False hold garbage.
        """
        valid = valid[..., None].astype(x.dtype)
        h = _Linear(self.hidden_dims)(x)
        if train:
            keep = jax.random.bernoulli(self.make_rng("mask"), MASK_PROBABILITY, h.shape[:2])
            h = h * keep[..., None]
        # Blocks 0..depth-1 keep the hidden width, with dilations 2^i; then the final block.
        dilations = jnp.array([2**index for index in range(self.depth)])
        h = _BlockStack(self.hidden_dims)(h, valid, dilations)
        h = _ConvBlock(self.output_dims, final=True)(h, valid, 2**self.depth)
        return nn.Dropout(DROPOUT, deterministic=not train)(h)


def hierarchical_contrastive_loss(z1: jax.Array, z2: jax.Array, length: jax.Array) -> jax.Array:
    """TS2Vec's loss on two views whose first `length` steps are the shared crop.

    Args:
      z1, z2: [batch, time, channels] representations of the overlap, steps >= length unused.
      length: scalar int, 1 <= length <= time.

    Returns:
      Scalar: the instance and temporal losses averaged over the max-pooling levels.
    """
    steps = z1.shape[1]
    levels = 1
    while steps >> (levels - 1) > 1:
        levels += 1

    # Every level is kept at the full length (pooled steps first, zeros after) so that one
    # scan body serves all levels: one compiled loss instead of one per level.
    def level(carry, _):
        z1, z2, length = carry
        steps_valid = jnp.arange(steps) < length
        instance = _instance_loss(z1, z2, steps_valid)
        temporal = _temporal_loss(z1, z2, steps_valid)
        # A level with more than one step adds both losses, the last (one step) only the
        # instance loss; levels past it (length 0) add nothing and are not counted.
        loss = jnp.where(
            length > 1,
            ALPHA * instance + (1 - ALPHA) * temporal,
            jnp.where(length == 1, ALPHA * instance, 0.0),
        )
        return (_max_pool_pairs(z1), _max_pool_pairs(z2), length // 2), (loss, length >= 1)

    _, (losses, counted) = jax.lax.scan(level, (z1, z2, length), length=levels)
    return jnp.sum(losses) / jnp.sum(counted)


def _max_pool_pairs(z: jax.Array) -> jax.Array:
    """max_pool1d(kernel 2) dropping an odd last step, zero-padded back to the input length.

    [b, t, c] -> [b, t, c] with the t // 2 pooled steps first.
    """
    batch, steps, channels = z.shape
    pooled = z[:, : steps // 2 * 2].reshape(batch, steps // 2, 2, channels).max(axis=2)
    return jnp.pad(pooled, ((0, 0), (0, steps - steps // 2), (0, 0)))


def _contrast(sim: jax.Array, candidates: jax.Array, positive: jax.Array) -> jax.Array:
    """-log softmax of the positive among the candidates (never itself).

    Args:
      sim: [..., n, n] similarities. candidates: [..., n, n] bool. positive: [n] column per row.

    Returns:
      [..., n] negative log-likelihoods.
    """
    count = sim.shape[-1]
    candidates = candidates & ~jnp.eye(count, dtype=bool)
    log_probs = jax.nn.log_softmax(jnp.where(candidates, sim, _EXCLUDED), axis=-1)
    # A one-hot product rather than a gather: its gradient is elementwise, not a scatter,
    # which XLA's CPU backend compiles several times faster.
    return -jnp.sum(log_probs * jax.nn.one_hot(positive, count, dtype=log_probs.dtype), axis=-1)


def _instance_loss(z1: jax.Array, z2: jax.Array, steps_valid: jax.Array) -> jax.Array:
    """Each window against the other windows at the same step: scalar (mean over valid steps)."""
    batch = z1.shape[0]
    z = jnp.swapaxes(jnp.concatenate([z1, z2], axis=0), 0, 1)  # [time, 2 batch, channels]
    sim = z @ jnp.swapaxes(z, 1, 2)
    positive = (jnp.arange(2 * batch) + batch) % (2 * batch)
    nll = _contrast(sim, jnp.ones(sim.shape, bool), positive)  # [time, 2 batch]
    weights = steps_valid[:, None].astype(nll.dtype)
    return jnp.sum(nll * weights) / jnp.maximum(jnp.sum(weights) * 2 * batch, 1.0)


def _temporal_loss(z1: jax.Array, z2: jax.Array, steps_valid: jax.Array) -> jax.Array:
    """Each step against the other steps of the same window: scalar (mean over valid rows)."""
    batch, steps = z1.shape[:2]
    z = jnp.concatenate([z1, z2], axis=1)  # [batch, 2 time, channels]
    sim = z @ jnp.swapaxes(z, 1, 2)
    rows_valid = jnp.concatenate([steps_valid, steps_valid])
    positive = (jnp.arange(2 * steps) + steps) % (2 * steps)
    candidates = jnp.broadcast_to(rows_valid[None, :], sim.shape)
    nll = _contrast(sim, candidates, positive)  # [batch, 2 time]
    weights = jnp.broadcast_to(rows_valid.astype(nll.dtype), nll.shape)
    return jnp.sum(nll * weights) / jnp.maximum(jnp.sum(weights), 1.0)


def shift_steps(x: jax.Array, starts: jax.Array) -> jax.Array:
    """out[b, t] = x[b, starts[b] + t], zero where that falls outside: [b, t, c] -> [b, t, c].

    Written as a product with a 0/1 selection matrix rather than a gather or a dynamic
    roll: XLA's CPU backend compiles the gradient of this far faster and the matrices are
    tiny (time x time).

    Args:
      x: [batch, time, channels].
      starts: scalar or [batch] int shifts.
    """
    steps = x.shape[1]
    starts = jnp.broadcast_to(starts, (x.shape[0],))
    sources = starts[:, None] + jnp.arange(steps)[None, :]  # [batch, time]
    selection = (sources[..., None] == jnp.arange(steps)).astype(x.dtype)  # [b, t, s]
    return jnp.einsum("bts,bsc->btc", selection, x)


def _crop_views(x: jax.Array, key: jax.Array):
    """TS2Vec's random overlapping crops (temporal_unit 0), as full-length buffers.

    Args:
      x: [batch, time, features].

    Returns:
      (view1, valid1, view2, valid2, overlap_start, overlap_length): views [batch, time,
      features] holding x[offset + eleft : offset + right] and x[offset + left : offset +
      eright] at their start, valid masks [batch, time], and where the shared crop
      [left, right) starts inside view 1 and how long it is.
    """
    batch, steps = x.shape[:2]
    # numpy's randint(low, high), uniform on [low, high), from one draw of uniforms: simpler
    # to compile than jax.random.randint with traced bounds, and the 2^-24 granularity of
    # the floats is far below the resolution of any window length. The minimum guards
    # against u * n rounding up to n.
    uniforms = jax.random.uniform(key, (batch + 4,))

    def randint(u, low, high):
        return low + jnp.minimum(jnp.floor(u * (high - low)).astype(jnp.int32), high - low - 1)

    crop_length = randint(uniforms[0], 2, steps + 1)
    crop_left = randint(uniforms[1], 0, steps - crop_length + 1)
    crop_right = crop_left + crop_length
    crop_eleft = randint(uniforms[2], 0, crop_left + 1)
    crop_eright = randint(uniforms[3], crop_right, steps + 1)
    offsets = randint(uniforms[4:], -crop_eleft, steps - crop_eright + 1)

    def take(starts, length):
        valid = jnp.broadcast_to(jnp.arange(steps) < length, (batch, steps))
        view = shift_steps(x, starts) * valid[..., None]
        return view, valid

    view1, valid1 = take(offsets + crop_eleft, crop_right - crop_eleft)
    view2, valid2 = take(offsets + crop_left, crop_eright - crop_left)
    return view1, valid1, view2, valid2, crop_left - crop_eleft, crop_length


def fit(windows, key, iterations, *, batch_size: int = 8, learning_rate: float = 1e-3):
    """Trains a fresh encoder on `windows` and returns its averaged parameters.

    Batches follow a torch DataLoader with shuffle and drop_last: each epoch is a fresh
    permutation cut into `len(windows) // batch_size` batches.

    Args:
      windows: [n, time, features] float32, n >= batch_size, time >= 2.
      key: PRNG key.
      iterations: optimiser steps (may be traced: changing it does not recompile).
      batch_size: windows per step (8 in TS2Vec).
      learning_rate: AdamW learning rate (1e-3 in TS2Vec).

    Returns:
      Params of `TSEncoder()`: the running mean of the weights after every step.
    """
    compiled = _compiled_fit(jax.default_backend(), batch_size, float(learning_rate))
    return compiled(windows, key, iterations)


# On CPU, LLVM's optimisation of this large training step is most of its 15-30 s compile;
# level 1 instead of the default cuts the compile by about a third and measured no slower
# to run. Other backends keep their defaults.
_CPU_COMPILER_OPTIONS = {"xla_backend_optimization_level": 1}


@functools.cache
def _compiled_fit(backend: str, batch_size: int, learning_rate: float):
    """The jitted training run for one backend and setting (jit caches it per shape)."""
    options = _CPU_COMPILER_OPTIONS if backend == "cpu" else None
    train = functools.partial(_fit, batch_size=batch_size, learning_rate=learning_rate)
    return jax.jit(train, compiler_options=options)


def _fit(windows, key, iterations, *, batch_size: int, learning_rate: float):
    """`fit` before jit: windows [n, time, features] -> averaged params."""
    count, steps = windows.shape[:2]
    batches_per_epoch = count // batch_size
    init_key, order_key, step_key = jax.random.split(key, 3)
    model = TSEncoder()
    params = model.init(init_key, windows[:1], jnp.ones((1, steps), bool), train=False)
    optimizer = optax.adamw(learning_rate, weight_decay=WEIGHT_DECAY)

    def loss_fn(params, batch, key):
        crop_key, mask_key, dropout_key = jax.random.split(key, 3)
        view1, valid1, view2, valid2, overlap_start, overlap_length = _crop_views(batch, crop_key)
        # Both views in one pass (the encoder treats windows independently; the mask and
        # dropout draws differ per row either way).
        out = model.apply(
            params,
            jnp.concatenate([view1, view2]),
            jnp.concatenate([valid1, valid2]),
            train=True,
            rngs={"mask": mask_key, "dropout": dropout_key},
        )
        out1, out2 = out[: batch.shape[0]], out[batch.shape[0] :]
        # The overlap sits at [overlap_start, overlap_start + length) in view 1 and at
        # [0, length) in view 2; move it to the front of view 1 as well.
        z1 = shift_steps(out1, overlap_start)
        return hierarchical_contrastive_loss(z1, out2, overlap_length)

    # The optimiser and the running average work on one flat vector: a few fused loops
    # instead of a few per parameter array, which roughly halves their compile time.
    flat_params, unravel = jax.flatten_util.ravel_pytree(params)

    def step(index, carry, batch):
        flat_params, average, opt_state = carry
        grads = jax.grad(
            lambda flat: loss_fn(unravel(flat), batch, jax.random.fold_in(step_key, index))
        )(flat_params)
        updates, opt_state = optimizer.update(grads, opt_state, flat_params)
        flat_params = optax.apply_updates(flat_params, updates)
        # AveragedModel: the first update copies, the k-th moves 1/k of the way.
        average = average + (flat_params - average) / (index + 1)
        return flat_params, average, opt_state

    def epoch(epoch_index, carry):
        order = jax.random.permutation(jax.random.fold_in(order_key, epoch_index), count)
        first = epoch_index * batches_per_epoch

        def batch_step(position, carry):
            indices = jax.lax.dynamic_slice(order, (position * batch_size,), (batch_size,))
            return step(first + position, carry, windows[indices])

        last = jnp.minimum(batches_per_epoch, iterations - first)
        return jax.lax.fori_loop(0, last, batch_step, carry)

    epochs = (iterations + batches_per_epoch - 1) // batches_per_epoch
    carry = (flat_params, flat_params, optimizer.init(flat_params))
    _, average, _ = jax.lax.fori_loop(0, epochs, epoch, carry)
    return unravel(average)


@functools.partial(jax.jit, static_argnames=("chunk",))
def encode(params, windows, *, chunk: int = 500) -> jax.Array:
    """Full-series representations: the max over time of the per-step outputs.

    Args:
      params: from `fit`.
      windows: [n, time, features].
      chunk: windows encoded at once (bounds memory at chunk x time x 320 floats).

    Returns:
      [n, 320] float32.
    """
    count, steps, features = windows.shape
    padded = -(-count // chunk) * chunk
    windows = jnp.pad(windows, ((0, padded - count), (0, 0), (0, 0)))
    model = TSEncoder()
    valid = jnp.ones((chunk, steps), bool)

    def encode_chunk(x):
        return jnp.max(model.apply(params, x, valid, train=False), axis=1)

    out = jax.lax.map(encode_chunk, windows.reshape(-1, chunk, steps, features))
    return out.reshape(padded, -1)[:count]
