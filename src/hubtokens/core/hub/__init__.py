"""The Docker Hub API client: ``HubClient`` and its typed models."""
