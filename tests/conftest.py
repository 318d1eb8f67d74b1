"""Shared fixtures: each lives in tests/fixtures/, one module per real part."""

pytest_plugins = [
    "tests.fixtures.localhub",
    "tests.fixtures.keychain",
    "tests.fixtures.registry",
    "tests.fixtures.browser",
]
