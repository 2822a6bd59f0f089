"""Your own data: long-format tables, variable lengths, missing values, bad input."""

import json
import os

import jax
import numpy as np
import pandas as pd
import pytest
from testing import max_abs_diff

from rgan import checkpoint, parallel, train
from rgan.data import build_dataset
from rgan.families import DataSpec, build_family
from rgan.sample import load_run, save_samples


def _long_table(num_ids=96, seed=0):
    """ids with 10..40 steps of two sine-like features; rows shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(num_ids):
        length = rng.integers(10, 41)
        t = np.arange(length)
        freq = rng.uniform(0.1, 0.3)
        for step, a, b in zip(t, np.sin(freq * t), np.cos(freq * t) * 10 + 50, strict=True):
            rows.append({"patient": f"p{i:03d}", "hour": step, "a": a, "b": b, "note": "x"})
    table = pd.DataFrame(rows)
    return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _config(smoke_config, path, **overrides):
    defaults = dict(
        data__source="table",
        data__path=str(path),
        data__id_column="patient",
        data__time_column="hour",
        data__feature_columns="a, b",
        data__seq_len=0,
    )
    return smoke_config(**{**defaults, **overrides})


def test_long_table_becomes_padded_sorted_sequences(smoke_config, tmp_path):
    table = _long_table()
    table.to_csv(tmp_path / "t.csv", index=False)
    data = build_dataset(_config(smoke_config, tmp_path / "t.csv").data, seed=0)
    lengths = table.groupby("patient").size().sort_index().to_numpy()
    assert data.windows.shape == (96, lengths.max(), 2)
    np.testing.assert_array_equal(data.mask.sum(1), lengths)
    assert (data.windows[data.mask == 0] == 0).all()
    first = table[table.patient == "p000"].sort_values("hour")[["a", "b"]].to_numpy()
    np.testing.assert_allclose(data.scaler.inverse(data.windows[0, : len(first)]), first, atol=1e-5)
    # Parquet gives the same.
    table.to_parquet(tmp_path / "t.parquet")
    same = build_dataset(_config(smoke_config, tmp_path / "t.parquet").data, seed=0)
    np.testing.assert_array_equal(same.windows, data.windows)


def test_variable_length_training_samples_the_real_length_histogram(smoke_config, tmp_path):
    table = _long_table(num_ids=128)
    table.to_csv(tmp_path / "t.csv", index=False)
    config = _config(smoke_config, tmp_path / "t.csv", train__num_steps=10)
    train.train_and_evaluate(config, str(tmp_path / "run"))
    run = load_run(str(tmp_path / "run"))
    real = table.groupby("patient").size().to_numpy()
    sampled = run.sample_lengths(20000, seed=0)
    support = np.arange(10, 41)
    p_real = np.array([(real == n).mean() for n in support])
    p_sampled = np.array([(sampled == n).mean() for n in support])
    total_variation = 0.5 * np.abs(p_real - p_sampled).sum()
    assert total_variation < 0.03, total_variation  # sampling noise at n=20000: ~0.01
    sequences = run.sample_sequences(50, seed=1)
    assert [len(s) for s in sequences] == list(run.sample_lengths(50, seed=1))
    np.testing.assert_array_equal(run.generate(50, seed=1).lengths, run.sample_lengths(50, 1))
    assert all(np.isfinite(s).all() for s in sequences)
    padded = run.sample(50, seed=1)
    assert np.isnan(padded[0, len(sequences[0]) :]).all()
    save_samples(str(tmp_path / "s.csv"), padded, ["a", "b"], lengths=run.sample_lengths(50, 1))
    written = pd.read_csv(tmp_path / "s.csv")
    assert written.groupby("sequence").size().tolist() == [len(s) for s in sequences]


def test_padded_batches_give_the_same_step_on_four_devices_as_one(smoke_config, tmp_path):
    _long_table(num_ids=64).to_csv(tmp_path / "t.csv", index=False)
    config = _config(smoke_config, tmp_path / "t.csv")
    config.gan.moment_weight = 1.0  # its statistics are over the global batch's real steps
    config.gan.step_moment_weight = 1.0  # per step, also aligned at each sequence's end
    for opt in config.optim.values():  # lr * gradient: see tests/timegan_test.py
        opt.optimizer, opt.learning_rate = "sgd", 1e-2
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features))
    batch = {"x": data.windows[:32], "mask": data.mask[:32]}
    results = []
    for devices in (jax.devices(), jax.devices()[:1]):
        mesh = parallel.make_mesh(devices)
        state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), mesh)
        step = parallel.sharded_step(family.phases[0], mesh, 32, data.seq_len, donate=False)
        results.append(jax.device_get(step(state, parallel.global_batch((batch,), mesh))))
    assert max_abs_diff(results[0][0].params, results[1][0].params) < 1e-6
    for name, value in results[0][1].items():  # sums in another order: float32 rounding
        np.testing.assert_allclose(value, results[1][1][name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_padding_does_not_change_the_losses(smoke_config, tmp_path):
    _long_table(num_ids=32).to_csv(tmp_path / "t.csv", index=False)
    config = _config(smoke_config, tmp_path / "t.csv")
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features))
    mesh = parallel.make_mesh(jax.devices()[:1])
    state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), mesh)
    step = parallel.sharded_step(family.phases[0], mesh, 32, data.seq_len, donate=False)
    garbage = np.where(data.mask[..., None] > 0, data.windows, 123.0).astype(np.float32)
    clean = step(state, parallel.global_batch(({"x": data.windows, "mask": data.mask},), mesh))
    dirty = step(state, parallel.global_batch(({"x": garbage, "mask": data.mask},), mesh))
    assert max_abs_diff(clean[0].params, dirty[0].params) == 0.0


@pytest.mark.parametrize(
    "edit, match",
    [
        # Row 5 of the file is line 7 (after the header); ids are named, columns by name.
        (
            lambda t: t.assign(a=t.a.mask(t.index == 5)),
            r"missing value.*at line 7, id 'p\d+', column 'a'.*config.data.missing",
        ),
        (
            lambda t: t.assign(a=t.a.astype(object).mask(t.index == 9, "1,5")),
            r"Column 'a' of .* is not numeric at line 11, id 'p\d+': '1,5' \(1 such",
        ),
        (lambda t: t.assign(patient=np.arange(len(t)).astype(str)), r"one row per id"),
        (lambda t: t.drop(columns="hour"), r"time_column = 'hour' is not a column"),
    ],
)
def test_bad_tables_name_the_problem(smoke_config, tmp_path, edit, match):
    edit(_long_table(num_ids=8)).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match=match):
        build_dataset(_config(smoke_config, tmp_path / "t.csv").data, seed=0)


def test_missing_value_options(smoke_config, tmp_path):
    table = _long_table(num_ids=8)
    gap = table.index[(table.patient == "p003") & (table.hour == 4)][0]
    table.loc[gap, "a"] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    lengths = table.groupby("patient").size().sort_index().to_numpy()
    filled = build_dataset(
        _config(smoke_config, tmp_path / "t.csv", data__missing="ffill").data, seed=0
    )
    raw = filled.scaler.inverse(filled.windows[3])
    previous = table[(table.patient == "p003") & (table.hour == 3)].a.item()
    assert raw[4, 0] == pytest.approx(previous, abs=1e-5)
    dropped = build_dataset(
        _config(smoke_config, tmp_path / "t.csv", data__missing="drop").data, seed=0
    )
    assert dropped.mask[3].sum() == lengths[3] - 1


def test_missing_file_and_short_series(smoke_config, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_dataset(_config(smoke_config, tmp_path / "nope.csv").data, seed=0)
    np.savetxt(tmp_path / "s.csv", np.ones((10, 2)), delimiter=",", header="a,b", comments="")
    config = smoke_config(data__source="series", data__path=str(tmp_path / "s.csv"))
    with pytest.raises(
        ValueError, match=r"window \(24 steps\) is not shorter than the series \(10"
    ):
        build_dataset(config.data, seed=0)
    (tmp_path / "text.csv").write_text("a,b\n1,2\n3,abc\n")
    config = smoke_config(data__source="series", data__path=str(tmp_path / "text.csv"))
    with pytest.raises(ValueError, match=r"line 3, column 'b': 'abc' is not a number"):
        build_dataset(config.data, seed=0)


def _labelled_table(num_ids=12):
    """_long_table with a per-id 'speaker' label 1..3 (1-based, as text files have them)."""
    table = _long_table(num_ids=num_ids)
    table["speaker"] = table.patient.str[1:].astype(int) % 3 + 1
    return table


def test_condition_column_classes_by_label_value_in_the_saved_id_order(smoke_config, tmp_path):
    _labelled_table().to_csv(tmp_path / "t.csv", index=False)
    config = _config(
        smoke_config,
        tmp_path / "t.csv",
        family="rcgan",
        data__condition_column="speaker",
        train__num_steps=2,
        train__plot_every=0,
    )
    data = build_dataset(config.data, seed=0)
    assert data.condition_names == ("1", "2", "3")  # no phantom class 0
    assert data.ids == tuple(f"p{i:03d}" for i in range(12))  # the ids, sorted
    expected = np.array([i % 3 + 1 for i in range(12)]).astype(str)
    np.testing.assert_array_equal(
        np.asarray(data.condition_names)[data.conditions.argmax(1)], expected
    )
    train.Trainer(config, str(tmp_path / "run")).run()
    run = load_run(str(tmp_path / "run"))
    assert run.conditions.names == ("1", "2", "3")
    assert np.array_equal(run.sample_conditions(2, cond=3), np.eye(3, dtype=np.float32)[[2, 2]])
    with pytest.raises(ValueError, match=r"Unknown class label '0'; this run's classes are"):
        run.sample_conditions(2, cond=0)
    meta = checkpoint.Checkpointer(str(tmp_path / "run"), read_only=True).restore_run()
    assert meta["sequence_ids"] == list(data.ids)


def test_a_label_that_varies_within_an_id_is_refused_naming_it(smoke_config, tmp_path):
    table = _labelled_table()
    table.loc[table.index[table.patient == "p004"][0], "speaker"] = 9
    table.to_csv(tmp_path / "t.csv", index=False)
    config = _config(smoke_config, tmp_path / "t.csv", data__condition_column="speaker")
    with pytest.raises(ValueError, match=r"one value per sequence, but id 'p004' has"):
        build_dataset(config.data, seed=0)


def test_without_feature_columns_the_numeric_columns_but_id_time_and_condition(
    smoke_config, tmp_path, caplog
):
    _labelled_table().to_csv(tmp_path / "t.csv", index=False)
    caplog.set_level("INFO")
    config = _config(
        smoke_config, tmp_path / "t.csv", data__feature_columns="", data__condition_column="speaker"
    )
    data = build_dataset(config.data, seed=0)
    assert data.feature_names == ("a", "b")  # not 'note' (text) nor 'speaker' (condition)
    assert "features ['a', 'b']" in caplog.text and "left out: ['note']" in caplog.text


@pytest.mark.parametrize("policy", ["drop", "error"])
def test_ids_shorter_than_min_length(smoke_config, tmp_path, caplog, policy):
    table = _long_table(num_ids=8)
    table = table[(table.patient != "p002") | (table.hour == 0)]  # p002: a single row
    table.to_csv(tmp_path / "t.csv", index=False)
    config = _config(smoke_config, tmp_path / "t.csv", data__short_sequences=policy)
    if policy == "error":
        with pytest.raises(ValueError, match=r"1 id\(s\) have fewer than .*min_length=2.*p002"):
            build_dataset(config.data, seed=0)
        return
    data = build_dataset(config.data, seed=0)
    assert data.num_windows == 7 and "p002" not in data.ids
    assert "1 id(s) have fewer than config.data.min_length=2" in caplog.text


def test_training_starts_with_a_summary_of_the_data(smoke_config, tmp_path, caplog):
    _labelled_table().to_csv(tmp_path / "t.csv", index=False)
    caplog.set_level("INFO")
    config = _config(
        smoke_config, tmp_path / "t.csv", family="rcgan", data__condition_column="speaker"
    )
    train.Trainer(config, str(tmp_path / "run"))
    assert "Data: table" in caplog.text and "12 sequences of 2 feature(s) (a, b)" in caplog.text
    assert "Lengths: " in caplog.text and "Conditions: 3 classes (1: 4, 2: 4, 3: 4)" in caplog.text
    assert "Training: rcgan, batch" in caplog.text


@pytest.mark.parametrize("family", ["rgan", "rcgan", "crnngan", "timegan"])
def test_the_own_data_config_trains_every_family(smoke_config, tmp_path, family):
    """configs/own_data.py:<family>, as the README's own-data commands run it."""
    path = tmp_path / "mine.csv"
    _labelled_table(num_ids=24).to_csv(path, index=False)
    config = smoke_config(
        "configs/own_data.py",
        arg=family,
        data__path=str(path),
        data__id_column="patient",
        data__time_column="hour",
        data__condition_column="speaker",
        model__hidden=8,
        model__layers=1,
        train__num_steps=3,
        train__plot_every=0,
        timegan__embedding_steps=2,
        timegan__supervised_steps=2,
    )
    workdir = str(tmp_path / family)
    state, _ = train.train_and_evaluate(config, workdir)
    phase_steps = [2, 2, 3] if family == "timegan" else [3]
    assert int(state.step) == sum(phase_steps)  # every phase ran
    run = load_run(workdir)
    assert run.sample_sequences(3)[0].shape[1] == 2  # features a, b (not the label)


def test_the_step_budget_follows_the_sequence_length():
    # 100-step recordings and 29-step utterances: the budgets measured to learn on
    # BasicMotions and JapaneseVowels; very short and very long sequences are bounded.
    assert [train.steps_for_data(t) for t in (100, 29, 24, 5, 1000)] == [
        3000,
        10000,
        12000,
        20000,
        1000,
    ]


def test_minus_one_steps_are_sized_from_the_data_saved_and_resumed(smoke_config, tmp_path):
    path = tmp_path / "t.csv"
    _long_table().to_csv(path, index=False)
    config = _config(smoke_config, path, train__num_steps=-1)
    trainer = train.Trainer(config, str(tmp_path / "run"))
    longest = trainer.dataset.seq_len
    assert trainer.config.train.num_steps == train.steps_for_data(longest) == 7000  # 10..40
    assert [p.num_steps for p in trainer.family.phases] == [7000]
    assert trainer.config_dict["train"]["num_steps"] == 7000  # what config.json holds
    # The same command (-1 again) on the saved run gets the same budget: it resumes.
    os.makedirs(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text(json.dumps(trainer.config_dict))
    again = train.Trainer(_config(smoke_config, path, train__num_steps=-1), str(tmp_path / "run"))
    assert again.config.train.num_steps == 7000 and not again._config_changes
    with pytest.raises(ValueError, match="or -1 to size it from the data"):
        train.Trainer(_config(smoke_config, path, train__num_steps=-2), str(tmp_path / "run2"))
