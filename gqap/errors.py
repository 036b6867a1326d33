"""User-facing errors: each carries a one-line message naming the problem."""


class GQAPError(Exception):
    """Base of every error the CLI reports as one line without a traceback."""


class ValidationError(GQAPError, ValueError):
    """An instance, solution or parameter violates the model's rules."""


class FormatError(GQAPError, ValueError):
    """A file is malformed, has the wrong format tag or an unsupported schema version."""


class InputError(GQAPError):
    """Input the user must fix, which the command line answers with exit status 2 (as a
    usage error) rather than 1: a family with ``FamilySpec.input_exit_status = 2`` (the
    online family, issue 25) raises its bad scenarios and logs as these."""

    exit_status = 2


class InvalidInput(ValidationError, InputError):
    """A ValidationError of bad input (exit status 2)."""


class MalformedInput(FormatError, InputError):
    """A FormatError of bad input (exit status 2)."""


def as_input_error(exc: GQAPError) -> GQAPError:
    """The same message as an ``InputError`` of the same kind (Validation or Format)."""
    if isinstance(exc, InputError):
        return exc
    kind = InvalidInput if isinstance(exc, ValidationError) else (
        MalformedInput if isinstance(exc, FormatError) else InputError)
    return kind(str(exc))
