from svclib import exceptions


class CommunitiesError(exceptions.ServiceError):
    pass


class Invalid(CommunitiesError, exceptions.Invalid):
    pass


class Forbidden(CommunitiesError, exceptions.Forbidden):
    pass


class NotFound(CommunitiesError, exceptions.NotFound):
    pass


class Conflict(CommunitiesError, exceptions.Conflict):
    pass
