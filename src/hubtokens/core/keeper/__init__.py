"""The keeper: sign-in and the auto-token lifecycle (DESIGN.md "The keeper")."""

from hubtokens.core.keeper.keeper import (
    CHECK_INTERVAL,
    AccountStatus,
    Keeper,
    ReconcileReport,
    Recreation,
    SignInResult,
    SignOutResult,
)
from hubtokens.core.keeper.lock import KeeperBusy, KeeperLock

__all__ = [
    "CHECK_INTERVAL",
    "AccountStatus",
    "Keeper",
    "KeeperBusy",
    "KeeperLock",
    "ReconcileReport",
    "Recreation",
    "SignInResult",
    "SignOutResult",
]
