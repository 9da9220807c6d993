"""`validate --local` in CI: the function's image built and served as its function URL, measured, and judged; its
Server-Timing header is what tells each cold start."""

import json

import pytest

from commands import validate


pytestmark = pytest.mark.usefixtures("docker_engine")  # every test here runs the image


def _validate_local(capsys, tmp_path, *args: str) -> tuple[int, dict, str]:
    report = tmp_path / "local.json"
    code = validate.main(["--local", "--requests", "60", "--concurrency", "2", "--json", str(report), *args])
    return code, json.loads(report.read_text()), capsys.readouterr().out


def test_the_local_image_meets_the_promises(capsys, tmp_path):
    code, report, table = _validate_local(capsys, tmp_path)
    assert code == 0, table
    assert report["statusCounts"] == {"200": 60} and report["passed"]
    # A new environment per worker at most: the first request's, and one more when both workers are busy.
    assert 1 <= report["coldStarts"] <= 2 and report["initTypes"] == {"on-demand": report["coldStarts"]}
    assert 0 < report["initMs"]["min"] <= report["initMs"]["max"] < 10_000
    assert "(local image, stack dev)" in report["target"] and "PASS  cold-start rate" in table


def test_a_missed_threshold_fails_the_local_run(capsys, tmp_path):
    code, report, table = _validate_local(capsys, tmp_path, "--max-cold-start-rate", "0", "--stack", "prod")
    assert code == 1 and not report["passed"]
    assert "FAIL  cold-start rate" in table and "(local image, stack prod)" in report["target"]


def test_without_debootstrap_a_local_run_names_it_and_how_to_install_it(machine_without_debootstrap, capsys):
    assert validate.main(["--local", "--requests", "1"]) == 2
    err = capsys.readouterr().err
    assert "error: debootstrap is not installed (not on PATH)" in err
    assert "Install it as root: apt-get install debootstrap" in err and "--pinned-bases" in err
