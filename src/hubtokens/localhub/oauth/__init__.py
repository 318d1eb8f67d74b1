"""The sign-in service (login.docker.com's part), served by the local Hub itself: the OAuth 2.0
device authorization grant (RFC 8628), rotating refresh-token families, the /activate pages
a person approves a device on, and the Hub's ``desktop-generate`` route that turns such a
session into an auto-generated personal access token."""
