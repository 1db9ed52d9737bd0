"""Domain errors of the registry."""

from services.common.problems import Conflict, NotFound, Unprocessable


class OrgNotFound(NotFound):
    title = "Organization not found"
    slug = "org-not-found"


class PersonNotFound(NotFound):
    title = "Person not found"
    slug = "person-not-found"


class MembershipNotFound(NotFound):
    title = "Membership not found"
    slug = "membership-not-found"


class RegionNotFound(NotFound):
    title = "Region not found"
    slug = "region-not-found"


class DuplicateBin(Conflict):
    title = "An organization with this BIN already exists"
    slug = "duplicate-bin"


class DuplicateRecord(Conflict):
    title = "Such a record already exists"
    slug = "duplicate"


class InvalidReference(Unprocessable):
    title = "A referenced record does not exist or cannot be used here"
    slug = "invalid-reference"


class NotACouncil(Unprocessable):
    title = "Composition checks apply to public councils only"
    slug = "not-a-council"
