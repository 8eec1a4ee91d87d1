from svclib import exceptions


class IdentityError(exceptions.ServiceError):
    pass


class Invalid(IdentityError, exceptions.Invalid):
    pass


class Unauthenticated(IdentityError, exceptions.Unauthenticated):
    pass


class Forbidden(IdentityError, exceptions.Forbidden):
    pass


class NotFound(IdentityError, exceptions.NotFound):
    pass


class Conflict(IdentityError, exceptions.Conflict):
    pass


class RateLimited(IdentityError, exceptions.RateLimited):
    pass
