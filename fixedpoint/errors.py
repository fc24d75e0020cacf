"""The one exception type for user errors: the CLI prints its message on one line and exits 2."""


class UsageError(ValueError):
    """Bad user input (path, option, config). The message names the field and what is allowed."""
