"""The core's exceptions: bad input or an impossible request, and a stop on request."""


class InputError(ValueError):
    """Bad input or a request the math cannot answer (e.g. non-separable data).

    The message is one sentence a user can act on: what is wrong and what to change.
    """


class Cancelled(Exception):
    """The computation was stopped on request (a ``progress`` callback raised it).

    Long computations call ``progress(done, total)`` between chunks; a caller that wants to
    stop them raises Cancelled from that callback, and it propagates unchanged.
    """
