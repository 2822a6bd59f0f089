"""Every config field of rgan, documented once (a family's own fields in its module under
rgan/families/). Other configs start from this one.

get_config(arg): `arg` is the text after ':' in `--config=path.py:arg`; here "smoke"
shrinks everything to a seconds-long run (for tests and a first look).
"""

import ml_collections

from rgan.families import CONFIG_SECTIONS
from rgan.optim import optimizer_config


def get_config(arg=None):
    config = ml_collections.ConfigDict()
    config.seed = 0  # the only seed: init, batch order and noise all derive from it
    config.family = "rgan"  # which GAN family trains: rgan | timegan | rcgan | crnngan

    config.data = ml_collections.ConfigDict()
    # sines | npy (.npy windows [N, T, D]; .npz with `windows` and optional `lengths`) |
    # series (a long .csv/.npy series [L, D] cut into windows) | table (long format)
    config.data.source = "sines"
    config.data.path = ""  # file for npy / series / table sources
    config.data.seq_len = 24  # T: window length; for variable-length data the padded
    #                           length, 0 = the longest sequence
    config.data.num_samples = 10000  # sines: number of windows
    config.data.num_features = 5  # sines: D
    config.data.stride = 1  # series: step between window starts
    config.data.reverse_rows = False  # series: reverse the rows first (TimeGAN does)
    config.data.missing = "error"  # NaN handling: error | ffill | drop (rgan/data/missing.py)
    config.data.id_column = "id"  # table: the column naming each sequence
    config.data.time_column = "time"  # table: the column ordering steps within a sequence
    config.data.feature_columns = ""  # table: comma-separated; empty = every numeric column
    #                                   but the id, time and condition columns
    config.data.condition_column = ""  # table: a per-sequence column (label or value) that
    #                                    conditional families condition on (condition_kind)
    config.data.min_length = 2  # table: ids with fewer rows are dropped or refused:
    config.data.short_sequences = "drop"  # drop (with a warning) | error
    # Public scaling bounds instead of the data's own min and max (which a differentially
    # private run would otherwise release): "lo:hi" for every feature, or one "lo:hi" per
    # feature, comma-separated. Values outside are clipped to them.
    config.data.bounds = ""
    config.data.seed = -1  # seed of the data (Sines); -1 = config.seed
    config.data.sine_freq_max = 0.1  # sines: frequencies ~ U(0, sine_freq_max) (TimeGAN: 0.1)
    # Per-sequence conditions (rgan/data/conditions.py), used by conditional families:
    config.data.sine_classes = 0  # sines: 0 = plain; k > 0 = k classes by frequency band of
    #                               (0, sine_freq_max), as one-hot conditions
    config.data.sine_class_weights = ()  # sines with classes: class proportions; () = balanced
    config.data.conditions_path = ""  # .npy, one row per window (for a table: ids sorted by
    #                                   value): labels [N] or vectors [N, C]
    config.data.condition_kind = "class"  # class (labels, numbers or text, -> one-hot by
    #                                       their sorted distinct values) | real (numbers,
    #                                       used as given)

    config.model = ml_collections.ConfigDict()
    config.model.cell = "gru"  # gru | lstm, for every network of the family
    config.model.hidden = 24  # hidden units per RNN layer
    config.model.layers = 3  # stacked RNN layers
    config.model.noise_dim = 0  # width of per-step noise; 0 = number of data features
    config.model.unroll = 1  # time steps per RNN loop iteration: a speed knob for
    #                          accelerators; results are the same (rgan/models/rnn.py)
    config.model.sequence_noise_dim = 0  # per-sequence noise features, the same
    #                                      at every step, beside the per-step noise
    config.model.warmup_steps = 0  # noise steps the generator runs through before its
    #                                first output, their outputs dropped, so that no kept
    #                                step starts from the zero state (families/base.py)
    config.model.bidirectional_discriminator = False  # RGAN/RCGAN/TimeGAN: D also reads
    #                  right to left, so each step's logit sees the whole window (TimeGAN's
    #                  paper; its reference code and RGAN's are causal). C-RNN-GAN's always is.
    config.model.length_aware = True  # RGAN/RCGAN on variable-length data: both networks see
    #                                   each step's distance to its sequence's end

    # One optimizer_config per optimizer (fields documented in rgan/optim.py). Adam with
    # b1 = 0.5, the usual choice for GANs since DCGAN: less momentum, fewer oscillations.
    config.optim = ml_collections.ConfigDict()
    config.optim.generator = optimizer_config(1e-3, b1=0.5)
    config.optim.discriminator = optimizer_config(1e-3, b1=0.5)

    # Each family's own fields, defined and documented in its module (rgan/families/):
    # config.gan (the adversarial loop of RGAN, RCGAN and C-RNN-GAN), config.timegan,
    # config.rcgan, config.crnngan.
    for section, defaults in CONFIG_SECTIONS.items():
        config[section] = defaults()

    config.train = ml_collections.ConfigDict()
    config.train.batch_size = 128  # global batch, split over the devices
    config.train.num_devices = 0  # train on the first N local devices; 0 = every device of
    #                               every process. Results do not depend on it.
    config.train.num_steps = 5000  # adversarial steps (rgan: d_steps D + 1 G update;
    #                                timegan: joint-phase iterations); -1: sized from the
    #                                data's sequence length (rgan.train.steps_for_data)
    config.train.d_steps = 1  # discriminator updates per generator update
    config.train.ema_decay = 0.0  # > 0: keep a moving average of the generator's weights
    #                               (adversarial families) and sample with it by default
    config.train.log_every = 100  # steps between metrics.jsonl records
    config.train.checkpoint_every = 1000  # steps between checkpoints (and at the end)
    config.train.keep_checkpoints = 3  # newest checkpoints kept; 0 keeps all
    config.train.plot_every = 1000  # steps between sample PNGs in workdir/samples; 0 = off
    config.train.progress = True  # progress bar on a TTY
    config.train.health_window = 5  # log records a failure mode must persist for before
    #                                 training warns (rgan/health.py)
    config.train.divergence_threshold = 1e6  # a loss beyond this (or NaN/inf) at any step
    #                                 stops training before the next checkpoint
    config.train.ensemble = 1  # K > 1: train K independent models in one vmapped step,
    #                            member i the run of seed + i (rgan/ensemble.py)
    # "FIELD=v0,v1,...[;FIELD=...]": the members are the points of a sweep over learning
    # rates (optim.<name>.learning_rate) and the adversarial loss weights gan.{moment_weight,
    # gp_weight, label_smoothing}; train.ensemble a multiple of their number (rgan/ensemble.py)
    config.train.ensemble_sweep = ""
    config.train.steps_per_call = 1  # > 1: up to this many steps per dispatch, in one jitted
    #                                  loop over training data kept on the devices; the
    #                                  same results as single steps (for accelerators,
    #                                  where each dispatch costs more than a small step)

    if arg == "smoke":
        apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config


# The TimeGAN benchmark files (scripts/download_data.py puts them in data/).
BENCHMARK_FILES = {"stocks": "data/stock_data.csv", "energy": "data/energy_data.csv"}


def use_benchmark_data(config, name):
    """Stocks or Energy, processed as TimeGAN does: rows reversed, min-max over the whole
    file, every stride-1 window of 24 steps (3,661 for Stocks, 19,711 for Energy)."""
    config.data.source = "series"
    config.data.path = BENCHMARK_FILES[name]
    config.data.reverse_rows = True
    config.data.seq_len = 24
    config.data.stride = 1
    return config


def use_rgan_recipe(config):
    """RGAN beyond the paper, as measured on Sines (configs/sines_rgan.py, README
    "Results on Sines"): the generator's moving average sampled, per-sequence noise, the
    moment-matching term, 20k steps. The benchmark RGAN configs all train this way, and
    configs/sines_{rcgan,crnngan}.py too, at 10k steps (results/sines.md)."""
    config.train.num_steps = 20000
    config.train.ema_decay = 0.999
    config.model.sequence_noise_dim = 8
    config.gan.moment_weight = 10.0
    return config


def use_energy_dynamics(config):
    """What Energy RGAN measured about Energy's dynamics (configs/energy_rgan.py), for the
    adversarial families on Energy: the moment term in units of the real standard
    deviations, since its temperatures and pressure change little from one 10-minute step
    to the next (results/ablation_energy_moments.md), and an 8-step warm-up before the
    window, since a generator's first step out of a zero state is told apart
    (results/ablation_energy_warmup.md)."""
    config.gan.moment_distance = "relative"
    config.model.warmup_steps = 8
    return config


def apply_smoke(config):
    """A few seconds on a laptop CPU: tiny data, tiny networks, few steps."""
    config.data.num_samples = 256
    config.model.hidden = 8
    config.model.layers = 1
    config.train.batch_size = 32
    config.train.num_steps = 60
    config.train.log_every = 10
    config.train.checkpoint_every = 30
    config.train.plot_every = 60
    config.timegan.embedding_steps = 20
    config.timegan.supervised_steps = 20
    return config
