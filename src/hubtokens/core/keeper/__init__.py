"""The keeper: sign-in and the auto-token lifecycle (docs/DESIGN.md "The keeper")."""

from hubtokens.core.keeper.keeper import HubApi, Keeper, VaultApi
from hubtokens.core.keeper.lock import KeeperBusy, KeeperLock
from hubtokens.core.keeper.reports import (
    AUTO_TOKEN_LIMIT,
    CHECK_INTERVAL,
    DISPLACE_COMMAND,
    AccountStatus,
    ReconcileReport,
    Recreation,
    SignInResult,
    SignOutResult,
)

__all__ = [
    "AUTO_TOKEN_LIMIT",
    "CHECK_INTERVAL",
    "DISPLACE_COMMAND",
    "AccountStatus",
    "HubApi",
    "Keeper",
    "KeeperBusy",
    "KeeperLock",
    "ReconcileReport",
    "Recreation",
    "SignInResult",
    "SignOutResult",
    "VaultApi",
]
