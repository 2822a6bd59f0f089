"""A starting point for your own sequences: a long-format table, any family.

    python -m rgan.main --config=configs/own_data.py --workdir=runs/mine \
        --config.data.path=my_table.csv --config.data.id_column=id \
        --config.data.time_column=time
    python -m rgan.main --config=configs/own_data.py:rcgan --workdir=runs/mine_by_class \
        --config.data.path=my_table.csv --config.data.condition_column=label

`:rgan` (the default), `:rcgan` (conditional on data.condition_column), `:crnngan` or
`:timegan` picks the family. The data: every numeric column but the id, time and
condition columns is a feature; sequences may have different lengths (padded to the
longest); a batch larger than the data is lowered to it. What differs from the
benchmark configs, and why (README, "Use your own data"): the generator's weights are
averaged (train.ema_decay) and sampled from, which on BasicMotions took the
discriminative score from 0.49 (raw weights) to 0.22; the generator gets per-sequence
noise besides the per-step noise (model.sequence_noise_dim), which on JapaneseVowels
brought the generated sequences' mean trajectory and cross-feature correlations close to
the real ones; the generator's loss adds a moment-matching term (gan.moment_weight=30;
RGAN, RCGAN and C-RNN-GAN) and puts half of the adversarial loss on each sequence's last
step (gan.last_step_weight=0.5), which together took JapaneseVowels from 0.46 (neither)
and 0.30 (moment weight 10 alone) to 0.21 and BasicMotions from 0.20 to 0.16 over three
seeds each, keeping its label accuracy ratio at 0.84 (0.94 with weight 10); a per-step
moment term (gan.step_moment_weight=30: each step's means and standard deviations, from
the start and from each sequence's end) beside them took JapaneseVowels' three seeds to
0.188 at 10,000 steps (0.199 at 12,000; the defaults before it: 0.216 at 12,000) and
BasicMotions' to 0.113 (from 0.158), each of those three seeds' label accuracy ratios
above 0.80 (a single run of seed 0: 0.784), for ~2% more CPU per step; RCGAN uses
one GRU layer of 48 units and takes both moment terms within each class
(gan.class_moments): one layer made its step ~2.4x as fast as two, ~2.5x with the
moments per class (6.9 against 2.8 steps/s; a single BasicMotions run from ~15 to
under 10 minutes), and per-class moments raised seed 0's label accuracy ratio alone
from 0.76 (one layer, pooled moments) to 0.91. The step budget follows the data
(train.num_steps=-1): 290,000 / the padded sequence length, in thousands within
[1,000, 20,000] (3,000 steps for 100-step recordings, 10,000 for 29-step utterances: 9-10
and 7-8 minutes alone on a 2-core CPU, README "Use your own data");
the log says what it chose, and --config.train.num_steps=N sets it.
"""

from configs import default
from rgan.families import timegan

FAMILIES = ("rgan", "rcgan", "crnngan", "timegan")


def get_config(arg=None):
    family = arg or "rgan"
    if family not in FAMILIES:
        raise ValueError(f"Unknown config argument {arg!r}; expected one of {FAMILIES}.")
    config = default.get_config(None)
    config.family = family
    config.data.source = "table"
    config.data.seq_len = 0  # the longest sequence
    config.data.feature_columns = ""  # every numeric column but id, time and condition
    config.train.num_steps = -1  # sized from the sequence length (rgan.train.steps_for_data)
    config.train.ema_decay = 0.999
    config.model.sequence_noise_dim = 8
    config.train.log_every = 200
    config.train.checkpoint_every = 1000
    # A sample plot costs ~2 s of a 2-core CPU, inside the training loop.
    config.train.plot_every = 2000
    # 50 steps per dispatch over the training data kept on the devices (bit-identical to
    # one step per call): on 100-step recordings XLA:CPU's per-step temporary buffer is
    # past glibc's 32 MiB mmap limit, and reusing it across a window's steps took
    # BasicMotions' RCGAN step from 263 to 169 CPU ms (results/speed_own_data.md). Data
    # too large to copy to each device: --config.train.steps_per_call=1.
    config.train.steps_per_call = 50
    if family != "timegan":  # TimeGAN's generator loss has its own moment term
        config.gan.moment_weight = 30.0
        # Half of each loss on each sequence's last step, whose logit has seen all of it.
        config.gan.last_step_weight = 0.5
        # Each step's moments too: the pooled term cannot see where in a sequence a
        # difference is (a linear probe told samples apart by their last changes).
        config.gan.step_moment_weight = 30.0
    if family == "rgan":
        # Two GRU layers and batches of 64: on JapaneseVowels the step ran 2.5x as fast as
        # the 3-layer, 128-sequence one (28 vs 11 steps/s beside other runs) and three seeds
        # scored .216 ± .017 (results/archive/japanesevowels_without_step_moments.md)
        # against .205 ± .020 (results/archive/japanesevowels_layers3_batch128.md), both
        # before the per-step moments. With them, 10,000 steps alone on a 2-core CPU take
        # 7-8 minutes (results/japanesevowels.md); the 3-layer default took 19 for 12,000.
        config.model.layers = 2
        config.train.batch_size = 64
    if family == "rcgan":
        config.model.cell = "gru"
        config.model.hidden = 48
        # One layer: BasicMotions' step at 6.8 steps/s alone against 2.8 with two
        # (scripts/benchmark.py), 3,000 steps in under 10 minutes (results/basicmotions.md).
        config.model.layers = 1
        config.rcgan.projection = True  # D scores the class, so G cannot drop one
        # Each class's statistics, not only the mixture's: with pooled moments a single
        # run's samples were labelled with their class at 0.76-0.78 of the real accuracy.
        config.gan.class_moments = True
    if family == "crnngan":
        config.model.cell = "lstm"
        config.model.layers = 2
        config.crnngan.feature_matching = True
        config.optim.generator.learning_rate = 2e-3
        config.optim.discriminator.learning_rate = 5e-4
    if family == "timegan":
        config.optim = timegan.reference_optimizers()  # its five optimizers
        config.timegan.embedding_steps = 2000
        config.timegan.supervised_steps = 2000
        config.train.num_steps = 3000
    return config
