"""Signing in: with a password (and 2FA), with a personal access token, or through the browser
(the device flow, as Docker Desktop and ``docker login`` do). Each ends the same way: the
session kept, the record saved, and the auto token checked at once."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace

from hubtokens.core.errors import HubError, HubTokensError, ProtocolError, SignInCancelled
from hubtokens.core.hub.models import SessionToken, TwoFactorChallenge
from hubtokens.core.hub.oauth import DeviceAuthorization, OAuthTokens, OnWait
from hubtokens.core.keeper.parts import KeeperParts
from hubtokens.core.keeper.reconcile import Reconciler
from hubtokens.core.keeper.reports import SignInResult
from hubtokens.core.keeper.sessions import ManagementSessions
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord


class SignIn:
    def __init__(
        self, parts: KeeperParts, sessions: ManagementSessions, reconciler: Reconciler
    ) -> None:
        self._parts = parts
        self._sessions = sessions
        self._reconciler = reconciler

    # --- with a password ----------------------------------------------------------------

    def with_password(
        self, hub_url: str, username: str, password: Secret, *, otp: str | None = None
    ) -> SignInResult | TwoFactorChallenge:
        """Log in; returns the 2FA challenge when the hub asks for a code and none was given."""
        outcome = self._parts.client_for(hub_url).login(username, password)
        if isinstance(outcome, TwoFactorChallenge):
            if otp is None:
                return outcome
            return self.complete_two_factor(hub_url, outcome, otp)
        with_pat = outcome.from_pat or password.reveal().startswith("dckr_")
        return self._finish_password(hub_url, username, outcome, pat=password if with_pat else None)

    def complete_two_factor(
        self, hub_url: str, challenge: TwoFactorChallenge, code: str
    ) -> SignInResult:
        session = self._parts.client_for(hub_url).login_2fa(challenge, code)
        return self._finish_password(hub_url, challenge.username, session, pat=None)

    def _finish_password(
        self, hub_url: str, username: str, session: SessionToken, *, pat: Secret | None
    ) -> SignInResult:
        account = session.username or username
        vault = self._parts.vault
        with self._parts.lock.held():
            previous = self._previous(hub_url, account)
            if pat is not None and previous is not None and previous.auto_token is not None:
                # The PAT would replace the auto token's secret and leave that token orphaned.
                raise HubTokensError(
                    "this device already holds an auto token from an earlier sign-in",
                    hint="sign out first (hubtokens signout), then sign in with the access token",
                )
            if previous is not None and previous.sign_in == "web":
                self._end_web_session(previous)
            record = replace(
                previous or AccountRecord(hub_url=hub_url, account=account),
                credential="pat" if pat is not None else "auto-token",
                sign_in="password",
                session_expires_at=session.expires_at,
                session_ended_at=None,
            )
            if pat is not None:
                # A PAT sign-in cannot manage tokens (the hub refuses), so the PAT itself is
                # what the docker CLI gets, as with `docker login`.
                vault.put_auto_token(hub_url, account, pat)
                vault.put_session(hub_url, account, session.jwt)
                record = replace(record, auto_token=None, last_outcome="signed-in-with-pat")
                self._parts.records.save(record)
                return SignInResult(hub_url, account, session, with_pat=True, report=None)
            vault.put_session(hub_url, account, session.jwt)
            self._parts.records.save(record)
            report = self._reconciler.reconcile(hub_url, explicit=True)
        return SignInResult(hub_url, account, session, with_pat=False, report=report)

    # --- through the browser ------------------------------------------------------------

    def start_web(self, hub_url: str) -> DeviceAuthorization:
        """A one-time code for the person to approve in a browser."""
        return self._parts.sign_in_service_for(hub_url).start()

    def complete_web(
        self,
        hub_url: str,
        authorization: DeviceAuthorization,
        cancelled: threading.Event,
        on_wait: OnWait | None = None,
    ) -> SignInResult:
        """Wait for the approval, keep the session, and check the auto token (which the Hub
        generates for a web session). ``cancelled.set()`` ends the wait at once, leaving
        nothing behind."""
        service = self._parts.sign_in_service_for(hub_url)
        tokens = service.wait(authorization, cancelled, on_wait)
        kept = False
        try:
            session = SessionToken.from_jwt(tokens.access_token.reveal())
            account = session.username
            if not account:
                raise ProtocolError("the sign-in service sent a session without a Docker ID")
            with self._parts.lock.held():
                if cancelled.is_set():
                    raise SignInCancelled
                session = self._keep_web(hub_url, account, tokens)
                kept = True  # from here the record says signed in: a failure must not end it
                report = self._reconciler.reconcile(hub_url, explicit=True)
        except BaseException:
            # Nothing kept: end the session the service just opened rather than leave it.
            if not kept and tokens.refresh_token is not None:
                with contextlib.suppress(HubError):
                    service.revoke(tokens.refresh_token)
            raise
        return SignInResult(hub_url, account, session, with_pat=False, report=report, sign_in="web")

    def _keep_web(self, hub_url: str, account: str, tokens: OAuthTokens) -> SessionToken:
        """Keep the new web session and save the record that says so."""
        previous = self._previous(hub_url, account)
        if previous is not None and previous.credential == "pat":
            raise HubTokensError(
                "this device is signed in with a personal access token",
                hint="sign out first (hubtokens signout), then sign in through the browser",
            )
        if previous is not None and previous.sign_in == "web":
            self._end_web_session(previous)
        session = self._sessions.adopt(hub_url, account, tokens)
        # A password session's JWT no longer manages anything here.
        self._parts.vault.delete_session(hub_url, account)
        record = replace(
            previous or AccountRecord(hub_url=hub_url, account=account),
            credential="auto-token",
            sign_in="web",
            session_expires_at=None,
            session_ended_at=None,
        )
        self._parts.records.save(record)
        return session

    # --- both ---------------------------------------------------------------------------

    def _previous(self, hub_url: str, account: str) -> AccountRecord | None:
        previous = self._parts.records.find(hub_url)
        if previous is not None and previous.account != account:
            raise HubTokensError(
                f"already signed in to this hub as {previous.account}",
                hint="sign out first (hubtokens signout)",
            )
        return previous

    def _end_web_session(self, record: AccountRecord) -> None:
        """A new sign-in replaces a web session: end the old one and forget its refresh
        token."""
        self._sessions.end_web_session(record)
        self._sessions.forget(record.hub_url, record.account)
