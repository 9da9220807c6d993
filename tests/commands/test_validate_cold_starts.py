"""`validate` on a function whose Server-Timing says how long an environment's init took but not what kind of init
it was: `init;dur=250` with no `desc`. The W3C Server Timing specification makes `desc` optional
(w3.org/TR/server-timing, "server-timing-param"), and a function not built from this project may well leave it out;
only a `desc` of `provisioned-concurrency` (Lambda's AWS_LAMBDA_INITIALIZATION_TYPE) says nobody waited. So an init
without one is a cold start (issue 24: the run must not pass a function whose callers waited)."""

import json

from commands import validate
from commands.validation_figures import Call, Sample, measure
from tests.commands.fake_function_url import Answer, FakeFunctionUrl


def test_an_init_with_no_description_is_a_cold_start():
    unstated = Sample(Call("GET", "/"), 200, latency_ms=260.0, timing_reported=True, init_ms=250.0, init_type=None)
    provisioned = Sample(Call("GET", "/"), 200, latency_ms=12.0, timing_reported=True, init_ms=900.0,
                         init_type="provisioned-concurrency")
    warm = Sample(Call("GET", "/"), 200, latency_ms=3.0, timing_reported=True)
    assert (unstated.cold, provisioned.cold, warm.cold) == (True, False, False)
    figures = measure([unstated, provisioned, warm])
    assert figures["coldStarts"] == 1
    assert figures["initTypes"] == {"unstated": 1, "provisioned-concurrency": 1}


def test_a_run_where_every_fourth_request_waited_for_an_undescribed_init_fails_the_cold_start_rate(capsys, tmp_path):
    def answer(index: int) -> Answer:
        return Answer(server_timing="init;dur=250, handler;dur=0.5" if index % 4 == 0 else "handler;dur=0.5")

    report = tmp_path / "report.json"
    with FakeFunctionUrl(answer) as server:
        code = validate.main(["--url", server.url, "--requests", "20", "--concurrency", "1", "--json", str(report)])
    figures = json.loads(report.read_text())
    assert (figures["coldStarts"], figures["coldStartPercent"]) == (5, 25.0)
    [cold] = [v for v in figures["verdicts"] if v["check"] == "cold-start rate"]
    assert not cold["passed"] and code == 1  # 25 % is over the product's 20 %
    assert "cold starts   5 of 20 (25.0 %)" in capsys.readouterr().out
