# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The documentation fits the page, as a browser draws it: every page, opened in headless chromium
at the width of a desktop and of a phone, has nothing in its content wider than the content
column, unless it scrolls inside it; the code of the tutorial's scripts and of the recruiters'
pages fits without scrolling; and the API reference shows the calls users make, not pyre's
constructor
"""

# externals
import base64
import importlib.util
import os
import shutil

import pytest

# the helpers
from tests.test_docs import build


# the widths of the window, in css pixels: a desktop's, with the sidebar beside the content, and
# a phone's, with it above
WIDTHS = (1280, 480)

# the chromium of debian, and its name elsewhere
BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# what is wider than the content column of the page, and neither scrolls nor is inside an
# element that scrolls, or what cuts off what it holds; one entry for each, with its place
OVERFLOW = r"""
const main = document.querySelector('div.body[role="main"]');
const frame = getComputedStyle(main);
const box = main.getBoundingClientRect();
const left = box.left + parseFloat(frame.paddingLeft);
const right = box.right - parseFloat(frame.paddingRight);
const scrolls = (element) => ['auto', 'scroll'].includes(getComputedStyle(element).overflowX);
const found = [];
for (const element of main.querySelectorAll('*')) {
    const rect = element.getBoundingClientRect();
    // what is not drawn takes no room
    if (!rect.width) continue;
    // a box that hides what it holds past its edge cuts it
    const style = getComputedStyle(element);
    const cut = ['hidden', 'clip'].includes(style.overflowX) && element.scrollWidth > element.clientWidth + 1;
    // past the column, and not inside something that scrolls, which is checked itself
    let inside = false;
    for (let up = element.parentElement; up && up !== main; up = up.parentElement) {
        if (scrolls(up)) { inside = true; break; }
    }
    const wide = !inside && (rect.left < left - 1 || rect.right > right + 1);
    if (cut || wide) {
        found.push({
            element: [element.tagName.toLowerCase(), ...(element.getAttribute('class') || '').split(' ').filter(Boolean)].join('.'),
            width: Math.round(rect.width),
            column: Math.round(right - left),
            cut: cut,
            text: (element.textContent || '').trim().slice(0, 60),
        });
    }
}
return found;
"""

# the code blocks on the page that scroll: those wider than the column
SCROLLING = r"""
return Array.from(document.querySelectorAll(arguments[0]))
    .filter((block) => block.scrollWidth > block.clientWidth + 1)
    .map((block) => ({width: block.scrollWidth, column: block.clientWidth, text: block.textContent.trim().slice(0, 60)}));
"""


# helpers
def tools():
    """
    The path of chromium and of its driver, after selenium is found; skip the test without them,
    or fail it under CI, which installs them (see .ci/run)
    """
    # what is missing
    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    driver = shutil.which("chromedriver")
    missing = [
        name
        for name, found in (
            ("selenium (pip install -e '.[test]')", importlib.util.find_spec("selenium")),
            ("chromium (apt-get install chromium)", browser),
            ("chromedriver (apt-get install chromium-driver)", driver),
        )
        if found is None
    ]
    # if anything
    if missing:
        reason = f"the browser test needs {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    # all done
    return browser, driver


def open_browser(browser, driver):
    """
    Start headless {browser} through its {driver}, with no network: the pages are files, and a
    page must fit without what it would fetch, e.g. the script that draws its diagrams
    """
    # import here, so a run without selenium gets to say so
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # the options
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        # as root, and in containers, whose shared memory is small
        "--no-sandbox",
        "--disable-dev-shm-usage",
        # every host name is unknown, so nothing leaves the machine
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--window-size={WIDTHS[0]},900",
    ):
        options.add_argument(argument)
    # the driver named, so selenium does not look for one on the network
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def screenshot(session, path):
    """
    Save the whole of the page in {session}, not just its window, to {path}
    """
    # the size of the page
    size = session.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    # draw it
    shot = session.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    # all done
    return


# the test
@pytest.mark.timeout(600)
def test_pages_fit_the_column(tmp_path):
    """
    Each page, at each width, keeps its content inside the content column: tables and code
    blocks that need more room scroll inside it; the code on the tutorial and recruiter pages
    fits as it is; and the API reference shows {Staff(name, **traits)}, not pyre's keywords
    """
    # the browser and its driver, before the build, so a run without them is told at once
    browser, driver = tools()
    # the pages
    pages = build(tmp_path)
    documents = sorted(
        page for page in pages.rglob("*.html") if page.relative_to(pages).parts[0] not in ("_static", "_sources")
    )
    # the screenshots
    shots = tmp_path / "screenshots"
    shots.mkdir()
    # what does not fit, and what should not scroll but does
    wide, scrolling = [], []
    # open the browser
    session = open_browser(browser=browser, driver=driver)
    try:
        for width in WIDTHS:
            session.set_window_size(width, 900)
            for page in documents:
                name = page.relative_to(pages).with_suffix("").as_posix()
                session.get(page.as_uri())
                # keep a picture of it
                screenshot(session, shots / f"{name.replace('/', '-')}-{width}.png")
                # look for what does not fit
                wide += [(name, width, element) for element in session.execute_script(OVERFLOW)]
                # on a desktop, the code of the tutorial's scripts and configurations, and of the
                # recruiters' examples, fits as it is
                if width == WIDTHS[0] and (name == "tutorial" or name.startswith("recruiters/")):
                    blocks = "div.highlight-python pre, div.highlight-ini pre" if name == "tutorial" else "div.body pre"
                    scrolling += [(name, block) for block in session.execute_script(SCROLLING, blocks)]
                # the API reference shows the calls of its users
                if name == "api":
                    text = session.find_element("css selector", 'div.body[role="main"]').text
                    assert "locator=None" not in text, "the API reference shows pyre's constructor"
                    assert "Staff(name, **traits)" in text
    finally:
        session.quit()
    # report
    report = "\n".join(f"{name} at {width}px: {element}" for name, width, element in wide)
    assert not wide, f"wider than the content column (screenshots in {shots}):\n{report}"
    report = "\n".join(f"{name}: {block}" for name, block in scrolling)
    assert not scrolling, f"code that should fit the column scrolls (screenshots in {shots}):\n{report}"


# end of file
