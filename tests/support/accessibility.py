"""axe-core in the real browser: the accessibility check the page journeys run on each view.

axe-core is the npm package installed by ``scripts/setup.sh test`` into ``.tools/``; the
script is injected into the page under test, never fetched from the network.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def serious_violations(page: Page) -> list[str]:
    """What axe-core finds serious or critical in the page as it is shown now (WCAG 2.x A and
    AA rules), one line per rule with the first offending elements."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run scripts/setup.sh test")
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        })).violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
        }))"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}"
        for v in results
        if v["impact"] in SERIOUS
    ]
