"""The Newton engine's one-pass evaluation (log-likelihood, score, information) against
statsmodels' ``Logit.loglike`` / ``score`` / ``hessian``, on designs that exercise several
row blocks, several row chunks evaluated in parallel, and many columns."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from threadpoolctl import threadpool_limits

import bayeslogit as bl
from bayeslogit import blocks
from bayeslogit.engines import newton


def design(n: int, k: int, seed: int, with_offset: bool):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))])
    X[:, 1] *= 8.0  # some |eta| in the tens: tail probabilities must stay exact
    beta = rng.normal(0, 0.25, k)
    off = rng.normal(0, 0.5, n) if with_offset else None
    eta = X @ beta + (0 if off is None else off)
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, off, beta


def assert_matches_statsmodels(X, y, off, beta):
    ref = sm.Logit(y, X, offset=off)
    X0, y0 = X.copy(), y.copy()
    llf, grad, info = newton.evaluate(beta, X, y, off)
    np.testing.assert_allclose(llf, ref.loglike(beta), rtol=1e-13)
    score = ref.score(beta)
    np.testing.assert_allclose(grad, score, rtol=1e-10, atol=1e-11 * np.abs(score).max())
    hess = -ref.hessian(beta)
    np.testing.assert_allclose(info, hess, rtol=1e-12, atol=1e-13 * np.abs(hess).max())
    np.testing.assert_array_equal(info, info.T)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    return llf, grad, info


@pytest.mark.parametrize("with_offset", [False, True])
def test_parallel_row_chunks_match_statsmodels_whatever_the_thread_count(with_offset):
    X, y, off, beta = design(20_000, 60, 5, with_offset)  # 5 blocks, 5 chunks, a short last block
    assert X.shape[0] * X.shape[1] >= newton._THREAD_MIN_ELEMENTS
    got = assert_matches_statsmodels(X, y, off, beta)
    with threadpool_limits(limits=1, user_api="blas"):
        assert blocks.blas_thread_budget() == 1
        serial = newton.evaluate(beta, X, y, off)
    # partial sums are added in a fixed order, so one thread gives the same bits
    assert serial[0] == got[0]
    np.testing.assert_array_equal(serial[1], got[1])
    np.testing.assert_array_equal(serial[2], got[2])


def test_many_columns_few_rows_match_statsmodels():
    X, y, off, beta = design(2_000, 300, 6, with_offset=True)  # blocks of 873 rows, one chunk
    assert_matches_statsmodels(X, y, off, beta * 0.3)


def test_fit_on_a_parallel_design_matches_statsmodels():
    X, y, _, _ = design(20_000, 60, 7, with_offset=False)
    ref = sm.Logit(y, X).fit(disp=0)
    ours = bl.Logit(y, X).fit()
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.bse.to_numpy(), ref.bse, rtol=1e-8)
    assert ours.iterations == ref.mle_retvals["iterations"]
    np.testing.assert_allclose(ours.llf, ref.llf, rtol=1e-12)


def test_run_ordered_keeps_order_reraises_and_restores_blas_threads():
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert blocks.run_ordered(lambda i: i * i, range(10), workers=3) == [i * i for i in range(10)]
    assert blocks.run_ordered(lambda i: -i, [4], workers=8) == [-4]

    def fail_on_five(i):
        if i == 5:
            raise ZeroDivisionError("five")
        return i

    with pytest.raises(ZeroDivisionError, match="five"):
        blocks.run_ordered(fail_on_five, range(10), workers=2)
    with blocks.numpy_blas_limit(1):
        assert blocks.blas_thread_budget() == 1
    after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert after == before
