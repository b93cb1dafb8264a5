"""Accessibility checks with axe-core, for any browser test.

axe-core comes from a package registry, never from this machine: the `axe-playwright-python`
wheel on PyPI (a dev dependency in pyproject.toml) ships axe-core's `axe.min.js`, which is all
this helper uses of it. The script is evaluated through the browser's devtools protocol, so the
app's Content-Security-Policy (own scripts only) does not have to be loosened for the test.

    from tests.web.a11y import assert_accessible
    assert_accessible(page)               # 0 serious or critical violations on the page
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

BLOCKING = ("serious", "critical")
"""The impacts that fail a page; minor and moderate ones are reported by `violations` only."""

RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
"""The axe rule tags run: WCAG 2.1 A and AA, and axe's best practices."""


@functools.cache
def axe_source() -> str:
    """axe-core's script, from the installed `axe-playwright-python` wheel."""
    try:
        script = resources.files("axe_playwright_python").joinpath("axe.min.js")
    except ModuleNotFoundError as exc:  # pragma: no cover - a dev install has it
        raise RuntimeError(
            "the accessibility checks need axe-core: pip install -e '.[dev]' "
            "(the axe-playwright-python wheel ships it)"
        ) from exc
    return script.read_text(encoding="utf-8")


def violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;undefined")
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""",
        RULES,
    )
    return [v for v in found if v["impact"] in impacts]


def describe(found: list[dict[str, Any]]) -> str:
    """One line per violation: rule, impact, what it means, where (up to five elements)."""
    return "\n".join(f"  {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found)


def assert_accessible(page: Any, where: str = "") -> None:
    """Fail with every serious or critical axe-core violation on the page."""
    found = violations(page)
    assert not found, f"{where or page.url}: axe-core found\n{describe(found)}"
