"""The core's exceptions: one base, one kind for bad input, one for bad or missing parameters."""


class CoreError(Exception):
    """Base of every error the eligibility core raises on purpose."""


class InputError(CoreError):
    """A household description that cannot be assessed as given.

    `field` names the offending field the way a person would write it (`members[1].age`), and the
    message says what is allowed. The core never guesses a missing or malformed fact.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ParameterError(CoreError):
    """A parameter file that is malformed, or a lookup for a date no value covers.

    The message always names the file, so that whoever maintains the parameters knows where to look.
    """

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message
