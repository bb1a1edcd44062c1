"""One exception type for mistakes a user can make and fix."""


class UserError(Exception):
    """A problem with the user's files, data or config; its message says what to fix.

    The command line prints the message alone (no traceback) and exits with status 2.
    """
