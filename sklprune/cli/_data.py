"""The data side of the ``sklprune`` command: read, check and encode a table.

Everything a user can get wrong about their data is found here, before any training,
and raised as a :class:`UsageError` whose message names the problem and the fix.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.multiclass import type_of_target

from .._defaults import MAX_AUTO_CLASSES
from ..datasets import list_datasets, load_rotten_tomatoes, load_tabular
from ._columns import MISSING_CATEGORY, identifier_reason
from ._errors import UsageError
from ._parser import DEFAULT_DATASET

# A non-numeric column with at least this many distinct values, more than half the
# rows, is an identifier or free text: one-hot encoding it learns nothing.
_MIN_DISTINCT_UNENCODABLE = 20
# Categories beyond this many (the rarest) share one "infrequent" input.
MAX_CATEGORIES = 100


@dataclass
class Table:
    """Training (and test) data, checked and ready for a pipeline."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame | None
    y_test: np.ndarray | None
    source: str
    target: str
    numeric: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    text: str | None = None
    notes: list = field(default_factory=list)
    held_out: bool = False
    task: str = "classification"

    @property
    def classes(self):
        """The class labels of a classification target."""
        return np.unique(self.y_train)

    @property
    def split(self):
        """How a test split is held out: stratified by class, or at random."""
        return "random" if self.task == "regression" else "stratified"

    @property
    def feature_columns(self):
        return [*self.numeric, *self.categorical, *([self.text] if self.text else [])]


def load_table(source):
    """Read the CSV files of ``source``, or a bundled data set, into a Table.

    ``source`` is the :class:`~sklprune.cli._settings.DataSource` of the run.
    """
    if source.train is None:
        for option, value in (
            ("--test", source.test),
            ("--target", source.target),
            ("--text-column", source.text_column),
        ):
            if value is not None:
                raise UsageError(
                    f"{option} needs --train: pass --train FILE.csv, or leave out "
                    f"{option} to use a bundled data set (--dataset)"
                )
        frame, target, text, name = _bundled(source.dataset or DEFAULT_DATASET)
        test = None
        train_name = name
    else:
        if source.dataset is not None:
            raise UsageError(
                "--dataset and --train cannot be used together: pass one of them"
            )
        frame = read_csv(source.train, "--train", source.sep)
        if source.target is None:
            raise UsageError(
                "--target is required with --train: name the column to predict "
                f"(columns of {source.train}: {_names(frame.columns)})"
            )
        target, text = source.target, source.text_column
        test = (
            None if source.test is None else read_csv(source.test, "--test", source.sep)
        )
        name = train_name = source.train
    table = _check_columns(frame, target, text, source, train_name)
    table.source = name
    if test is not None:
        _attach_test(table, test, source.test)
    return table


def read_csv(path, option, sep):
    """Read a CSV file, turning every failure into one line that says what to do."""
    file = Path(path)
    if not file.exists():
        raise UsageError(f"{option} {path}: no such file; check the path")
    if file.is_dir():
        raise UsageError(f"{option} {path} is a directory; pass a CSV file")
    try:
        frame = pd.read_csv(file, sep=sep, low_memory=False)
    except pd.errors.EmptyDataError:
        raise UsageError(
            f"{option} {path} is empty; pass a CSV file with a header row and data"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        reason = _first_line(exc)
        raise UsageError(
            f"cannot read {option} {path} as CSV ({reason}); pass a text file with "
            f"a header row and {sep!r}-separated columns, or set --sep"
        ) from None
    if len(frame) == 0:
        raise UsageError(f"{option} {path} has a header but no rows; add data rows")
    return frame


def build_preprocessor(table, max_features):
    """A ColumnTransformer for the table's numeric, categorical and text columns."""
    transformers = []
    if table.numeric:
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        transformers.append(("numeric", numeric, table.numeric))
    if table.categorical:
        categorical = make_pipeline(
            SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY),
            OneHotEncoder(
                handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES
            ),
        )
        transformers.append(("categorical", categorical, table.categorical))
    if table.text:
        text = TfidfVectorizer(sublinear_tf=True, max_features=max_features)
        transformers.append(("text", text, table.text))
    return ColumnTransformer(transformers)


def hold_out(table, test_size, random_state):
    """Split a test set off the training data, in place: stratified by class for
    a classification target, at random for a regression one."""
    stratify = None
    if table.task == "classification":
        counts = pd.Series(table.y_train).value_counts()
        if counts.min() < 2:
            raise UsageError(
                f"class {label_text(counts.idxmin())} of target {table.target!r} "
                "has only one row, too few for a stratified hold-out test split; "
                "pass a test file with --test, or remove that class (or pass --task "
                "regression if the target holds numbers to regress)"
            )
        stratify = table.y_train
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            table.X_train,
            table.y_train,
            test_size=test_size,
            stratify=stratify,
            random_state=random_state,
        )
    except ValueError as exc:
        raise UsageError(
            f"cannot hold out a {table.split} test split of {test_size:g} "
            f"({_first_line(exc)}); raise --test-size, or pass a test file with --test"
        ) from None
    table.X_train, table.X_test = X_train, X_test
    table.y_train, table.y_test = y_train, y_test
    table.held_out = True


def table_summary(table):
    """Lines that say where the data came from, how it is encoded, how many rows."""
    kinds = []
    if table.numeric:
        kinds.append(f"{len(table.numeric)} numeric (standardised)")
    if table.categorical:
        kinds.append(f"{len(table.categorical)} categorical (one-hot)")
    if table.text:
        kinds.append(f"text {table.text!r} (TF-IDF)")
    lines = [
        f"data      {table.source}: target {table.target!r}, {_target_summary(table)}",
        f"features  {', '.join(kinds)}",
    ]
    if table.X_test is None:
        lines.append(f"rows      {len(table.X_train)}")
    else:
        lines.append(f"rows      {len(table.X_train)} train, {len(table.X_test)} test")
    return lines


def _target_summary(table):
    """The target in a few words: its classes, or the range of its values."""
    if table.task == "regression":
        y = table.y_train
        return (
            f"regression ({len(np.unique(y))} distinct values from {y.min():g} to "
            f"{y.max():g}, mean {y.mean():g})"
        )
    classes = table.classes
    shown = ", ".join(str(c) for c in classes[:6])
    more = f", ... ({len(classes) - 6} more)" if len(classes) > 6 else ""
    return f"{len(classes)} classes ({shown}{more})"


def decide_task(y, task):
    """The task of target values ``y``: ``task``, or for ``"auto"`` the rule of
    ``--task`` (regression for numbers with a fraction or with more than
    ``MAX_AUTO_CLASSES`` distinct whole numbers).

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune.cli._data import decide_task
    >>> decide_task(np.array([1.5, 2.0]), "auto")
    'regression'
    >>> decide_task(np.arange(10), "auto"), decide_task(np.arange(100), "auto")
    ('classification', 'regression')
    >>> decide_task(np.array(["a", "b"], dtype=object), "auto")
    'classification'
    """
    if task != "auto":
        return task
    if y.dtype.kind == "f":  # whole floats were made integers by _as_labels
        return "regression"
    if y.dtype.kind in "iu" and len(np.unique(y)) > MAX_AUTO_CLASSES:
        return "regression"
    return "classification"


# --------------------------------------------------------------------- private


def _bundled(name):
    if name not in list_datasets():
        raise UsageError(
            f"unknown data set {name!r}; choose one of: {', '.join(list_datasets())}"
        )
    if name == "rotten_tomatoes":
        bunch = load_rotten_tomatoes(as_frame=True)
        return bunch.frame, "category", "text", f"{name} (bundled)"
    bunch = load_tabular(name, as_frame=True)
    frame = bunch.frame.copy()
    labels = np.asarray(bunch.target_names, dtype=object)
    frame["target"] = labels[frame["target"].to_numpy()]
    return frame, "target", None, f"{name} (bundled)"


def label_text(value):
    """A class label as the file writes it: ``0`` or ``'yes'``, not ``np.int64(0)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_options(columns, target, text, source, name):
    """The columns that ``--text-column``, ``--drop`` and ``--keep`` name exist."""
    if target not in columns:
        raise UsageError(
            f"target column {target!r} is not in {name}; its columns are: "
            f"{_names(columns)} (pass one of them with --target)"
        )
    named = [("--text-column", [text] if text else []), ("--drop", source.drop)]
    for option, values in [*named, ("--keep", source.keep)]:
        unknown = [c for c in values if c not in columns]
        if unknown:
            raise UsageError(
                f"{option} {unknown[0]!r} is not a column of {name}; its columns "
                f"are: {_names(columns)} (pass one of them with {option})"
            )
    both = [c for c in source.keep if c in source.drop]
    if both:
        raise UsageError(
            f"--keep {both[0]!r} and --drop {both[0]!r} contradict each other; "
            "pass one of them"
        )
    if text == target:
        raise UsageError(
            f"--text-column {text!r} is the target column; name the text feature"
        )


def _check_columns(frame, target, text, source, name):
    columns = list(frame.columns)
    _check_options(columns, target, text, source, name)
    notes = []
    missing = frame[target].isna()
    if missing.all():
        raise UsageError(f"target column {target!r} of {name} is empty; fill it in")
    if missing.any():
        notes.append(f"dropped {int(missing.sum())} rows of {name} with no target")
        frame = frame.loc[~missing].reset_index(drop=True)
    task = decide_task(_as_labels(frame[target]), source.task)
    y = (
        _regression_targets(frame[target], target, name)
        if task == "regression"
        else _labels(frame[target], target, name)
    )
    table = Table(
        X_train=None,
        y_train=y,
        X_test=None,
        y_test=None,
        source=name,
        target=target,
        task=task,
    )
    table.notes = notes
    features = [c for c in columns if c not in (target, *source.drop)]
    for column in features:
        values = frame[column]
        reason = None if column in source.keep else identifier_reason(column, values)
        if column == text:
            table.text = column
            notes += _empty_text_notes(values, column, name)
        elif values.isna().all():
            notes.append(f"ignored column {column!r}: it is empty in {name}")
        elif reason:
            notes.append(
                f"dropped column {column!r}: an identifier ({reason}), which tells "
                f"nothing about a new row; pass --keep {column!r} to train on it"
            )
        elif pd.api.types.is_numeric_dtype(values):
            table.numeric.append(column)
        else:
            _check_encodable(values, column, name)
            table.categorical.append(column)
    if not table.feature_columns:
        raise UsageError(
            f"{name} has no feature columns besides the target {target!r}; add "
            "feature columns (or keep some that --drop removes)"
        )
    table.X_train = _clean(frame, table)
    return table


def _as_labels(series):
    """Labels as strings, or as integers when a missing value made them float."""
    y = series.to_numpy()
    if y.dtype == object:
        return series.astype(str).to_numpy(dtype=object)
    if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
        return y.astype(np.int64)
    return y


def _labels(series, target, name):
    y = _as_labels(series)
    kind = type_of_target(y)
    if kind == "continuous":
        raise UsageError(
            f"target column {target!r} of {name} holds continuous numbers "
            f"({len(np.unique(y))} distinct values), and --task classification "
            "trains a classifier; pass --task regression (or leave --task out) to "
            "regress them, or a column of class labels with --target"
        )
    classes = np.unique(y)
    if len(classes) < 2:
        raise UsageError(
            f"target column {target!r} of {name} has a single class "
            f"({label_text(classes[0])}); a classifier needs rows of at least two "
            "classes"
        )
    return y


def _regression_targets(series, target, name):
    """The values of a regression target as floats, each checked to be a number."""
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        raise UsageError(
            f"target column {target!r} of {name} holds {series[bad].iloc[0]!r}, "
            "not a number, and a regression target holds numbers; fix that value, "
            "or pass --task classification for class labels"
        )
    y = values.to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise UsageError(
            f"target column {target!r} of {name} holds an infinite value; a "
            "regression target holds finite numbers"
        )
    if len(np.unique(y)) < 2:
        raise UsageError(
            f"target column {target!r} of {name} holds a single value ({y[0]:g}); "
            "a regressor needs targets that vary"
        )
    return y


def _check_encodable(values, column, name):
    n_distinct = values.nunique(dropna=True)
    if n_distinct >= _MIN_DISTINCT_UNENCODABLE and n_distinct > 0.5 * len(values):
        raise UsageError(
            f"column {column!r} of {name} is not numeric and has {n_distinct} distinct "
            f"values in {len(values)} rows, too many to one-hot encode; name it with "
            f"--text-column if it is text, or leave it out with --drop {column!r}"
        )


def _empty_text_notes(values, column, name):
    """A note on the rows without text, read as empty text; none if there are none."""
    n_empty = int(values.isna().sum())
    if not n_empty:
        return []
    return [f"read {n_empty} rows of {name} without text in {column!r} as empty text"]


def _clean(frame, table):
    """The feature columns, with categories as strings and text never missing."""
    X = frame[table.feature_columns].copy()
    for column in table.categorical:
        X[column] = _as_categories(X[column])
    if table.text:
        X[table.text] = X[table.text].fillna("").astype(str)
    return X


def _as_categories(values):
    return values.astype(object).where(values.isna(), values.astype(str))


def _attach_test(table, frame, name):
    missing = [c for c in [table.target, *table.feature_columns] if c not in frame]
    if missing:
        raise UsageError(
            f"test file {name} lacks column{'s' if len(missing) > 1 else ''} "
            f"{_names(missing)} that the training data has; add "
            f"{'them' if len(missing) > 1 else 'it'}, or leave "
            f"{'them' if len(missing) > 1 else 'it'} out of training with --drop"
        )
    target = frame[table.target]
    if target.isna().any():
        table.notes.append(
            f"dropped {int(target.isna().sum())} rows of {name} with no target"
        )
        frame = frame.loc[target.notna()].reset_index(drop=True)
        if len(frame) == 0:
            raise UsageError(f"target column {table.target!r} of {name} is empty")
    if table.task == "regression":
        y = _regression_targets(frame[table.target], table.target, name)
    else:
        y = _test_labels(frame[table.target], table, name)
    for column in table.numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            raise UsageError(
                f"column {column!r} is numeric in the training data but holds "
                f"{frame[column][bad].iloc[0]!r} in {name}; fix or blank that value"
            )
        frame[column] = values
    if table.text:
        table.notes += _empty_text_notes(frame[table.text], table.text, name)
    table.X_test = _clean(frame, table)
    table.y_test = y


def _test_labels(series, table, name):
    """The labels of a test file, as the training labels are typed."""
    y = _as_labels(series)
    known = {str(c): c for c in table.classes}
    unseen = sorted({str(c) for c in y} - set(known))
    if unseen:
        raise UsageError(
            f"test file {name} has classes the training data lacks "
            f"({_names(unseen)}); add rows of them to the training data, or "
            "remove them from the test file"
        )
    return np.asarray([known[str(c)] for c in y], dtype=table.y_train.dtype)


def _names(values, limit=20):
    values = [str(v) for v in values]
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values) - limit} more)"
    return shown


def _first_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
