"""Endpoint handlers: each takes a Request and the path parameters and returns a Reply."""
