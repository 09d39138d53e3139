"""Sparsity schedules: how the target sparsity grows over the training epochs.

A schedule maps an epoch (1-based, as in ``net.history``) to the sparsity that must
hold after that epoch ends. Pruning steps happen at the end of epochs
``start_epoch, start_epoch + frequency, ...`` and always at ``end_epoch``; between
steps the sparsity holds. Any function ``epoch -> sparsity`` works as a schedule too.
"""

from .masks import check_sparsity


class Schedule:
    """Base class of the built-in schedules.

    Subclasses implement :meth:`progress`, the fraction of the final sparsity
    reached after step ``k`` of ``n``.

    Parameters
    ----------
    sparsity : float
        Final sparsity, in [0, 1).
    start_epoch : int
        First epoch that ends with a pruning step.
    end_epoch : int
        Epoch after which the final sparsity holds.
    frequency : int, default=1
        Epochs between pruning steps.

    Examples
    --------
    A schedule of your own: halve the remaining density at every step.

    >>> from sklprune.schedules import Schedule
    >>> class Halving(Schedule):
    ...     def progress(self, step, n_steps):
    ...         return (1 - 0.5**step) / (1 - 0.5**n_steps)
    >>> schedule = Halving(0.9, start_epoch=1, end_epoch=3)
    >>> [round(schedule(epoch), 3) for epoch in range(4)]
    [0.0, 0.514, 0.771, 0.9]
    """

    def __init__(self, sparsity, start_epoch, end_epoch, frequency=1):
        self.sparsity = sparsity
        self.start_epoch = start_epoch
        self.end_epoch = end_epoch
        self.frequency = frequency

    def step_epochs(self):
        """The epochs that end with a pruning step.

        Examples
        --------
        >>> from sklprune.schedules import PolynomialSchedule
        >>> schedule = PolynomialSchedule(0.9, start_epoch=2, end_epoch=9, frequency=3)
        >>> schedule.step_epochs()
        [2, 5, 8, 9]
        """
        epochs = list(range(self.start_epoch, self.end_epoch + 1, self.frequency))
        if epochs[-1] != self.end_epoch:
            epochs.append(self.end_epoch)
        return epochs

    def __call__(self, epoch):
        """Sparsity that holds after ``epoch`` ends."""
        steps = self.step_epochs()
        done = sum(1 for e in steps if e <= epoch)
        if done == 0:
            return 0.0
        return self.sparsity * self.progress(done, len(steps))

    def progress(self, step, n_steps):
        """Fraction of the final sparsity reached after ``step`` of ``n_steps``."""
        raise NotImplementedError

    def __repr__(self):
        return (
            f"{type(self).__name__}(sparsity={self.sparsity}, "
            f"start_epoch={self.start_epoch}, end_epoch={self.end_epoch}, "
            f"frequency={self.frequency})"
        )


class OneShotSchedule(Schedule):
    """Reach the final sparsity in one step, at the end of ``start_epoch``.

    Examples
    --------
    >>> from sklprune.schedules import OneShotSchedule
    >>> s = OneShotSchedule(0.8, start_epoch=3, end_epoch=3)
    >>> [s(e) for e in (2, 3, 10)]
    [0.0, 0.8, 0.8]
    """

    def step_epochs(self):
        return [self.start_epoch]

    def progress(self, step, n_steps):
        return 1.0


class IterativeSchedule(Schedule):
    """Equal sparsity increments at every step between start and end.

    Examples
    --------
    >>> from sklprune.schedules import IterativeSchedule
    >>> s = IterativeSchedule(0.8, start_epoch=1, end_epoch=4)
    >>> [round(s(e), 2) for e in range(1, 6)]
    [0.2, 0.4, 0.6, 0.8, 0.8]
    """

    def progress(self, step, n_steps):
        return step / n_steps


class PolynomialSchedule(Schedule):
    """Gradual pruning of Zhu & Gupta (2017): fast at first, slow near the end.

    After step ``k`` of ``n`` the sparsity is
    :math:`s_f \\left(1 - (1 - k/n)^3\\right)`: most weights go early, while the
    network still has the capacity to recover, and the last steps are small.

    Parameters
    ----------
    sparsity, start_epoch, end_epoch, frequency
        See :class:`Schedule`.
    power : float, default=3
        Exponent of the polynomial; 1 gives :class:`IterativeSchedule`.

    Examples
    --------
    >>> from sklprune.schedules import PolynomialSchedule
    >>> s = PolynomialSchedule(0.9, start_epoch=1, end_epoch=4)
    >>> [round(s(e), 4) for e in range(1, 5)]
    [0.5203, 0.7875, 0.8859, 0.9]
    """

    def __init__(self, sparsity, start_epoch, end_epoch, frequency=1, power=3):
        super().__init__(sparsity, start_epoch, end_epoch, frequency)
        self.power = power

    def progress(self, step, n_steps):
        return 1.0 - (1.0 - step / n_steps) ** self.power


SCHEDULES = {
    "one_shot": OneShotSchedule,
    "iterative": IterativeSchedule,
    "polynomial": PolynomialSchedule,
}


class FunctionSchedule:
    """Adapt a function ``epoch -> sparsity``; its values are checked as they come.

    Examples
    --------
    >>> from sklprune.schedules import FunctionSchedule
    >>> def warmup(epoch):
    ...     return min(0.1 * epoch, 0.5)
    >>> FunctionSchedule(warmup)(3)
    0.3...
    """

    def __init__(self, func):
        self.func = func

    def __call__(self, epoch):
        value = self.func(epoch)
        check_sparsity(value, name=f"The schedule's sparsity at epoch {epoch}")
        return float(value)

    def __repr__(self):
        return f"FunctionSchedule({getattr(self.func, '__name__', self.func)!r})"


def get_schedule(schedule, sparsity, start_epoch, end_epoch, frequency=1):
    """Resolve a schedule given by name, class or function.

    Parameters
    ----------
    schedule : str, Schedule subclass or callable
        A name from ``SCHEDULES``, a :class:`Schedule` subclass (built with the
        other arguments), or a function ``epoch -> sparsity`` used as it is.
    sparsity : float
        Final sparsity.
    start_epoch, end_epoch, frequency : int
        The pruning window and the epochs between steps.

    Returns
    -------
    schedule : callable
        ``epoch -> sparsity``.

    Examples
    --------
    >>> from sklprune.schedules import get_schedule
    >>> get_schedule("iterative", 0.5, 1, 2)(1)
    0.25
    >>> get_schedule("cosine", 0.5, 1, 2)
    Traceback (most recent call last):
    ...
    ValueError: Unknown schedule 'cosine'. Valid names: 'one_shot', 'iterative', ...
    """
    if isinstance(schedule, str):
        if schedule not in SCHEDULES:
            valid = ", ".join(repr(n) for n in SCHEDULES)
            raise ValueError(
                f"Unknown schedule {schedule!r}. Valid names: {valid}; or pass a "
                "function epoch -> sparsity."
            )
        schedule = SCHEDULES[schedule]
    if isinstance(schedule, type) and issubclass(schedule, Schedule):
        return schedule(sparsity, start_epoch, end_epoch, frequency)
    if isinstance(schedule, Schedule):
        return schedule
    if callable(schedule):
        return FunctionSchedule(schedule)
    raise TypeError(
        "schedule must be a name, a Schedule subclass or a function epoch -> "
        f"sparsity; got {schedule!r}."
    )
