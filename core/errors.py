"""The one exception type the core raises for bad input or an impossible request."""


class InputError(ValueError):
    """Bad input or a request the math cannot answer (e.g. non-separable data).

    The message is one sentence a user can act on: what is wrong and what to change.
    """
