"""Test R² of PrunedRegressor, dense and at 90 % and 97 % sparsity, against peers.

Two regression tables of different shapes: ``make_friedman1`` (20,000 rows, 10
numeric columns of which 5 matter, noise 1.0), and a synthetic table built like
the public diamonds table (50,000 rows; carat, depth, table and three
dimensions, and three categorical columns, cut, colour and clarity; a
log-price target), one-hot encoded and standardised on the training part. No
public table with categorical columns installs with this environment, and its
fetchers need the network, so the second table is generated here
(:func:`make_diamonds`).

For every table and seed (3 seeds, a 75/25 split of their own), on the same
split: ``PrunedRegressor`` with its defaults at sparsity 0, 0.9 and 0.97;
scikit-learn's ``MLPRegressor`` with the same 256-128 network, 40 epochs (the
dense fit's budget) and standardised targets (``TransformedTargetRegressor``,
as ``PrunedRegressor`` standardises inside); and
``HistGradientBoostingRegressor`` with its defaults. One thread for every
model. CPU time of each fit, and the size of the fitted model as a pickle.

Writes the section "## PrunedRegressor: R² dense against 90 % and 97 % sparsity"
of ``benchmarks/RESULTS.md``, with its aims computed from its table. ``--quick``
runs a small smoke version (2,000 rows, 2 seeds, a few epochs) and writes no file.

Usage: python benchmarks/bench_regression.py [--quick] [--results PATH]
"""

import pickle
import platform
import time
import warnings

import numpy as np
import pandas as pd
import torch
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from sklprune import PrunedRegressor

HEADING = "## PrunedRegressor: R² dense against 90 % and 97 % sparsity"
SEEDS = (0, 1, 2)
SPARSITIES = (0.9, 0.97)
MLP_EPOCHS = 40  # PrunedRegressor's dense budget, max_epochs="auto" at sparsity 0
AIM_90_DENSE, AIM_90_MLP, AIM_97_DENSE = 0.005, 0.005, 0.01
HEADER = ["model", "test R²", "vs dense", "sparsity", "fit CPU s", "pickle bytes"]

CUTS = ("Fair", "Good", "Very Good", "Premium", "Ideal")
COLOURS = ("D", "E", "F", "G", "H", "I", "J")
CLARITIES = ("I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF")


def make_diamonds(n_samples, random_state):
    """A table built like the public diamonds table, with a log-price target.

    Carat is log-normal; cut, colour and clarity are drawn with the shares of the
    public table, and larger stones are more often of a lower colour and
    clarity; depth and table depend on the cut, the three dimensions on carat
    and depth. The log of the price grows with the log of carat (less steeply
    for large stones), gains with every better grade (more so for large stones),
    and has Gaussian noise of 0.12.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, 9)
    y : ndarray of shape (n_samples,)
    """
    rng = np.random.default_rng(random_state)
    carat = np.clip(rng.lognormal(np.log(0.7), 0.55, n_samples), 0.2, 5.0)
    size = (np.log(carat) - np.log(0.7)) / 0.55  # standardised log carat
    cut = rng.choice(5, n_samples, p=[0.03, 0.09, 0.22, 0.26, 0.40])
    colour = _grade(rng, 7, size, [0.13, 0.18, 0.18, 0.21, 0.15, 0.10, 0.05], 0.4)
    clarity = _grade(
        rng, 8, -size, [0.01, 0.17, 0.24, 0.23, 0.15, 0.09, 0.07, 0.03], 0.4
    )
    depth = rng.normal(61.7 + 0.5 * (cut == 0) - 0.2 * (cut == 4), 1.2)
    table = rng.normal(57.5 - 1.5 * (cut == 4) + 1.0 * (cut == 3), 2.0)
    x = 6.45 * carat ** (1 / 3) * rng.normal(1.0, 0.01, n_samples)
    log_carat = np.log(carat)
    grades = 0.03 * cut + 0.075 * (6 - colour) + 0.11 * clarity
    log_price = (
        8.35
        + 1.85 * log_carat
        - 0.25 * np.maximum(log_carat, 0.0) ** 2
        + grades * (1.0 + 0.25 * np.tanh(log_carat))
        - 0.02 * np.abs(depth - 61.8)
        + rng.normal(0.0, 0.12, n_samples)
    )
    X = pd.DataFrame(
        {
            "carat": carat.round(2),
            "cut": np.asarray(CUTS)[cut],
            "color": np.asarray(COLOURS)[colour],
            "clarity": np.asarray(CLARITIES)[clarity],
            "depth": depth.round(1),
            "table": table.round(0),
            "x": x.round(2),
            "y": (x * rng.normal(1.0, 0.01, n_samples)).round(2),
            "z": (x * depth / 100 * rng.normal(1.0, 0.01, n_samples)).round(2),
        }
    )
    return X, log_price


def _grade(rng, n_levels, shift, shares, strength):
    """A grade 0..n_levels-1 with the given shares, shifted up by ``shift``."""
    thresholds = np.quantile(rng.normal(size=100_000), np.cumsum(shares)[:-1])
    latent = rng.normal(size=len(shift)) + strength * shift
    return np.searchsorted(thresholds, latent)


def load_table(name, seed, quick):
    """(X_train, X_test, y_train, y_test) of one table, split and encoded for a seed."""
    n_samples = {"friedman1": 20_000, "diamonds": 50_000}[name]
    if quick:
        n_samples = 2_000
    if name == "friedman1":
        X, y = make_friedman1(n_samples=n_samples, noise=1.0, random_state=0)
        encoder = StandardScaler()
    else:
        X, y = make_diamonds(n_samples, random_state=0)
        categorical = ["cut", "color", "clarity"]
        numeric = [c for c in X.columns if c not in categorical]
        encoder = ColumnTransformer(
            [
                ("numeric", StandardScaler(), numeric),
                ("categorical", OneHotEncoder(sparse_output=False), categorical),
            ]
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed
    )
    encoder.fit(X_train)
    return encoder.transform(X_train), encoder.transform(X_test), y_train, y_test


def models(seed, quick):
    """The models compared on every split: ``{name: (estimator, sparsity)}``."""
    budget = {"max_epochs": 4, "finetune_epochs": 1} if quick else {}
    mlp = MLPRegressor(
        hidden_layer_sizes=(256, 128),
        max_iter=4 if quick else MLP_EPOCHS,
        random_state=seed,
    )
    result = {
        "PrunedRegressor, dense": (
            PrunedRegressor(sparsity=0.0, random_state=seed, **budget),
            0.0,
        )
    }
    for sparsity in SPARSITIES:
        result[f"PrunedRegressor, {sparsity:.0%}"] = (
            PrunedRegressor(sparsity=sparsity, random_state=seed, **budget),
            sparsity,
        )
    result["MLPRegressor"] = (
        TransformedTargetRegressor(mlp, transformer=StandardScaler()),
        0.0,
    )
    result["HistGradientBoostingRegressor"] = (
        HistGradientBoostingRegressor(max_iter=20 if quick else 100, random_state=seed),
        None,
    )
    return result


def measure(quick):
    """One row per (table, model, seed): test R², sparsity, CPU s, pickle bytes."""
    seeds = SEEDS[:2] if quick else SEEDS
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for table in ("friedman1", "diamonds"):
            for seed in seeds:
                X_train, X_test, y_train, y_test = load_table(table, seed, quick)
                for name, (model, _) in models(seed, quick).items():
                    start = time.process_time()
                    model.fit(X_train, y_train)
                    cpu = time.process_time() - start
                    rows.append(
                        {
                            "table": table,
                            "shape": X_train.shape,
                            "model": name,
                            "seed": seed,
                            "r2": r2_score(y_test, model.predict(X_test)),
                            "sparsity": getattr(model, "sparsity_", None),
                            "cpu_s": cpu,
                            "bytes": len(pickle.dumps(model)),
                        }
                    )
                    print(f"{table} seed {seed} {name}: R² {rows[-1]['r2']:.4f}")
    return pd.DataFrame(rows)


def summarise(runs):
    """One row per (table, model): R² mean and std over seeds, medians of the rest."""
    grouped = runs.groupby(["table", "model"], sort=False)
    summary = grouped.agg(
        r2=("r2", "mean"),
        r2_std=("r2", "std"),
        sparsity=("sparsity", "mean"),
        cpu_s=("cpu_s", "median"),
        bytes=("bytes", "median"),
    ).reset_index()
    dense = summary[summary["model"] == "PrunedRegressor, dense"].set_index("table")
    summary["vs_dense"] = summary["r2"] - summary["table"].map(dense["r2"])
    return summary


def aims(summary):
    """The computed aims of the issue, one comparison per table."""
    r2 = summary.set_index(["table", "model"])["r2"]
    tables = list(dict.fromkeys(summary["table"]))

    def gap(table, model, reference, bound):
        value = r2[table, model] - r2[table, reference]
        return check(value, ">=", -bound, label=f"{table}:", fmt="{:+.4f}")

    dense, p90, p97 = (
        "PrunedRegressor, dense",
        "PrunedRegressor, 90%",
        "PrunedRegressor, 97%",
    )
    return [
        aim(
            f"at 90 % sparsity, test R² within {AIM_90_DENSE:g} of the dense fit on "
            "every table",
            [gap(t, p90, dense, AIM_90_DENSE) for t in tables],
        ),
        aim(
            f"at 90 % sparsity, test R² not below MLPRegressor's by more than "
            f"{AIM_90_MLP:g} on every table",
            [gap(t, p90, "MLPRegressor", AIM_90_MLP) for t in tables],
        ),
        aim(
            f"at 97 % sparsity, test R² within {AIM_97_DENSE:g} of the dense fit on "
            "every table",
            [gap(t, p97, dense, AIM_97_DENSE) for t in tables],
        ),
    ]


def report(runs, quick):
    """The section's body: the setup, one table per data table, the aims."""
    summary = summarise(runs)
    n_seeds = runs["seed"].nunique()
    budget = (
        "4 epochs (quick run)" if quick else 'its default budget (`max_epochs="auto"`)'
    )
    lines = [
        f"torch {torch.__version__}, {platform.machine()}, 1 thread for every model, "
        "shared machine. `PrunedRegressor` with its defaults (MLP 256-128, Adam lr "
        f"1e-3, batch 64, {budget}, standardised targets, strategy "
        '`"auto"`) at the sparsity named; `MLPRegressor` (256-128, '
        f"{4 if quick else MLP_EPOCHS} epochs, inside `TransformedTargetRegressor` "
        "with a `StandardScaler`); `HistGradientBoostingRegressor` with its "
        "defaults. Test R² mean ± std over "
        f"{n_seeds} seeds (a 75/25 split and the models' `random_state` per seed; "
        "every model on the same splits); CPU seconds of the fit and bytes of the "
        "pickled model, medians over the seeds. `friedman1`: `make_friedman1` "
        "(noise 1.0), standardised. `diamonds`: a synthetic table built like the "
        "public diamonds table (`make_diamonds` in the script: 6 numeric and 3 "
        "categorical columns, a log-price target), numeric columns standardised "
        "and categories one-hot encoded.",
    ]
    for table, rows in summary.groupby("table", sort=False):
        n_train, n_features = runs.loc[runs["table"] == table, "shape"].iloc[0]
        cells = [
            [
                r.model,
                f"{r.r2:.4f} ± {r.r2_std:.4f}",
                f"{r.vs_dense:+.4f}",
                "" if pd.isna(r.sparsity) else f"{r.sparsity:.3f}",
                f"{r.cpu_s:.1f}",
                f"{r.bytes:,.0f}",
            ]
            for r in rows.itertuples()
        ]
        lines += [
            "",
            f"**{table}** ({n_train:,} training rows, {n_features} network inputs)",
            "",
            markdown_table(HEADER, cells, "lrrrrr"),
        ]
    lines += ["", "Aims:", "", *aims(summary)]
    return "\n".join(lines)


def main(argv=None):
    """Fit every model on every table and seed, and publish the section."""
    args = BenchmarkParser(__file__, __doc__).parse_args(argv)
    runs = measure(args.quick)
    publish(args, HEADING, report(runs, args.quick))


if __name__ == "__main__":
    main()
