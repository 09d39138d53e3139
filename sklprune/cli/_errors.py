"""The one error of the ``sklprune`` command: a mistake the user can fix."""


class UsageError(Exception):
    """A mistake in the command line or the data, reported as one line, exit 2.

    Its message names the problem and the fix; :func:`sklprune.cli.main` prints it
    on standard error after ``sklprune: error:`` and returns status 2.
    """
