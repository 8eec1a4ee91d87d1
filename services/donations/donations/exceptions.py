from svclib import exceptions


class DonationsError(exceptions.ServiceError):
    pass


class Invalid(DonationsError, exceptions.Invalid):
    pass


class Forbidden(DonationsError, exceptions.Forbidden):
    pass


class NotFound(DonationsError, exceptions.NotFound):
    pass


class Conflict(DonationsError, exceptions.Conflict):
    pass


class Unauthenticated(DonationsError, exceptions.Unauthenticated):
    pass
