"""Issue 12's workflow editor in a real browser against the local cloud: a SUPERADMIN adds a status;
saving it with nothing leading to it shows the API's 422 problems next to that status; with its
transitions it saves as a new version, which the API then serves (GET /workflow, the badges of
GET /workflow/statuses). The workflow is rolled back afterwards (other tests use the default).
Selectors are web/TESTIDS.md's."""

from __future__ import annotations

import uuid

from .dashboard import BROWSER, Dashboard

pytestmark = BROWSER


def test_a_status_is_added_an_invalid_graph_shows_the_problem_then_it_saves(dash: Dashboard) -> None:
    cloud = dash.cloud
    before = cloud.api("GET", "/workflow")
    code = f"QA_{uuid.uuid4().hex[:6].upper()}"
    packing_exits = [t["to"] for t in before["transitions"] if t["from"] == "PACKING"]
    assert packing_exits, "the default workflow moves PACKING orders on"
    try:
        dash.login()
        page = dash.nav("workflow", "page-workflow")
        dash.by_id("workflow-statuses").wait_for()
        assert page.get_attribute("data-version") == str(before["version"])
        rows = dash.by_id("wf-status-row")
        count = rows.count()
        assert count == len(before["statuses"])
        dash.by_id("wf-status-add").click()
        row = rows.nth(count)
        row.get_by_test_id("wf-status-code").fill(code)
        row.get_by_test_id("wf-status-name").fill("Quality check")
        row.get_by_test_id("wf-status-phase").select_option("PACKING")
        dash.shot("status-added")

        # nothing leads to it and nothing leaves it: the API refuses the graph, naming the status
        with dash.expecting_http_error(422, "/workflow"):
            dash.by_id("workflow-save").click()
            banner = dash.by_id("workflow-rejected")
            banner.wait_for()
        assert banner.get_attribute("data-code") == "invalid_workflow"
        mine = dash.page.locator(f'[data-testid="wf-status-row"][data-code="{code}"]')
        assert mine.get_attribute("data-problem") == "true"
        problems = mine.get_by_test_id("workflow-problem")
        kinds = {problems.nth(i).get_attribute("data-problem") for i in range(problems.count())}
        assert "unreachable" in kinds, kinds
        dash.shot("invalid-graph")
        assert cloud.api("GET", "/workflow")["version"] == before["version"]

        # PACKING -> the new status -> wherever PACKING goes: a valid graph
        for source, target in [("PACKING", code), *[(code, t) for t in packing_exits]]:
            dash.by_id("wf-transition-from").select_option(source)
            dash.by_id("wf-transition-to").select_option(target)
            dash.by_id("wf-transition-add").click()
        dash.by_id("workflow-save").click()
        dash.page.wait_for_selector(
            f'[data-testid="page-workflow"][data-version="{before["version"] + 1}"][data-dirty="false"]'
        )
        assert dash.by_id("workflow-rejected").count() == 0
        dash.shot("saved")

        after = cloud.api("GET", "/workflow")
        assert after["version"] == before["version"] + 1
        added = next(s for s in after["statuses"] if s["code"] == code)
        assert (added["name"], added["phase"]) == ("Quality check", "PACKING")
        assert {"from": "PACKING", "to": code} in after["transitions"]
        badges = cloud.api("GET", "/workflow/statuses")["statuses"]
        assert any(b["code"] == code and b["name"] == "Quality check" for b in badges)

        # the page shows the stored version after a reload
        dash.page.reload(wait_until="domcontentloaded")
        dash.page.locator(f'[data-testid="wf-status-row"][data-code="{code}"]').wait_for()
        versions = dash.by_id("wf-version-row")
        assert versions.first.get_attribute("data-version") == str(after["version"])
    finally:
        latest = cloud.api("GET", "/workflow")["version"]
        if latest != before["version"]:
            cloud.api("POST", "/workflow/rollback", json={"version": before["version"]})
