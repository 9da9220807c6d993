"""`python -m pipeline.deploy_stage`: the PulumiUp action's digests into the stack's array setting, and every
function's version out of the stack's outputs. `pulumi` is a fake first on PATH that records what it is asked."""

import io
import json
import os
import re
import sys

import pytest

import pipeline.deploy_stage as deploy_stage
from setting_checks import parse_digests

API = "sha256:" + "a1" * 32
WORKER = "sha256:" + "b2" * 32
SETTING = "lambdakit:imageDigests"


def test_the_digests_are_checked_before_pulumi_is_asked():
    assert deploy_stage.digest_entries(f"api={API}  worker={WORKER}\n") == [f"api={API}", f"worker={WORKER}"]


@pytest.mark.parametrize("words, said", [
    ("", "IMAGE_DIGESTS is empty"),
    ("api=", "is not NAME=sha256:<64 hex digits> (did a scan pass?)"),
    (f"api={API[:-1]}", "is not NAME"),
    (f"Api={API}", "is not NAME"),
    ("api=#{Scan-api.imageDigest}", "is not NAME"),
    (f"api={API} api={WORKER}", "names api more than once"),
])
def test_malformed_digests_are_refused(words, said):
    with pytest.raises(deploy_stage.BadInput, match=re.escape(said)):
        deploy_stage.digest_entries(words)


def test_the_setting_is_removed_then_set_entry_by_entry():
    assert deploy_stage.config_commands("org/lambdakit/prod", SETTING, [f"api={API}", f"worker={WORKER}"]) == [
        ["pulumi", "config", "rm", "--stack", "org/lambdakit/prod", SETTING],
        ["pulumi", "config", "set-all", "--stack", "org/lambdakit/prod", "--path",
         "--plaintext", f"{SETTING}[0]=api={API}", "--plaintext", f"{SETTING}[1]=worker={WORKER}"]]


def test_each_pair_splits_at_its_first_equals_sign_into_a_list_index_and_the_entry():
    """The Pulumi CLI's parseKeyValuePair splits KEY=VALUE with strings.SplitN(pair, "=", 2): the key is the list's
    index, the value the whole entry, its own "=" kept; and the entries are what the settings read."""
    [_, set_all] = deploy_stage.config_commands("s", SETTING, [f"api={API}", f"worker={WORKER}"])
    pairs = [set_all[i + 1] for i, word in enumerate(set_all) if word == "--plaintext"]
    split = [pair.split("=", 1) for pair in pairs]
    assert split == [[f"{SETTING}[0]", f"api={API}"], [f"{SETTING}[1]", f"worker={WORKER}"]]
    assert parse_digests([entry for _, entry in split]) == {"api": API, "worker": WORKER}


@pytest.fixture
def fake_pulumi(tmp_path, monkeypatch):
    """A `pulumi` first on PATH: records each call's arguments, and fails when PULUMI_FAILS names its subcommand."""
    log = tmp_path / "pulumi-calls.jsonl"
    script = tmp_path / "pulumi"
    script.write_text(f"""#!{sys.executable}
import json, os, sys
with open({str(log)!r}, "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
sys.exit(1 if os.environ.get("PULUMI_FAILS") in sys.argv[1:3] else 0)
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return lambda: [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _digests(argv_stack: str = "org/lambdakit/prod") -> int:
    return deploy_stage.main(["digests", "--stack", argv_stack, "--setting", SETTING])


def test_main_runs_both_commands_and_exits_0(fake_pulumi, monkeypatch, capfd):
    monkeypatch.setenv("IMAGE_DIGESTS", f"api={API} worker={WORKER}")
    assert _digests() == 0
    assert [call[:2] for call in fake_pulumi()] == [["config", "rm"], ["config", "set-all"]]
    assert "+ pulumi config set-all --stack org/lambdakit/prod --path" in capfd.readouterr().err


def test_main_stops_at_the_first_failing_command_with_1(fake_pulumi, monkeypatch):
    monkeypatch.setenv("IMAGE_DIGESTS", f"api={API}")
    monkeypatch.setenv("PULUMI_FAILS", "rm")
    assert _digests() == 1
    assert [call[:2] for call in fake_pulumi()] == [["config", "rm"]]


def test_main_refuses_bad_digests_with_2_and_asks_pulumi_nothing(fake_pulumi, monkeypatch, capsys):
    monkeypatch.setenv("IMAGE_DIGESTS", "api=sha256:nope")
    assert _digests() == 2
    assert fake_pulumi() == []
    assert "error: IMAGE_DIGESTS entry 'api=sha256:nope'" in capsys.readouterr().err


def _versions(stdin: str, monkeypatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return deploy_stage.main(["versions"])


def test_versions_are_every_functions_compact_on_stdout(monkeypatch, capsys, prod_run):
    """From the prod run's own `functions` output, as `pulumi stack output functions --json` prints it."""
    assert _versions(json.dumps(prod_run.exports["functions"]), monkeypatch) == 0
    out = capsys.readouterr().out
    assert out == '{"lambdakit-prod-api":"1","lambdakit-prod-worker":"1"}\n'


@pytest.mark.parametrize("stdin, said", [
    ("not json", "Expecting value"),
    ("{}", "must be an object of the stack's functions"),
    ('{"api": {"functionVersion": "1"}}', "functions.api has no functionName"),
    ('{"api": {"functionName": "f", "functionVersion": "$LATEST"}}', "not a published version number"),
    ('{"api": {"functionName": "f", "functionVersion": null}}', "not a published version number"),
])
def test_versions_refuse_an_output_that_is_not_the_programs(monkeypatch, capsys, stdin, said):
    assert _versions(stdin, monkeypatch) == 2
    assert said in capsys.readouterr().err
