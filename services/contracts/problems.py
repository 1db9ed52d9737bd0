"""RFC 9457 problem details as they travel on the wire."""

from pydantic import BaseModel, ConfigDict


class FieldError(BaseModel):
    """One offending field: `field` is a dotted path such as `bin` or `names.ru`."""

    field: str
    message: str
    code: str | None = None


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
