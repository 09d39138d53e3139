"""What the ``sklprune`` command leaves out of a table, and what it fills in.

A column that identifies rows (an index written by pandas, a customer number)
tells a model nothing about a new row: it is dropped, with a note, unless
``--keep`` names it. Missing values are imputed by the pipeline (the median of a
numeric column, a category of their own for the others); :func:`imputation_notes`
says how many, where, and with what.
"""

import re

import numpy as np
import pandas as pd

MISSING_CATEGORY = "(missing)"
# Below this many rows, values that happen to be unique say nothing.
MIN_IDENTIFIER_ROWS = 20
# "Unnamed: 0" (pandas' index), "index", "id", "row", "row_id", "customer_id", ...
_INDEX_NAME = re.compile(
    r"unnamed: \d+|index|idx|id|row|row[ _]?(id|number|no)|.+[ _]id", re.IGNORECASE
)
_CAMEL_ID = re.compile(r".*[a-z]Id")  # "PassengerId"


def identifier_reason(column, values):
    """Why ``values`` identify rows rather than describe them; None if they do not.

    A column is an identifier when its values are unique per row (none missing)
    and it is named like an index, or holds consecutive integers, or codes without
    spaces (the latter two from :data:`MIN_IDENTIFIER_ROWS` rows on).

    Parameters
    ----------
    column : str
        The column's name.
    values : pandas.Series
        Its values.

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> import pandas as pd
    >>> from sklprune.cli._columns import identifier_reason
    >>> identifier_reason("Unnamed: 0", pd.Series([0, 1, 2]))
    'unique per row, named like an index'
    >>> identifier_reason("ticket", pd.Series(range(500, 530)))
    'unique per row, consecutive integers'
    >>> identifier_reason("age", pd.Series([30, 41, 41]))
    """
    n_rows = len(values)
    if values.isna().any() or values.nunique() != n_rows:
        return None
    name = str(column).strip()
    if _INDEX_NAME.fullmatch(name) or _CAMEL_ID.fullmatch(name):
        return "unique per row, named like an index"
    if n_rows < MIN_IDENTIFIER_ROWS:
        return None
    if pd.api.types.is_integer_dtype(values):
        if int(values.max()) - int(values.min()) == n_rows - 1:
            return "unique per row, consecutive integers"
        return None
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    text = values.astype(str)
    if not text.str.contains(r"\s").any():
        return "unique per row, codes without spaces"
    return None


def imputation_notes(table):
    """One note per column with missing values: how many, where, and what fills them.

    Numeric columns get the median of their training rows (of each fold's, when
    the points are cross-validated: no test rows), the others a category of their
    own, ``"(missing)"``.

    Parameters
    ----------
    table : Table
        The training (and test) rows, split as they will be trained on.

    Returns
    -------
    notes : list of str
    """
    notes = []
    for column in [*table.numeric, *table.categorical]:
        counts = _missing_counts(table, column)
        total = sum(counts.values())
        if not total:
            continue
        where = ", ".join(f"{n} in {part} rows" for part, n in counts.items())
        what = "numeric column" if column in table.numeric else "column"
        note = f"imputed {total} missing value{'s' if total > 1 else ''} of {what} "
        note += f"{column!r}" + (f" ({where})" if table.X_test is not None else "")
        notes.append(f"{note} {_filled_with(table, column)}")
    return notes


def _missing_counts(table, column):
    parts = {"training": table.X_train, "test": table.X_test}
    return {
        part: int(X[column].isna().sum()) for part, X in parts.items() if X is not None
    }


def _filled_with(table, column):
    """What the pipeline writes into the gaps of ``column``, in words."""
    if column not in table.numeric:
        return f"as a category of their own, {MISSING_CATEGORY!r}"
    median = table.X_train[column].median()
    if np.isnan(median):
        return "(no value in the training rows: the column is left out)"
    if table.X_test is None:
        return (
            f"with its median in each fold's training rows ({median:.6g} over all rows)"
        )
    return f"with its median in the training rows, {median:.6g}"
