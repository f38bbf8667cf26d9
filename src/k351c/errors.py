"""One error tree for the whole package, split by who is at fault."""


class K351CError(Exception):
    """Base of every error k351c raises on purpose."""


class LocalProtocolError(K351CError):
    """Our own code asked for something the protocol forbids (a bug on our side)."""


class RemoteProtocolError(K351CError):
    """The peer sent something malformed or illegal; answer with the protocol's refusal."""


class ConfigError(K351CError, ValueError):
    """A person gave a bad code or setting; the message names field, value and what is allowed."""

    def __init__(self, field: str, value: object, allowed: object, detail: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.detail = detail
        message = f"{field}: {value!r} is not allowed; allowed: {allowed}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)

    def __reduce__(self):  # noqa: ANN204
        """Pickle by the constructor's arguments: the error crosses process and Ray task boundaries."""
        return type(self), (self.field, self.value, self.allowed, self.detail)


class AccessDenied(K351CError):
    """A write or action was refused: legal data, a locked setting or missing rights."""


class StoreError(K351CError):
    """The permanent memory cannot be read or written (corrupt, read-only, full)."""
