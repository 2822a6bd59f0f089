"""scripts/uea_data.py: the .ts format parsed into series and labels, written as a table."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

spec = importlib.util.spec_from_file_location("uea_data", REPO / "scripts" / "uea_data.py")
uea_data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uea_data)

TS = """# a comment
@problemName Toy
@univariate false
@classLabel true a b
@data
1.0,2.0,3.0:4.0,5.0,6.0:a
0.5,0.25:1.5,1.25:b
"""


def test_parse_and_write_a_variable_length_multichannel_file(tmp_path):
    series, labels = uea_data.parse_ts(TS.splitlines())
    assert labels == ["a", "b"]
    np.testing.assert_array_equal(series[0], [[1, 4], [2, 5], [3, 6]])  # [length, channels]
    np.testing.assert_array_equal(series[1], [[0.5, 1.5], [0.25, 1.25]])
    uea_data.write_table(str(tmp_path / "t.csv"), series, labels)
    table = pd.read_csv(tmp_path / "t.csv")
    assert list(table.columns) == ["id", "time", "c0", "c1", "label"]
    assert table.groupby("id").size().tolist() == [3, 2]
    assert table.label.tolist() == ["a", "a", "a", "b", "b"]


@pytest.mark.parametrize(
    "body, message",
    [("1,x:2,3:a", "line 6: a value is not a number"), ("1,2:3:a", "different lengths")],
)
def test_bad_ts_lines_are_named(body, message):
    text = TS.split("@data")[0] + "@data\n" + body
    with pytest.raises(ValueError, match=message):
        uea_data.parse_ts(text.splitlines())
