"""localhub: a Docker Hub–compatible HTTP service for the demo and the tests.

A separate program that only speaks HTTP and imports only the standard library, so it
is an independent implementation of the Hub for the client to be tested against.
"""

from __future__ import annotations

from hubtokens.localhub.config import HubConfig
from hubtokens.localhub.demo import DemoAccount
from hubtokens.localhub.faults import Fault
from hubtokens.localhub.hub import LocalHub
from hubtokens.localhub.store import UserExistsError

__all__ = ["DemoAccount", "Fault", "HubConfig", "LocalHub", "UserExistsError"]
