"""The keeper with a web session (the device flow), against the local Hub over HTTP: the
session in the keychain, renewal and rotation across processes, a session that ends, Docker's
limit of 5 auto-generated tokens, sign-out, cancellation and a crash mid-create."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hubtokens.core.errors import HubTokensError, SignInCancelled
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.hub.oauth import DOCKER_CLIENT_ID
from hubtokens.core.keeper import AUTO_TOKEN_LIMIT, DISPLACE_COMMAND, Keeper, SignInResult
from hubtokens.core.keeper.policy import CreateReason, Observation, Verdict
from hubtokens.core.keeper.reports import SESSION_ENDED_MESSAGE, SESSION_ENDED_TOKEN_GONE_MESSAGE
from hubtokens.core.secret import Secret
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault, vault_key
from hubtokens.localhub import HubConfig, LocalHub
from hubtokens.localhub.faults import Fault
from tests.core.keeper_support import (
    LABEL,
    USER,
    SwitchableKeyring,
    drop_keychain_item,
    keychain_item,
    make_keeper,
)
from tests.fixtures import signin
from tests.fixtures.localhub import HubClock

ACCESS_MINUTES = 15


class Crash(BaseException):
    """The process dies here."""


@pytest.fixture
def web_hub(hub_clock: HubClock, alice_password: str) -> Iterator[LocalHub]:
    config = HubConfig(
        clock=hub_clock.now,
        seed=0,
        device_poll_interval=timedelta(seconds=1),
        oauth_access_token_lifetime=timedelta(minutes=ACCESS_MINUTES),
    )
    with LocalHub(config) as hub:
        hub.add_user(USER, alice_password)
        yield hub


@pytest.fixture
def keeper(
    tmp_path: Path, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> Keeper:
    """A keeper signed in through the browser as alice."""
    signed_in = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    _web_sign_in(signed_in, web_hub)
    return signed_in


def _vault(keyring: SwitchableKeyring) -> Vault:
    return Vault(keyring, deadline=0.5)


def _web_sign_in(keeper: Keeper, hub: LocalHub, user: str = USER) -> SignInResult:
    authorization = keeper.start_web_sign_in(hub.url)
    hub.decide_device(authorization.user_code, user)
    return keeper.complete_web_sign_in(hub.url, authorization, threading.Event())


def _auto_tokens(hub: LocalHub, user: str = USER) -> list[dict[str, object]]:
    return [t for t in hub.tokens(user) if t["generated_by"] != "manual"]


def _session_of(hub: LocalHub, hub_clock: HubClock, secret: str) -> SessionToken | None:
    client = HubClient(hub.url, timeout=(1, 2), clock=hub_clock.now)
    try:
        signed_in = client.auth_token(USER, Secret(secret))
    except Exception:
        return None
    return signed_in if isinstance(signed_in, SessionToken) else None


def test_a_web_sign_in_keeps_its_refresh_token_and_labels_the_hub_generated_token(
    tmp_path: Path, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    keeper = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    result = _web_sign_in(keeper, web_hub)

    record = keeper.account(web_hub.url)
    assert record is not None and record.sign_in == "web" and record.auto_token is not None
    assert keychain_item(keyring, "refresh-token", web_hub.url) is not None
    assert keychain_item(keyring, "session", web_hub.url) is None
    [token] = _auto_tokens(web_hub)
    assert token["uuid"] == record.auto_token.uuid and token["token_label"] == LABEL
    secret = keychain_item(keyring, "auto-token", web_hub.url)
    assert secret is not None
    signed_in = _session_of(web_hub, hub_clock, secret)
    assert signed_in is not None and signed_in.pat_uuid == token["uuid"]
    assert result.report is not None and result.report.created is not None
    assert not any(
        e[1].endswith("/v2/access-tokens") and e[0] == "POST" for e in web_hub.request_log
    )


def test_renewal_rotates_the_refresh_token_and_two_processes_share_the_session(
    tmp_path: Path, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    app = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    _web_sign_in(app, web_hub)
    first_refresh = keychain_item(keyring, "refresh-token", web_hub.url)

    hub_clock.advance((ACCESS_MINUTES - 1) * 60)  # within the renew-ahead margin
    cli = make_keeper(tmp_path, _vault(keyring), hub_clock.now)  # another process
    assert cli.reconcile(web_hub.url).action.verdict is Verdict.HEALTHY
    rotated = keychain_item(keyring, "refresh-token", web_hub.url)
    assert rotated is not None and rotated != first_refresh

    # The app renews from the keychain's newest refresh token, never a rotated one (which the
    # sign-in service would take as theft, ending the session).
    hub_clock.advance(2 * 60)
    assert app.reconcile(web_hub.url).action.verdict is Verdict.HEALTHY
    assert keychain_item(keyring, "refresh-token", web_hub.url) not in (first_refresh, rotated)
    assert not app.status(web_hub.url).session_ended


def _end_the_session_on_the_services_side(keyring: SwitchableKeyring, hub: LocalHub) -> None:
    """Revoke the keeper's web session with the refresh token it keeps, as the service would."""
    refresh_token = keychain_item(keyring, "refresh-token", hub.url)
    assert refresh_token is not None
    signin.revoke(hub.url, refresh_token, DOCKER_CLIENT_ID)


def test_a_refused_refresh_ends_the_session_and_says_docker_removed_the_token(
    tmp_path: Path,
    keeper: Keeper,
    web_hub: LocalHub,
    keyring: SwitchableKeyring,
    hub_clock: HubClock,
) -> None:
    _end_the_session_on_the_services_side(keyring, web_hub)
    assert _auto_tokens(web_hub) == []  # Docker removes a session's auto token with it

    hub_clock.advance(ACCESS_MINUTES * 60)
    later = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    report = later.reconcile(web_hub.url, explicit=True)

    assert report.action.verdict is Verdict.PAUSE_SESSION
    assert report.observation is Observation.SESSION_ENDED
    assert report.message == SESSION_ENDED_TOKEN_GONE_MESSAGE
    status = later.status(web_hub.url)
    assert status.session_ended and status.recreation is None
    assert status.management == SESSION_ENDED_TOKEN_GONE_MESSAGE
    assert _auto_tokens(web_hub) == []  # nothing recreated
    # Once refused, the service is not asked again until the next sign-in.
    asked = len(web_hub.request_log)
    later.reconcile(web_hub.url)
    assert not [e for e in web_hub.request_log[asked:] if e[1] == "/oauth/token"]


def test_an_unreachable_sign_in_service_never_ends_the_session(
    keeper: Keeper, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    hub_clock.advance(ACCESS_MINUTES * 60)
    web_hub.set_faults(Fault("error", path="/oauth/token", value=503))

    report = keeper.reconcile(web_hub.url)
    assert report.action.verdict is Verdict.OFFLINE
    assert not keeper.status(web_hub.url).session_ended

    web_hub.clear_faults()
    assert keeper.reconcile(web_hub.url).action.verdict is Verdict.HEALTHY


def test_six_devices_leave_five_tokens_and_the_displaced_one_waits_for_a_person(
    tmp_path: Path, web_hub: LocalHub, hub_clock: HubClock
) -> None:
    devices = []
    for n in range(AUTO_TOKEN_LIMIT + 1):
        keyring = SwitchableKeyring()
        keeper = make_keeper(tmp_path / f"d{n}", _vault(keyring), hub_clock.now, hostname=f"d{n}")
        _web_sign_in(keeper, web_hub)
        devices.append(keeper)
        hub_clock.advance(1)
    assert len(_auto_tokens(web_hub)) == AUTO_TOKEN_LIMIT
    first = devices[0]

    report = first.reconcile(web_hub.url, explicit=True)  # even `sync --now` waits for a choice
    assert report.action.verdict is Verdict.REPORT_DISPLACED
    assert f"limit of {AUTO_TOKEN_LIMIT}" in report.message and DISPLACE_COMMAND in report.message
    recreation = first.status(web_hub.url).recreation
    assert recreation is not None and recreation.reason is CreateReason.DISPLACED
    assert not recreation.automatic

    # A simulated week of every device's timer creates nothing more (a check every 3 hours
    # stands for the quarter-hourly timer: each run decides from the same state).
    generated = [e for e in web_hub.request_log if e[1].endswith("desktop-generate")]
    for _ in range(7 * 8):
        hub_clock.advance(3 * 3600)
        for keeper in devices:
            keeper.reconcile(web_hub.url)
    assert [e for e in web_hub.request_log if e[1].endswith("desktop-generate")] == generated

    oldest_other = min(_auto_tokens(web_hub), key=lambda t: str(t["created_at"]))
    chosen = first.recreate_displaced(web_hub.url)
    assert chosen.created is not None and chosen.action.reason is CreateReason.DISPLACED
    uuids = {t["uuid"] for t in _auto_tokens(web_hub)}
    assert chosen.created.uuid in uuids and oldest_other["uuid"] not in uuids


def test_signing_out_deletes_the_token_revokes_the_session_and_forgets_it(
    keeper: Keeper, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    refresh_token = keychain_item(keyring, "refresh-token", web_hub.url)
    assert refresh_token is not None

    result = keeper.sign_out(web_hub.url)
    assert result.deleted_token is not None and result.session_closed is True
    assert _auto_tokens(web_hub) == []
    assert (
        signin.refresh(web_hub.url, refresh_token, DOCKER_CLIENT_ID).json().get("error")
        == "invalid_grant"
    )
    for kind in ("refresh-token", "session", "auto-token"):
        assert keychain_item(keyring, kind, web_hub.url) is None
    assert keeper.account(web_hub.url) is None


def test_signing_out_offline_forgets_locally_and_says_the_revoke_was_not_sent(
    keeper: Keeper, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    hub_clock.advance(ACCESS_MINUTES * 60)  # the next request needs a renewal
    web_hub.set_faults(Fault("error", path="/oauth", value=503))

    result = keeper.sign_out(web_hub.url)
    assert result.session_closed is False and result.deleted_token is None
    assert keeper.account(web_hub.url) is None
    assert keychain_item(keyring, "refresh-token", web_hub.url) is None


def test_cancelling_the_wait_returns_at_once_and_leaves_nothing(
    tmp_path: Path, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    keeper = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    authorization = keeper.start_web_sign_in(web_hub.url)
    cancelled = threading.Event()
    threading.Timer(0.3, cancelled.set).start()
    started = time.monotonic()
    with pytest.raises(SignInCancelled):
        keeper.complete_web_sign_in(web_hub.url, authorization, cancelled)
    assert time.monotonic() - started < 1.5
    assert keeper.account(web_hub.url) is None and keyring.items == {}


def test_a_crash_before_the_secret_is_stored_leaves_no_orphan(
    tmp_path: Path,
    keeper: Keeper,
    web_hub: LocalHub,
    keyring: SwitchableKeyring,
    hub_clock: HubClock,
) -> None:
    record = keeper.account(web_hub.url)
    assert record is not None and record.auto_token is not None
    web_hub.delete_token(record.auto_token.uuid)

    keyring.set_error = Crash()  # killed as the new token's secret goes to the keychain
    with pytest.raises(Crash):
        keeper.reconcile(web_hub.url, explicit=True)
    keyring.set_error = None
    [orphan] = _auto_tokens(web_hub)

    restarted = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    report = restarted.reconcile(web_hub.url, explicit=True)
    assert orphan["uuid"] in report.deleted
    [kept] = _auto_tokens(web_hub)
    assert report.created is not None and kept["uuid"] == report.created.uuid
    assert kept["token_label"] == LABEL


def test_a_token_that_kept_the_hubs_label_is_replaced_not_piled_up(
    keeper: Keeper, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    # The first relabel failed, so the token keeps the Hub's label; the keeper goes by its uuid.
    [first] = _auto_tokens(web_hub)
    hub_clock.advance(11 * 60)
    drop_keychain_item(keyring, "auto-token", web_hub.url)
    web_hub.set_faults(Fault("error", path="/v2/access-tokens/", method="PATCH", value=400))
    report = keeper.reconcile(web_hub.url, explicit=True)
    web_hub.clear_faults()
    assert report.created is not None and first["uuid"] in report.deleted
    [second] = _auto_tokens(web_hub)
    assert second["uuid"] == report.created.uuid and second["token_label"] != LABEL

    # Its secret lost too: the replacement deletes it, though it carries no label of ours.
    hub_clock.advance(11 * 60)
    drop_keychain_item(keyring, "auto-token", web_hub.url)
    report = keeper.reconcile(web_hub.url, explicit=True)

    assert report.created is not None and second["uuid"] in report.deleted
    [kept] = _auto_tokens(web_hub)
    assert kept["uuid"] == report.created.uuid and kept["token_label"] == LABEL


def test_a_failure_after_the_session_is_kept_does_not_end_it(
    tmp_path: Path, web_hub: LocalHub, keyring: SwitchableKeyring, hub_clock: HubClock
) -> None:
    keeper = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    # Killed during the first check, once the session and the record are saved.
    keyring.failing_item = vault_key("auto-token", web_hub.url, USER)
    keyring.set_error = Crash()
    with pytest.raises(Crash):
        _web_sign_in(keeper, web_hub)
    keyring.set_error = keyring.failing_item = None
    record = keeper.account(web_hub.url)
    assert record is not None and record.sign_in == "web"

    restarted = make_keeper(tmp_path, _vault(keyring), hub_clock.now)
    report = restarted.reconcile(web_hub.url, explicit=True)

    assert report.observation is not Observation.SESSION_ENDED
    assert report.created is not None
    assert [t["uuid"] for t in _auto_tokens(web_hub)] == [report.created.uuid]


@pytest.mark.parametrize(
    ("fault", "verdict", "says"),
    [
        (Fault("malformed", path="/oauth/token"), Verdict.OFFLINE, "could not renew"),
        (Fault("rate_limit", path="/oauth/token", value=600), Verdict.BACK_OFF, "rate limiting"),
    ],
)
def test_a_renewal_the_sign_in_service_garbles_or_limits_says_so_and_ends_nothing(
    keeper: Keeper,
    web_hub: LocalHub,
    hub_clock: HubClock,
    fault: Fault,
    verdict: Verdict,
    says: str,
) -> None:
    hub_clock.advance(ACCESS_MINUTES * 60)  # the next request needs a renewal
    web_hub.set_faults(fault)

    report = keeper.reconcile(web_hub.url)

    assert report.action.verdict is verdict
    assert says in report.message and "the sign-in service" in report.message
    assert "expired" not in report.message and "cannot reach the hub" not in report.message
    assert not keeper.status(web_hub.url).session_ended
    web_hub.clear_faults()
    hub_clock.advance(601)
    assert keeper.reconcile(web_hub.url).action.verdict is Verdict.HEALTHY


def test_a_pat_sign_in_over_a_web_sign_in_is_refused_in_true_words(
    keeper: Keeper, web_hub: LocalHub, keyring: SwitchableKeyring
) -> None:
    _, pat = web_hub.create_token(USER, "my laptop", scopes=("repo:write",))
    before = dict(keyring.items)

    with pytest.raises(HubTokensError) as refused:
        keeper.sign_in(web_hub.url, USER, Secret(pat))

    assert (
        refused.value.message == "this device already holds an auto token from an earlier sign-in"
    )
    assert "password" not in refused.value.message  # it was a web sign-in
    assert keyring.items == before


def test_an_ended_session_without_a_saved_message_is_shown_as_ended(
    keeper: Keeper,
    web_hub: LocalHub,
    keyring: SwitchableKeyring,
    hub_clock: HubClock,
) -> None:
    _end_the_session_on_the_services_side(keyring, web_hub)
    hub_clock.advance(ACCESS_MINUTES * 60)
    keeper.reconcile(web_hub.url)
    record = keeper.account(web_hub.url)
    assert record is not None and record.session_ended_at is not None
    # A record whose last check said nothing (written by an older version, say).
    SettingsStore(keeper.settings_path).update(
        lambda settings: settings.with_account(replace(record, last_message=None))
    )

    assert keeper.status(web_hub.url).management == SESSION_ENDED_MESSAGE
