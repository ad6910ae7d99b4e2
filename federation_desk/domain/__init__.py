"""SQLAlchemy models only. Importing this package registers every model on ``Base.metadata``."""

from federation_desk.domain import (  # noqa: F401 - imported to register the models
    audit,
    compliance,
    contracts,
    documents,
    indemnity,
    organisation,
    rota,
    staff,
    tenders,
    users,
)
from federation_desk.domain.base import Base

__all__ = ["Base"]
