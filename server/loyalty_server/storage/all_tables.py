"""Import every module that defines tables, so `metadata` describes the whole schema.

Migrations' env.py and the schema-vs-migrations test use this; add a domain's tables module here.
"""

from __future__ import annotations

import loyalty_server.activity.tables
import loyalty_server.auth.tables
import loyalty_server.events.tables
import loyalty_server.ledger.tables
import loyalty_server.webhooks.tables  # noqa: F401
from loyalty_server.storage.schema import metadata

__all__ = ["metadata"]
