"""Presentation mode on a projector-sized screen (1280 x 720) and a phone: nothing is cut.

Measured in the browser, on what is drawn: every formula of the Overview fits its card, the
training curves on Data & training have a plot area a viewer can read, and every legend
entry of the data view lies inside its chart (issue 20: "…λ ≥" without the 0, curves as
25 px strips, the legend cut at "y ="). Screenshots go to test-artifacts/.
"""
import pytest

from tests.test_browser import ARTIFACTS, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIPPED_FORMULAS_JS = """() => [...document.querySelectorAll('.katex-display')]
    .map(el => [el.textContent.slice(0, 30),
                el.querySelector('.katex-html').getBoundingClientRect().right,
                el.closest('[data-testid="stVerticalBlock"]').getBoundingClientRect().right])
    .filter(([text, right, card]) => right > card + 1)"""

# the plot area's height of each chart: its y axis' domain line (title and axes excluded)
PLOT_HEIGHTS_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .map(chart => Math.max(0, ...[...chart.querySelectorAll('.role-axis-domain')]
                                .map(d => d.getBoundingClientRect().height)))"""

LEGEND_OVERFLOW_JS = """(index) => {
    const chart = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[index];
    const box = chart.getBoundingClientRect();
    return [...chart.querySelectorAll('.role-legend text')]
        .filter(t => { const r = t.getBoundingClientRect();
                       return r.right > box.right + 1 || r.left < box.left - 1 ||
                              r.bottom > box.bottom + 1; })
        .map(t => t.textContent);
}"""


def presentation_page(browser, url, width=1280, height=720):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.get_by_test_id("stVegaLiteChart").first.locator("svg").first.wait_for(timeout=180_000)
    settled(page)
    page.get_by_text("Presentation").first.click()
    page.wait_for_timeout(500)
    settled(page)
    return page


def test_presentation_at_1280_by_720_cuts_nothing(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = presentation_page(browser, server + "/?view=data")
    page.wait_for_timeout(1000)
    assert page.evaluate(LEGEND_OVERFLOW_JS, 0) == []
    page.screenshot(path=str(ARTIFACTS / "presentation_1280_data_view.png"))
    page.get_by_role("link", name="Overview").click()
    page.locator(".katex-display").first.wait_for(timeout=30_000)
    settled(page)
    assert page.locator(".katex-display").count() == 4
    assert page.evaluate(CLIPPED_FORMULAS_JS) == []
    page.screenshot(path=str(ARTIFACTS / "presentation_1280_overview.png"))
    page.get_by_role("link", name="Data & training").click()
    page.locator("[data-testid='stVegaLiteChart'] text",
                 has_text="GD step").first.wait_for(timeout=60_000)
    settled(page)
    page.wait_for_timeout(1000)
    heights = page.evaluate(PLOT_HEIGHTS_JS)[:3]   # the training curves come first
    assert len(heights) == 3 and min(heights) >= 100, heights
    page.screenshot(path=str(ARTIFACTS / "presentation_1280_data.png"))


def test_the_data_view_legends_fit_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for link in ("/?data=xor&dim=2&view=data", "/?view=data"):
        page.goto(server + link)
        page.get_by_test_id("stVegaLiteChart").first.locator(
            ".role-legend text").first.wait_for(timeout=180_000)
        settled(page)
        page.wait_for_timeout(800)
        assert page.evaluate(LEGEND_OVERFLOW_JS, 0) == [], link
    page.screenshot(path=str(ARTIFACTS / "phone_data_view.png"))


LABELS_OVER_POINTS_JS = """() => {
    const chart = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[0];
    const points = [];
    for (const mark of chart.querySelectorAll('g.mark-symbol.role-mark > path')) {
        const d = mark.__data__ && mark.__data__.datum;
        if (!d || d.index === undefined) continue;
        const r = mark.getBoundingClientRect();
        points.push([d.index, r.x + r.width / 2, r.y + r.height / 2]);
    }
    const bad = [];
    for (const text of chart.querySelectorAll('g.mark-text.role-mark > text')) {
        const d = text.__data__ && text.__data__.datum;
        if (!d || d.index === undefined) continue;
        const b = text.getBoundingClientRect();
        for (const [index, x, y] of points)
            if (index !== d.index && x > b.left && x < b.right && y > b.top && y < b.bottom)
                bad.push([d.index, index]);
    }
    return [points.length, bad];
}"""


def test_no_index_label_covers_another_point_of_a_dense_plane(server, browser):
    """n = 400: a label drawn over point 9 made a click on the label select 9 (issue 20)."""
    for width, presentation in ((1440, False), (1280, True)):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(server + "/?n_samples=400&dim=4000&forget=")
        page.get_by_test_id("stVegaLiteChart").first.locator(
            "g.mark-text.role-mark text").first.wait_for(timeout=180_000)
        settled(page)
        if presentation:
            page.get_by_text("Presentation").first.click()
            page.wait_for_timeout(800)
            settled(page)
        count, bad = page.evaluate(LABELS_OVER_POINTS_JS)
        assert count == 400 and bad == [], (width, bad[:10])
        page.close()


TEXT_OVERLAPS_JS = """(chartIndex) => {
    const chart = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[chartIndex];
    const boxes = [...chart.querySelectorAll('g.mark-text.role-mark > text')]
        .filter(t => t.textContent.trim()).map(t => [t.textContent, t.getBoundingClientRect(),
                                                    t.closest('g.mark-group.role-scope')]);
    const bad = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [ta, a, ga] = boxes[i], [tb, b, gb] = boxes[j];
        if (ga === gb && a.left < b.right - 1 && b.left < a.right - 1 &&
            a.top < b.bottom - 1 && b.top < a.bottom - 1) bad.push([ta, tb]);
    }
    return [boxes.length, bad];
}"""


def test_method_names_do_not_overlap_on_the_methods_charts(server, browser):
    """Issue 20: "GA (one step)" over "GA (k steps)", "fine-tune" over "retrain", and the
    audit's names on top of each other."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(server + "/methods")
    page.get_by_test_id("stVegaLiteChart").first.locator(
        "g.mark-text.role-mark text").first.wait_for(timeout=180_000)
    settled(page)
    count, bad = page.evaluate(TEXT_OVERLAPS_JS, 0)
    assert count >= 8 and bad == [], bad
    page.get_by_text("run the audit").click()
    page.get_by_test_id("stVegaLiteChart").nth(1).wait_for(timeout=180_000)
    settled(page)
    page.wait_for_timeout(1000)
    charts = page.get_by_test_id("stVegaLiteChart").count()
    audit = next(k for k in range(charts) if "density" in page.get_by_test_id(
        "stVegaLiteChart").nth(k).inner_text())
    count, bad = page.evaluate(TEXT_OVERLAPS_JS, audit)
    assert count >= 8 and bad == [], bad
    page.screenshot(path=str(ARTIFACTS / "methods_labels.png"), full_page=True)


def test_a_dark_system_preference_keeps_the_light_page_the_charts_are_made_for(server, browser):
    """The app stays light (the README says why): a browser that prefers dark still gets
    the white page the chart palette and exported figures are designed on."""
    page = browser.new_page(viewport={"width": 1280, "height": 720},
                            color_scheme="dark")
    page.goto(server + "/")
    page.get_by_test_id("stVegaLiteChart").first.locator("svg").first.wait_for(
        timeout=180_000)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    background = page.evaluate("getComputedStyle(document.querySelector("
                               "'[data-testid=\"stApp\"]')).backgroundColor")
    assert background == "rgb(255, 255, 255)"
