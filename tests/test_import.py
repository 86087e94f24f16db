"""``import bayeslogit`` stays light."""

import subprocess
import sys


def test_import_does_not_load_heavy_dependencies():
    code = ("import sys, bayeslogit; heavy = [m for m in ('pymc', 'arviz', 'matplotlib', "
            "'nutpie', 'pytensor', 'statsmodels', 'sklearn') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_every_error_class_is_exported_at_the_top_level():
    import bayeslogit as bl
    from bayeslogit import errors

    for name in errors.__all__:
        assert getattr(bl, name) is getattr(errors, name), name
        assert name in bl.__all__, name



def test_first_importance_fit_imports_only_what_it_needs():
    # an accepted importance-sampling fit needs neither the Gibbs engine nor a DataTree
    # (whose construction makes xarray import dask, where installed, to probe for it)
    code = """
import sys
import numpy as np
import bayeslogit as bl
rng = np.random.default_rng(3)
X = np.column_stack([np.ones(200), rng.normal(size=200)])
y = (rng.random(200) < 1 / (1 + np.exp(-(0.3 + 0.8 * X[:, 1])))).astype(float)
post = bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(random_seed=1, progressbar=False)
print(post.options.sampler, [m for m in ('bayeslogit.engines.gibbs', 'dask') if m in sys.modules])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "is []"


def test_posterior_tree_is_built_once_on_first_use(monkeypatch):
    import numpy as np

    import bayeslogit as bl
    from bayeslogit.results import datatree

    built = []
    real = datatree.posterior_tree

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(datatree, "posterior_tree", counting)
    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(150), rng.normal(size=150)])
    y = (rng.random(150) < 0.4).astype(float)
    post = bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(sampler="is", draws=200, chains=2,
                                                           random_seed=2, progressbar=False)
    assert built == []
    assert post.params.shape == (2,)  # numpy summaries need no tree
    assert built == []
    tree = post.to_arviz(log_likelihood=False, predictive=False)
    assert built == [1]
    np.testing.assert_array_equal(tree["posterior"]["beta"].values, post.draws)
    post.summary()
    post.to_arviz()
    assert built == [1]
