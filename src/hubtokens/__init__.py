"""Hub Tokens: a desktop companion for Docker Hub access tokens."""

__version__ = "0.1.0"
