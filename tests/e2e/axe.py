"""axe-core in the browser: run its WCAG 2.1 AA and best-practice rules on the page in view.

axe is vendored (tests/e2e/vendor/, see VENDORED.md) and evaluated through the DevTools
protocol, which the page's Content-Security-Policy does not govern: the pages are checked
under the policy they really run with (no `bypass_csp`), so what axe sees is what shoppers get.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}

RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


@cache
def _source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def violations(page: Page) -> list[dict]:
    """Every axe violation on the page as loaded now (axe is injected when missing)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    return page.evaluate(RUN, TAGS)


def blocking(found: list[dict]) -> list[dict]:
    """The serious and critical ones: those a page must not have."""
    return [violation for violation in found if violation["impact"] in BLOCKING]


def describe(found: list[dict]) -> str:
    """The violations, readably: rule, impact, what it asks, where, and the rule's page."""
    lines = []
    for violation in found:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}\n      {summary}")
    return "\n".join(lines)
