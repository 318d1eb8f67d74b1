"""``hubtokens scan [PATH ...] [--home] [--json|--sarif]``: the real program on real files."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from hubtokens.core.dockerconfig import BACKUP_SUFFIX
from hubtokens.core.scan import files, parallel, reading
from hubtokens.core.scan.output import json_records
from hubtokens.core.scan.patterns import fingerprint, mask
from tests.support.git_repo import make_token


def hubtokens(
    *args: str, cwd: Path, env: dict[str, str] | None = None, wrapper: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": str(cwd), "HUBTOKENS_HOME": str(cwd / ".ht")}
    return subprocess.run(
        [*wrapper, sys.executable, "-m", "hubtokens", "scan", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_no_secret(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        tail = secret.removeprefix("dckr_pat_").removeprefix("dckr_oat_")
        assert tail not in result.stdout and tail not in result.stderr


def test_nothing_found_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("dckr_pat_ but nothing after it\n")
    result = hubtokens(cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    assert "no Docker tokens found; scanned 1 file" in result.stderr


def test_found_exits_1_with_a_table_that_never_shows_the_secret(tmp_path: Path) -> None:
    token = make_token()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".env").write_text(f"A=1\nDOCKER_TOKEN={token}\n")
    result = hubtokens(cwd=tmp_path)
    assert result.returncode == 1
    header, row = result.stdout.splitlines()
    assert header.split() == ["WHERE", "KIND", "SECRET", "FINGERPRINT"]
    assert row.split() == ["app/.env:2", "pat", mask(token), fingerprint(token)]
    assert "found 1 secret(s), 1 distinct" in result.stderr
    assert_no_secret(result, token)


def test_json_lists_each_finding_with_where_kind_masked_and_fingerprint(tmp_path: Path) -> None:
    pat, oat = make_token(), make_token("oat", 32)
    (tmp_path / "one.txt").write_text(f"{pat} {oat}\n\n{pat}")
    result = hubtokens("--json", "one.txt", cwd=tmp_path)
    assert result.returncode == 1
    expected = [(1, "pat", pat), (1, "oat", oat), (3, "pat", pat)]
    assert json.loads(result.stdout) == [
        {
            "path": "one.txt",
            "line": line,
            "commit": None,
            "kind": kind,
            "masked": mask(secret),
            "fingerprint": fingerprint(secret),
        }
        for line, kind, secret in expected
    ]
    assert_no_secret(result, pat, oat)


def test_sarif_is_a_sarif_2_1_0_log(tmp_path: Path) -> None:
    token = make_token()
    password = "correct-horse-battery"
    auth = base64.b64encode(f"me:{password}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"x.io": {"auth": auth}}}))
    (tmp_path / "work" / "dir with space").mkdir(parents=True)
    (tmp_path / "work" / "dir with space" / "f").write_text(f"\n{token}\n")
    result = hubtokens("--sarif", ".", str(tmp_path / "config.json"), cwd=tmp_path / "work")
    assert result.returncode == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    (run,) = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert run["tool"]["driver"]["name"] == "hubtokens"
    located = [
        (
            r["ruleId"],
            rules[r["ruleIndex"]],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["partialFingerprints"]["hubtokensSecret/v1"],
            r["level"],
        )
        for r in run["results"]
    ]
    assert located == [
        ("hubtokens/pat", "hubtokens/pat", "dir%20with%20space/f", 2, fingerprint(token), "error"),
        ("hubtokens/docker-config-password", "hubtokens/docker-config-password",
         f"file://{tmp_path}/config.json", 1, fingerprint(password), "error"),
    ]  # fmt: skip
    assert_no_secret(result, token)
    assert password not in result.stdout


def test_a_registry_password_is_shown_by_nothing_of_it(tmp_path: Path) -> None:
    """Neither its last characters nor a fast hash (a word list turns a SHA-256 back)."""
    password = "correct-horse-battery"
    auth = base64.b64encode(f"me:{password}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"x.io": {"auth": auth}}}))
    fast = hashlib.sha256(password.encode()).hexdigest()[:12]

    table = hubtokens("config.json", cwd=tmp_path)
    (record,) = json.loads(hubtokens("--json", "config.json", cwd=tmp_path).stdout)
    sarif = hubtokens("--sarif", "config.json", cwd=tmp_path)

    assert (record["kind"], record["masked"]) == ("docker-config-password", "…")
    assert record["fingerprint"] == fingerprint(password) != fast
    row = table.stdout.splitlines()[1].split()
    assert row == ["config.json:1", "docker-config-password", "…", record["fingerprint"]]
    for result in (table, sarif):
        assert result.returncode == 1
        assert password[-4:] not in result.stdout and fast not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["here.txt", "missing"], "error: no such file or folder: missing"),
        (["--json", "--sarif"], "error: choose one of --json and --sarif"),
    ],
)
def test_bad_input_exits_2_and_scans_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "here.txt").write_text(make_token())
    result = hubtokens(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip() == message


def test_home_scans_the_home_and_not_the_current_folder(tmp_path: Path) -> None:
    in_history, in_project = make_token(), make_token()
    (tmp_path / ".bash_history").write_text(f"echo {in_history}\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "x").write_text(in_project)
    result = hubtokens("--home", "--json", cwd=tmp_path / "project", env={"HOME": str(tmp_path)})
    assert result.returncode == 1
    assert [(r["path"], r["fingerprint"]) for r in json.loads(result.stdout)] == [
        (str(tmp_path / ".bash_history"), fingerprint(in_history))
    ]


def test_names_that_are_not_utf8_are_shown(tmp_path: Path) -> None:
    token = make_token()
    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text(token)
    table = hubtokens(cwd=tmp_path)
    assert (table.returncode, table.stdout.splitlines()[1].split()[0]) == (1, "caf\ufffd.txt:1")
    records = json.loads(hubtokens("--json", cwd=tmp_path).stdout)
    assert [r["path"] for r in records] == ["caf\ufffd.txt"]


def test_control_characters_in_names_are_shown_escaped(tmp_path: Path) -> None:
    """A name cannot move the cursor or erase the line on the terminal that shows it."""
    name = "ok.env\r\x1b[2Kfine\x07"
    (tmp_path / name).write_text(make_token())
    locked = tmp_path / "locked\x1b]0;title\x07.txt"
    locked.write_text("x")
    locked.chmod(0)
    wrapper = ("setpriv", "--bounding-set=-all", "--inh-caps=-all", "--")

    table = hubtokens(cwd=tmp_path, wrapper=wrapper if os.geteuid() == 0 else ())
    missing = hubtokens("gone\x1b[2J", cwd=tmp_path)
    (record,) = json.loads(hubtokens("--json", name, cwd=tmp_path).stdout)

    assert table.returncode == 1
    assert table.stdout.splitlines()[1].split()[0] == "ok.env\\x0d\\x1b[2Kfine\\x07:1"
    assert "skipped locked\\x1b]0;title\\x07.txt: Permission denied" in table.stderr
    assert missing.stderr.strip() == "error: no such file or folder: gone\\x1b[2J"
    for shown in (table.stdout, table.stderr, missing.stderr):
        assert not any(char in shown for char in "\r\x1b\x07")
    assert record["path"] == name  # JSON escapes it itself, and keeps the name as it is


def test_unreadable_files_are_reported_as_skipped(tmp_path: Path) -> None:
    token = make_token()
    (tmp_path / "locked.txt").write_text(make_token())
    (tmp_path / "locked.txt").chmod(0)
    (tmp_path / "open.txt").write_text(token)
    # root reads everything: without its capabilities, file modes count as for anyone
    wrapper = ("setpriv", "--bounding-set=-all", "--inh-caps=-all", "--")
    result = hubtokens("--json", cwd=tmp_path, wrapper=wrapper if os.geteuid() == 0 else ())
    assert result.returncode == 1
    assert [r["fingerprint"] for r in json.loads(result.stdout)] == [fingerprint(token)]
    assert "skipped locked.txt: Permission denied" in result.stderr.splitlines()


def test_a_big_tree_scanned_in_parallel_finds_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over BATCH_FILES files the CLI scans in worker processes; the result must not change."""
    tokens = []
    for i in range(3 * parallel.BATCH_FILES):
        text = f"file {i}\n"
        if i % 37 == 0:
            tokens.append(make_token("oat" if i % 2 else "pat"))
            text += f"key={tokens[-1]}\n"
        (tmp_path / f"d{i % 7}").mkdir(exist_ok=True)
        (tmp_path / f"d{i % 7}" / f"f{i:04d}").write_text(text)
    big = make_token()
    with (tmp_path / "d0" / "big.log").open("wb") as stream:
        stream.seek(reading.CHUNK_SIZE - 20)
        stream.write(f"\n{big}\n".encode())
    auth = base64.b64encode(f"me:{make_token()}".encode()).decode()
    (tmp_path / "d3" / "config.json").write_text(json.dumps({"auths": {"h": {"auth": auth}}}))
    result = hubtokens("--json", ".", cwd=tmp_path)
    monkeypatch.chdir(tmp_path)
    in_one_process = json_records(list(files.scan_paths([Path(".")])))
    assert result.returncode == 1
    assert json.loads(result.stdout) == in_one_process
    assert len(in_one_process) == len(tokens) + 2
    assert f"scanned {3 * parallel.BATCH_FILES + 2} files" in result.stderr


def test_scan_help_names_its_exit_codes_and_the_history_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hubtokens", "scan", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "exit codes: 0 nothing found, 1 found, 2 invalid input, 7 the scan failed" in text
    assert "--identify and --deactivate can also end with 3 to 6" in text
    assert ".git folders are skipped (--git reads the history)" in text


def test_each_plain_credential_form_of_auths_is_reported(tmp_path: Path) -> None:
    """``password`` and ``identitytoken`` entries, as dockerconfig counts them, not only ``auth``."""
    password, token = "pw-" + secrets.token_urlsafe(12), make_token()
    identity_token = secrets.token_urlsafe(40)  # a registry's refresh token: no Hub token shape
    auths = {
        "registry.example": {"username": "carol", "password": password},
        "https://index.docker.io/v1/": {"username": "dave", "password": token},
        "idp.example": {"identitytoken": identity_token},
    }
    (tmp_path / "config.json").write_text(json.dumps({"auths": auths}, indent=2))

    result = hubtokens("--json", "config.json", cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    records = [
        {key: r[key] for key in ("line", "kind", "masked", "fingerprint")}
        for r in json.loads(result.stdout)
    ]
    assert records == [  # the token once: as the entry's, not again by the plain pattern
        {"line": 5, "kind": "docker-config-password", "masked": "…",
         "fingerprint": fingerprint(password)},
        {"line": 9, "kind": "docker-config-pat", "masked": mask(token),
         "fingerprint": fingerprint(token)},
        {"line": 12, "kind": "docker-config-identity-token", "masked": "…",
         "fingerprint": fingerprint(identity_token)},
    ]  # fmt: skip
    assert_no_secret(result, password, token, identity_token)


def test_the_apps_backup_of_docker_config_is_decoded(tmp_path: Path) -> None:
    """config.json.bak-hubtokens keeps the ``auth`` the app removed from config.json."""
    password = "pw-" + secrets.token_urlsafe(12)
    auth = base64.b64encode(f"me:{password}".encode()).decode()
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / f"config.json{BACKUP_SUFFIX}").write_text(
        json.dumps({"auths": {"x.io": {"auth": auth}}})
    )

    in_folder = hubtokens("--json", "docker", cwd=tmp_path)
    at_home = hubtokens("--json", "--home", cwd=tmp_path, env={"DOCKER_CONFIG": str(docker)})

    for result, path in ((in_folder, f"docker/config.json{BACKUP_SUFFIX}"),
                         (at_home, f"{docker}/config.json{BACKUP_SUFFIX}")):  # fmt: skip
        assert result.returncode == 1, result.stderr
        ((found_path, kind, found),) = [
            (r["path"], r["kind"], r["fingerprint"]) for r in json.loads(result.stdout)
        ]
        assert (found_path, kind, found) == (path, "docker-config-password", fingerprint(password))
        assert password not in result.stdout + result.stderr
