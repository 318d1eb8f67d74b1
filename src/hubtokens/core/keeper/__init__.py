"""The keeper: sign-in and the auto-token lifecycle (DESIGN.md "The keeper")."""

from hubtokens.core.keeper.keeper import (
    AccountStatus,
    Keeper,
    ReconcileReport,
    SignInResult,
    SignOutResult,
)
from hubtokens.core.keeper.lock import KeeperBusy, KeeperLock

__all__ = [
    "AccountStatus",
    "Keeper",
    "KeeperBusy",
    "KeeperLock",
    "ReconcileReport",
    "SignInResult",
    "SignOutResult",
]
