"""Whether keyboard focus shows: a visible outline on the focused element, or on the ::before /
::after that draws it (a catalog card draws its ring on the title link's ::after)."""

from __future__ import annotations

from playwright.sync_api import Page

SHOWS = """(element) => element.matches(":focus-visible") && [null, "::before", "::after"].some(
  (pseudo) => {
    const style = getComputedStyle(element, pseudo);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  })"""

# What has focus now, and whether it shows.
CURRENT = f"""() => {{
  const element = document.activeElement;
  if (!element || element === document.body) return {{lost: true}};
  return {{lost: false, shows: ({SHOWS})(element), what: element.outerHTML.slice(0, 160)}};
}}"""

# Every element a keyboard can reach, focused in turn: those whose focus does not show.
UNSEEN = f"""() => {{
  const reachable = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
  const unseen = [];
  for (const element of document.querySelectorAll(reachable)) {{
    if (element.disabled || element.tabIndex < 0) continue;
    element.focus();
    if (document.activeElement !== element || !element.getClientRects().length) continue;
    if (!({SHOWS})(element)) unseen.push(element.outerHTML.slice(0, 160));
  }}
  document.activeElement.blur();
  return unseen;
}}"""


def current(page: Page) -> dict:
    """The focused element (`what`), whether focus `shows`, or `lost` (on <body>)."""
    return page.evaluate(CURRENT)


def unseen(page: Page) -> list[str]:
    """The elements of the page whose keyboard focus would not show."""
    page.keyboard.press("Tab")  # focus from the keyboard: :focus-visible applies from here on
    return page.evaluate(UNSEEN)
