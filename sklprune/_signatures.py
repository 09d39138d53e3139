"""Constructors that take their parameters from another estimator's.

:class:`~sklprune.PrunedRegressor` takes the parameters of the shared core, and
the CV estimators those of the estimator they refit, so the lists cannot drift
apart. scikit-learn's ``get_params``, ``clone`` and the documentation read the
parameters from the signature of ``__init__``: :func:`set_parameters` writes it.
"""

import inspect


def keyword_parameters(source, defaults=None, exclude=()):
    """The constructor parameters of ``source``, keyword-only.

    Parameters
    ----------
    source : type
        The estimator class whose ``__init__`` lists the parameters.
    defaults : dict or None, default=None
        The default of every parameter; ``None`` keeps those of ``source``.
    exclude : collection of str, default=()
        Parameters left out.

    Returns
    -------
    parameters : list of inspect.Parameter

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklprune._signatures import keyword_parameters
    >>> [str(p) for p in keyword_parameters(Ridge, exclude={"solver"})][:2]
    ['alpha=1.0', 'fit_intercept=True']
    """
    parameters = []
    for name, parameter in inspect.signature(source).parameters.items():
        if name in exclude:
            continue
        default = parameter.default if defaults is None else defaults[name]
        parameters.append(
            parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, default=default)
        )
    return parameters


def set_parameters(cls, parameters):
    """Make ``cls.__init__`` show ``parameters`` in place of its ``**kwargs``.

    Its own parameters stay first; ``cls`` must define its own ``__init__``.
    """
    signature = inspect.signature(cls.__init__)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    cls.__init__.__signature__ = signature.replace(parameters=[*own, *parameters])


def bind_parameters(owner, given, parameters):
    """The value of every parameter: the one given, or its default.

    Parameters
    ----------
    owner : str
        The class name, for the error.
    given : dict
        The keyword arguments passed to ``__init__``.
    parameters : list of inspect.Parameter

    Returns
    -------
    values : dict

    Raises
    ------
    TypeError
        For a keyword that is not a parameter, worded as Python words it.
    """
    names = {parameter.name for parameter in parameters}
    unknown = [name for name in given if name not in names]
    if unknown:
        raise TypeError(
            f"{owner}.__init__() got an unexpected keyword argument {unknown[0]!r}"
        )
    return {p.name: given.get(p.name, p.default) for p in parameters}
