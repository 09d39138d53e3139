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


def panel_axes(ax, *, caller, panels, figsize):
    """The Axes a display draws into: those given, or a new row of them.

    Parameters
    ----------
    ax : sequence of matplotlib Axes or None
        The panels given by the caller; ``None`` creates a figure.
    caller : str
        What draws (``"RobustnessDisplay.plot"``), for the messages.
    panels : sequence of str
        What each panel shows, in order, for the message when ``ax`` holds
        another number of Axes.
    figsize : tuple of float
        Size of a new figure, in inches.

    Returns
    -------
    axes : ndarray of matplotlib Axes, one per panel

    Raises
    ------
    ValueError
        When ``ax`` holds another number of Axes than ``panels``.
    """
    import numpy as np

    if ax is None:
        plt = import_pyplot(caller)
        _, ax = plt.subplots(1, len(panels), figsize=figsize, layout="constrained")
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.size != len(panels):
        raise ValueError(
            f"ax must hold {len(panels)} Axes ({', '.join(panels)}); got {axes.size}."
        )
    return axes
