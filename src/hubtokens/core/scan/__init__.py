"""The leak guard: find Docker access tokens where they should not be (files, history, home)."""
