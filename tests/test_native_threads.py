"""The sklearn baseline limits native thread pools, so --workers N means N busy cores, not N x all."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")
threadpoolctl = pytest.importorskip("threadpoolctl")


def test_predict_leaves_every_native_pool_at_one_thread():
    from newsclaims.baselines import sklearn_tagger

    sklearn_tagger.limit_native_threads()
    sklearn_tagger.limit_native_threads()  # idempotent
    pools = threadpoolctl.threadpool_info()
    assert pools, "numpy/scipy/sklearn load at least one native pool"
    assert {pool["num_threads"] for pool in pools} == {sklearn_tagger.NATIVE_THREADS}
