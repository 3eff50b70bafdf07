"""Each check's wave end for time to removal (`survival._wave_ends`), looked up by numpy: the same
as the lookup through pandas it replaced, for a Wayback lookup, a check of no wave and a check of
a wave the report does not show (after as_of)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from toolkit.report.survival import _wave_ends


def _through_pandas(cf) -> np.ndarray:
    ends = cf.waves.set_index("wave_id")["end_t"] if len(cf.waves) else pd.Series(dtype="datetime64[ns, UTC]")
    waved = cf.checks["wave_id"].where(cf.checks["method"].astype(object) != "wayback")
    return waved.map(ends).astype("datetime64[ns, UTC]").values


def _case(waves: list[tuple[int, str | None]], checks: list[tuple[int | None, str]]):
    frame = pd.DataFrame({"wave_id": [w for w, _ in waves], "end_t": pd.to_datetime([e for _, e in waves], utc=True)})
    checked = pd.DataFrame({"wave_id": pd.array([w for w, _ in checks], dtype="Int64"),
                            "method": pd.Categorical([m for _, m in checks])})
    return SimpleNamespace(waves=frame, checks=checked)


def test_wave_ends_as_through_pandas():
    cf = _case([(7, "2021-05-03T10:00:00Z"), (3, "2021-04-20T18:30:00Z"), (9, None)],
               [(3, "live"), (7, "browser"), (None, "live"), (3, "wayback"), (12, "live"), (9, "export"), (7, "manual")])
    got = _wave_ends(cf)
    assert got.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(got, _through_pandas(cf))
    assert np.isnat(got[[2, 3, 4, 5]]).all() and not np.isnat(got[[0, 1, 6]]).any()


def test_wave_ends_without_waves_or_checks():
    for cf in (_case([], [(None, "live"), (4, "live")]), _case([(1, "2021-05-03T10:00:00Z")], [])):
        got = _wave_ends(cf)
        np.testing.assert_array_equal(got, _through_pandas(cf))
        assert np.isnat(got).all()
