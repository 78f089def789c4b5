"""Supplier-key authentication: `Authorization: Bearer <supplier key>`, scoped to the path's supplier.

No key, an unknown or a revoked key → 401; a valid key of another supplier → 403 (whether or not
the path's supplier exists, so a key cannot probe for other suppliers' codes).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.deps import BearerDep, HubDep, credentials_token
from hub.api.errors import ApiError
from hub.api.params import SupplierCode
from hub.crypto import tokens_equal
from hub.services.suppliers import KeyOwner, authenticate_key

logger = logging.getLogger(__name__)


def _owner(hub: HubDep, code: str, token: str | None) -> KeyOwner:
    if token is None:
        raise ApiError(401, "missing supplier key: send 'Authorization: Bearer <supplier key>'")
    owner = authenticate_key(hub.db, token)
    if owner is None:
        raise ApiError(401, "invalid or revoked supplier key")
    if owner.supplier_code != code:
        logger.warning("supplier key used for another supplier",
                       extra={"key_id": owner.key_id, "key_supplier": owner.supplier_code, "path_supplier": code})
        raise ApiError(403, "this key is not allowed to act for that supplier")
    return owner


supplier_bearer = HTTPBearer(scheme_name="supplierKey", auto_error=False,
                             description="a supplier key, as `Authorization: Bearer <key>`")
SupplierBearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(supplier_bearer)]


def require_supplier_key(code: SupplierCode, hub: HubDep, credentials: SupplierBearerDep) -> KeyOwner:
    return _owner(hub, code, credentials_token(credentials))


def require_supplier_key_or_admin(code: SupplierCode, hub: HubDep, credentials: SupplierBearerDep,
                                  _admin: BearerDep) -> KeyOwner | None:
    """The key's owner, or None for the admin token (which may read every supplier)."""
    token = credentials_token(credentials)
    if token is not None and tokens_equal(token, hub.settings.admin_token_value()):
        return None
    return _owner(hub, code, token)


SupplierKeyDep = Annotated[KeyOwner, Depends(require_supplier_key)]
SupplierOrAdminDep = Annotated[KeyOwner | None, Depends(require_supplier_key_or_admin)]
