"""One exception type for mistakes a user can make and fix."""

from .secrets import mask_secrets


class UserError(Exception):
    """A problem with the user's files, data or config; its message says what to fix.

    The command line prints the message alone (no traceback) and exits with status 2. A password or token in a URL
    the message quotes is masked here, so no caller (command line or Python API) can show it.
    """

    def __init__(self, message: str = ""):
        super().__init__(mask_secrets(str(message)))
