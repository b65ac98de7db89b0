"""The id of this database among every omnistock database that ever published.

Outbox ids restart at 1 in a new or re-initialised database, and other deployments count
from 1 too, so an outbox id alone does not name an event outside its database. A random id
drawn the first time it is asked for, and kept in the database (a name in the leases table
held for good), tells them apart: a re-initialised database draws a new one.
"""

from __future__ import annotations

import uuid

from ..store.database import Database

NAME = "database-id"


def database_id(db: Database) -> str:
    with db.uow() as uow:
        found = uow.leases.hold_forever(NAME, uuid.uuid4().hex[:16])
        uow.commit()
    return found
