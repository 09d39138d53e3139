"""How a report prints: the base of both reports, and their tables as text."""

from sklearn.utils import Bunch


class PrintedReport(Bunch):
    """A Bunch of DataFrames that prints as the text of :meth:`summary`."""

    def summary(self):
        """The report as text.

        Returns
        -------
        text : str
        """
        raise NotImplementedError

    def __str__(self):
        return self.summary()

    def __repr__(self):
        return self.summary()


def title_line(n_rows, n_models):
    """The first line of a summary: what was compared, on how many rows.

    Parameters
    ----------
    n_rows : int
        Rows scored.
    n_models : dict
        Side name -> number of models.

    Returns
    -------
    line : str
    """
    line = f"Did pruning hurt? reference vs pruned on {n_rows} rows"
    if n_models != {"reference": 1, "pruned": 1}:
        line += (
            f" ({n_models['reference']} reference and {n_models['pruned']} pruned "
            "models; mean, std and Welch's t-test over models)"
        )
    return line


def frame_text(frame):
    """A frame as text, with short column names and four decimals.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    text : str
    """
    short = {
        column: column.replace("_reference", " ref")
        .replace("_pruned", " pruned")
        .replace("_", " ")
        for column in frame.columns
    }
    return frame.rename(columns=short).to_string(
        float_format=lambda v: f"{v:.4f}", na_rep="n/a"
    )
