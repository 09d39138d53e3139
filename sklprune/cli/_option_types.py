"""The value types of the command's options: each turns an option's text into its
value, or raises an ``argparse.ArgumentTypeError`` that names what was expected."""

import argparse


def _number(text, convert, accept, expected):
    """``convert(text)`` if ``accept`` takes it; else an error: ``expected``, got."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not accept(value):
        raise argparse.ArgumentTypeError(f"{expected}; got {text!r}")
    return value


def fraction(text):
    return _number(
        text,
        float,
        lambda value: 0.0 <= value < 1.0,
        "must be a number in [0, 1), the fraction of weights set to zero "
        "(0.9 keeps 10%)",
    )


def sparsity_list(text):
    values = [fraction(part) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated numbers in [0, 1), e.g. 0,0.5,0.9; got {text!r}"
        )
    return tuple(sorted(set(values)))


def open_fraction(text):
    return _number(
        text,
        float,
        lambda value: 0.0 < value < 1.0,
        "must be a number between 0 and 1, e.g. 0.25",
    )


def positive_float(text):
    return _number(text, float, lambda value: value > 0, "must be a positive number")


def int_at_least(minimum):
    def parse(text):
        return _number(
            text,
            int,
            lambda value: value >= minimum,
            f"must be a whole number >= {minimum}",
        )

    return parse


def epochs_or_auto(text):
    """``"auto"`` (epochs that follow the sparsity) or a whole number >= 1."""
    return "auto" if text == "auto" else int_at_least(1)(text)


def layer_sizes(text):
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated positive widths, e.g. 256,128; got {text!r}"
        )
    return sizes


# ------------------------------------------------------------------ the parser
