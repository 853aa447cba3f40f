"""Exceptions raised for a failing opgraph status.

Every error from the C++ library is an ``opgraph.Error`` and also an
instance of the built-in exception that fits its status code, so callers
can catch either::

    InvalidArgument     InvalidArgumentError(Error, ValueError)
    NotFound            NotFoundError(Error, KeyError)
    AlreadyExists       AlreadyExistsError(Error, ValueError)
    ResourceExhausted   ResourceExhaustedError(Error, MemoryError)
    FailedPrecondition  FailedPreconditionError(Error, RuntimeError)
    Unimplemented       UnimplementedError(Error, NotImplementedError)
    OutOfRange          OutOfRangeError(Error, IndexError)
    anything else       InternalError(Error, RuntimeError)

The message is the status message (``str(e)``); ``e.code`` is the status
code's name, e.g. ``"INVALID_ARGUMENT"``.
"""


class Error(Exception):
    """Base class of every error opgraph's C++ library reports."""

    code = "UNKNOWN"

    def __str__(self):
        # KeyError would show the message quoted; every opgraph error shows
        # it as written.
        return str(self.args[0]) if self.args else ""


class InvalidArgumentError(Error, ValueError):
    code = "INVALID_ARGUMENT"


class NotFoundError(Error, KeyError):
    code = "NOT_FOUND"


class AlreadyExistsError(Error, ValueError):
    code = "ALREADY_EXISTS"


class ResourceExhaustedError(Error, MemoryError):
    code = "RESOURCE_EXHAUSTED"


class FailedPreconditionError(Error, RuntimeError):
    code = "FAILED_PRECONDITION"


class UnimplementedError(Error, NotImplementedError):
    code = "UNIMPLEMENTED"


class OutOfRangeError(Error, IndexError):
    code = "OUT_OF_RANGE"


class InternalError(Error, RuntimeError):
    code = "INTERNAL"


# Status code name -> class; codes not listed raise InternalError.
BY_CODE = {
    "INVALID_ARGUMENT": InvalidArgumentError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": AlreadyExistsError,
    "RESOURCE_EXHAUSTED": ResourceExhaustedError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "UNIMPLEMENTED": UnimplementedError,
    "OUT_OF_RANGE": OutOfRangeError,
}
for _code in ("CANCELLED", "UNKNOWN", "DEADLINE_EXCEEDED", "PERMISSION_DENIED", "ABORTED",
              "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"):
    BY_CODE[_code] = InternalError
