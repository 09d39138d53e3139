"""Ctrl-C stops the ``sklprune`` command, even while skorch is training.

skorch ends training quietly on Ctrl-C and returns the network as it is; the
command would then measure and save a half-trained model as if nothing happened.
:func:`stop_on_interrupt` records the interrupt, and :func:`check_interrupt`,
called after every training call, raises it again.
"""

import contextlib
import signal

_interrupts = []


@contextlib.contextmanager
def stop_on_interrupt():
    """Make Ctrl-C stop the command, with :func:`check_interrupt` after training."""

    def handler(signum, frame):
        _interrupts.append(signum)
        raise KeyboardInterrupt

    _interrupts.clear()
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Python's own handling stays
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    check_interrupt()


def check_interrupt():
    """Raise KeyboardInterrupt if Ctrl-C was pressed while skorch was training."""
    if _interrupts:
        _interrupts.clear()
        raise KeyboardInterrupt
