from svclib import exceptions


class ContentError(exceptions.ServiceError):
    pass


class Invalid(ContentError, exceptions.Invalid):
    pass


class Forbidden(ContentError, exceptions.Forbidden):
    pass


class NotFound(ContentError, exceptions.NotFound):
    pass


class Conflict(ContentError, exceptions.Conflict):
    pass


class Duplicate(ContentError, exceptions.Duplicate):
    pass


class RateLimited(ContentError, exceptions.RateLimited):
    pass


class PayloadTooLarge(ContentError, exceptions.PayloadTooLarge):
    pass
