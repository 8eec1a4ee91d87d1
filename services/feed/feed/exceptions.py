from svclib import exceptions


class FeedError(exceptions.ServiceError):
    pass


class Invalid(FeedError, exceptions.Invalid):
    pass


class Forbidden(FeedError, exceptions.Forbidden):
    pass


class NotFound(FeedError, exceptions.NotFound):
    pass


class Conflict(FeedError, exceptions.Conflict):
    pass
