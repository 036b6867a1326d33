"""User-facing errors: each carries a one-line message naming the problem."""


class GQAPError(Exception):
    """Base of every error the CLI reports as one line without a traceback."""


class ValidationError(GQAPError, ValueError):
    """An instance, solution or parameter violates the model's rules."""


class FormatError(GQAPError, ValueError):
    """A file is malformed, has the wrong format tag or an unsupported schema version."""
