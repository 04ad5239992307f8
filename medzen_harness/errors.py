"""One error type for everything the user can fix: the CLI prints it as one line and exits 2."""


class HarnessError(Exception):
    """A usage, input or prerequisite error. The message says what is wrong and how to fix it."""

    exit_code = 2
