"""What the helper fails with. The message is what it prints on stdout before exiting 1."""

NOT_FOUND = "credentials not found in native keychain"  # the docker CLI matches this text
LOCKED = "the keychain is locked: unlock your login keyring"


class HelperError(Exception):
    """A failure with a message for the person reading docker's output."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CredentialsNotFound(HelperError):
    """Nothing stored for this server: the docker CLI then goes on anonymously."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class KeychainLocked(HelperError):
    """The item or its collection is locked; the helper never prompts to unlock it."""

    def __init__(self) -> None:
        super().__init__(LOCKED)
