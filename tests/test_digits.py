"""The shared digits split: read from scikit-learn's own copy, stratified, disjoint, seeded."""

import numpy as np

from engine.data import digits


def test_reads_the_same_digits_as_scikit_learn():
    from sklearn.datasets import load_digits

    ref = load_digits()
    x, y = digits.raw()
    assert x.shape == (1797, 64)
    np.testing.assert_array_equal(x, ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_split_is_disjoint_complete_and_stratified():
    s = digits.split(seed=3)
    rows = np.concatenate([s.train, s.valid, s.test])
    assert len(rows) == 1797 and len(np.unique(rows)) == 1797
    assert abs(len(s.train) / 1797 - 0.6) < 0.01 and abs(len(s.test) / 1797 - 0.2) < 0.01
    whole = np.bincount(digits.labels(rows), minlength=10) / 1797
    for part in (s.train, s.valid, s.test):
        share = np.bincount(digits.labels(part), minlength=10) / len(part)
        assert np.max(np.abs(share - whole)) < 0.01


def test_split_depends_on_the_seed_only():
    a, b, c = digits.split(1), digits.split(1), digits.split(2)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)


def test_binarised_and_scaled():
    rows = np.arange(5)
    x, _ = digits.raw()
    np.testing.assert_array_equal(digits.binarised(rows), (x[:5] >= 8).astype(float))
    assert digits.scaled(rows).max() <= 1.0 and digits.scaled(rows).min() >= 0.0
    np.testing.assert_array_equal(digits.labels(digits.of_classes(np.arange(1797), [0, 1])) < 2, True)
