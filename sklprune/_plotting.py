"""matplotlib's pyplot for the Display objects, imported only when they draw."""


def import_pyplot(caller):
    """Import ``matplotlib.pyplot``, or say how to install it.

    Parameters
    ----------
    caller : str
        What needs it (``"PruningCurveDisplay.plot"``), for the message.

    Returns
    -------
    pyplot : module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib: pip install matplotlib (or sklprune[plot])."
        ) from exc
    return plt
