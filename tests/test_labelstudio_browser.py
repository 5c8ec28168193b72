"""An annotator's loop in the real Label Studio UI: headless Debian chromium driven by Playwright.

The test starts its own Label Studio server, pushes the mini fixture's tasks without
pre-annotations, and then, with mouse and keyboard only, creates an entity mention, a QUOTE with
a relation to that mention (its speaker), and a NUMBER whose value, unit, approximation, source and
claim group are filled from the lists (after Label Studio refused to submit it without them); it submits, pulls the export and imports it, and checks that
the pass holds exactly those records.

Needs chromium (Debian's package at /usr/bin/chromium, or NEWSCLAIMS_CHROMIUM) and the playwright
package (never a browser download); skips here without them, fails in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from conftest import MINI
from ls_server import PASSWORD, USER, running_server
from newsclaims.corpus import load_annotation_set, load_corpus

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]

# The screen position of a substring of the article: its first and last character's boxes.
TEXT_BOXES = """([needle, nth]) => {
  const root = document.querySelector('.lsf-htx-richtext');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, full = '', nodes = [];
  while ((node = walker.nextNode())) { nodes.push([node, full.length]); full += node.data; }
  let at = -1; for (let i = 0; i <= nth; i++) at = full.indexOf(needle, at + 1);
  if (at < 0) return null;
  const locate = (offset) => { for (const [n, s] of nodes) if (offset >= s && offset < s + n.data.length) return [n, offset - s]; };
  const box = (offset) => { const [n, o] = locate(offset); const r = document.createRange();
    r.setStart(n, o); r.setEnd(n, o + 1); return r.getBoundingClientRect(); };
  const a = box(at), b = box(at + needle.length - 1);
  return [a.left + 1, a.top + a.height / 2, b.right - 1, b.top + b.height / 2];
}"""


def _chromium() -> str | None:
    found = os.environ.get("NEWSCLAIMS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).is_file() else None


@pytest.fixture(scope="module")
def browser():
    chromium = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if chromium is None or sync_playwright is None:
        missing = "chromium (apt-get install chromium)" if chromium is None else "playwright (pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {missing} (see .ci/run)")
        pytest.skip(f"{missing} is not installed here (CI installs it: see .ci/run)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("label-studio-browser")) as found:
        yield found


class Annotator:
    """What a person does in the labeling screen, as mouse and keyboard actions."""

    def __init__(self, page, doc_id: str):
        self.page, self.doc_id = page, doc_id

    def select_text(self, needle: str) -> None:
        boxes = self.page.evaluate(TEXT_BOXES, [needle, 0])
        assert boxes, f"{needle!r} is not on the page"
        x1, y1, x2, y2 = boxes
        mouse = self.page.mouse
        mouse.move(x1, y1)
        mouse.down()
        mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
        mouse.move(x2, y2, steps=4)
        mouse.up()

    def region(self, label: str, needle: str) -> None:
        """Pick a label, drag over the text, then select the new region to see its fields."""
        self.unselect()
        self.page.locator(".lsf-label:visible", has_text=label).first.click()
        self.select_text(needle)
        self.page.keyboard.press("Escape")
        self.click_region(needle)

    def unselect(self) -> None:
        """Leave the selected region (a label clicked while a region is selected would relabel it)."""
        self.page.locator("h3", has_text=self.doc_id).first.click()  # the document's heading: no region there
        self.page.keyboard.press("Escape")
        self.page.wait_for_timeout(200)

    def click_region(self, needle: str) -> None:
        self.page.locator(".lsf-htx-richtext span.htx-highlight", has_text=needle).last.click()
        self.page.wait_for_timeout(300)

    def pick(self, query: str, entry: str, field_index: int = 0) -> None:
        """A searchable list (Taxonomy): type part of the id, name or alias, click the entry."""
        self.open_list(self.page.locator(".htx-taxonomy:visible").nth(field_index))
        self.page.locator("input[data-testid=taxonomy-search]:visible").fill(query)
        self.page.wait_for_timeout(400)  # the list settles after filtering
        self.page.locator(".ant-select-tree-title:visible", has_text=entry).first.click()
        self.close_list()

    def close_list(self) -> None:
        self.page.keyboard.press("Escape")
        for _ in range(50):  # until the dropdown is gone, so the next click opens the next list
            if not self.page.locator("input[data-testid=taxonomy-search]:visible").count():
                return
            self.page.wait_for_timeout(100)

    def open_list(self, box) -> None:
        """Open a list's dropdown (a click while another list is still closing does not: click again)."""
        search = self.page.locator("input[data-testid=taxonomy-search]:visible")
        for _ in range(3):
            box.click()
            try:
                search.wait_for(timeout=2000)
                return
            except Exception:
                self.close_list()
        search.wait_for()

    def choose(self, value: str) -> None:
        self.page.locator(f"label:has(input[name='{value}']):visible").first.click()

    def select(self, field_index: int, value: str) -> None:
        self.page.locator("[data-testid=select-trigger]:visible").nth(field_index).click()
        self.page.get_by_role("option", name=value, exact=True).click()

    def type_into(self, selector: str, text: str, enter: bool) -> None:
        box = self.page.locator(selector).first
        box.click()
        box.fill(text)
        if enter:
            box.press("Enter")


def _api(url: str, token: str, path: str):
    request = urllib.request.Request(url + path, headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.mark.slow
def test_an_annotator_creates_regions_in_the_real_ui_and_the_import_holds_exactly_them(cli, server, browser, tmp_path, monkeypatch):
    url, token = server
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    seeds, annotations = MINI / "seeds", MINI / "annotations"
    pushed = cli("ls", "push", "--url", url, "--title", "browser", "--seeds", seeds, "--annotations", annotations, "--source", "none")
    assert pushed.code == 0, pushed.err
    project = next(p for p in _api(url, token, "/api/projects/")["results"] if p["title"] == "browser")
    task = next(t for t in _api(url, token, f"/api/tasks/?project={project['id']}")["tasks"] if t["data"]["doc_id"] == "mini_a")

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(30_000)
    page.goto(f"{url}/user/login/")
    page.fill("input[name=email]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{url}/projects/{project['id']}/data?task={task['id']}")
    page.wait_for_selector(".lsf-htx-richtext", timeout=120_000)
    you = Annotator(page, "mini_a")

    you.region("PERSON", "Joe Biden")  # an entity mention, linked from the list
    you.pick("biden", "joe_biden")

    you.region("QUOTE", "very dangerous.")
    you.choose("direct")
    you.pick("joe", "joe_biden")
    you.pick("dangerous", "very_dangerous", 1)  # the quote group list, after the speaker's
    page.get_by_role("button", name="Create Relation").click()  # the speaker is the mention itself
    you.click_region("Joe Biden")

    you.region("NUMBER", "10,000")
    page.get_by_role("button", name="Submit current annotation").click()  # too early: the UI refuses, as the import would
    warning = page.get_by_text("Every NUMBER needs: Value.")
    warning.wait_for()
    page.get_by_role("button", name="OK").click()  # Label Studio has selected the region that lacks it
    warning.wait_for(state="hidden")
    you.type_into("input[name=value]:visible", "10000", enter=False)
    you.type_into("input[placeholder='e.g. troop']:visible", "troop", enter=True)
    you.choose("approximate")
    you.pick("penta", "pentagon")
    you.pick("troops", "troops_sent", 1)
    page.screenshot(path=str(tmp_path / "before-submit.png"))

    page.get_by_role("button", name="Submit current annotation").click()
    page.wait_for_timeout(2000)
    page.close()

    export = tmp_path / "export.json"
    pulled = cli("ls", "pull", "--url", url, "--title", "browser", "--seeds", seeds, "--out", export)
    assert pulled.code == 0, pulled.err
    status = cli("ls", "status", "--url", url, "--title", "browser", "--seeds", seeds)
    assert status.code == 0 and f"{USER}: 1 done" in status.out and "1 open" in status.out, status.out
    passes = tmp_path / "passes"
    imported = cli("ls", "import", export, "--seeds", seeds, "--annotations", annotations, "--passes", passes)
    assert imported.code == 0, imported.err
    corpus = load_corpus(seeds)
    result = load_annotation_set(passes / "tester_example.org", corpus, require_complete=False)
    assert set(result.documents) == {"mini_a"}  # mini_b was left open: nothing is invented for it
    doc = result.documents["mini_a"]
    strip = lambda records: [{k: v for k, v in r.items() if k != "id"} for r in records]  # noqa: E731
    biden = {"start": 12, "end": 21, "text": "Joe Biden"}
    assert strip(doc["entities"]) == [{**biden, "label": "PERSON", "entity_id": "joe_biden"}]
    assert strip(doc["quotes"]) == [{"start": 41, "end": 56, "text": "very dangerous.", "type": "direct", "speaker": biden,
                                     "speaker_id": "joe_biden", "cue": None, "quote_group": "very_dangerous"}]
    text = corpus.documents["mini_a"].text
    start = text.index("10,000")
    assert strip(doc["numeric_claims"]) == [{"start": start, "end": start + 6, "text": "10,000", "value": 10000, "unit": "troop",
                                             "approx": "approximate", "source": None, "source_id": "pentagon",
                                             "claim_group": "troops_sent"}]


def _log_in(browser, url: str, email: str, password: str, sign_up: bool = False):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(30_000)
    page.goto(f"{url}/user/{'signup' if sign_up else 'login'}/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def _label_stream(page, url: str, project_id: int) -> Annotator:
    """Label All Tasks: the view with Skip, that hands out the next task; its instructions come first."""
    page.goto(f"{url}/projects/{project_id}/data?labeling=1")
    page.wait_for_selector(".lsf-htx-richtext", timeout=120_000)
    instructions = page.locator(".lsf-modal-ls_visible", has_text="Labeling Instructions")
    instructions.wait_for()
    assert "1. Entities" in instructions.inner_text()
    page.keyboard.press("Escape")
    instructions.wait_for(state="hidden")
    doc_id = page.locator(".lsf-htx-richtext").first.evaluate(
        "node => node.closest('.lsf-main-view, body').innerText.match(/mini_[a-z]/)[0]")
    return Annotator(page, doc_id)


def _replace_pick(you: Annotator, field_index: int, query: str, entry: str) -> None:
    """A pre-filled pick: clear it (x), then pick from the searchable list."""
    box = you.page.locator(".htx-taxonomy:visible").nth(field_index)
    box.locator(".ant-select-selection-item-remove").click()
    you.open_list(box)
    you.page.locator("input[data-testid=taxonomy-search]:visible").fill(query)
    you.page.wait_for_timeout(400)
    you.page.locator(".ant-select-tree-title:visible", has_text=entry).first.click()
    you.close_list()


def _delete_region(you: Annotator, needle: str) -> None:
    you.unselect()
    you.click_region(needle)
    you.page.keyboard.press("Backspace")
    you.page.wait_for_timeout(300)


@pytest.mark.slow
def test_a_first_timer_finishes_a_rules_pre_annotated_task_and_a_second_annotator_works_on_their_own(cli, server, browser,
                                                                                                     tmp_path, monkeypatch):
    """ann1 fixes (deletes a spurious region), fills (quote group, source) and submits on the first attempt; ann2 then
    gets the same document from the same pre-annotations, never ann1's annotation, and submits their own."""
    url, token = server
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    seeds, annotations = MINI / "seeds", MINI / "annotations"
    pushed = cli("ls", "push", "--url", url, "--title", "first-timer", "--seeds", seeds, "--annotations", annotations,
                 "--source", "model:rules")
    assert pushed.code == 0 and "2 annotators per task" in pushed.out, pushed.err
    project = next(p for p in _api(url, token, "/api/projects/")["results"] if p["title"] == "first-timer")

    page = _log_in(browser, url, USER, PASSWORD)
    you = _label_stream(page, url, project["id"])
    assert you.doc_id == "mini_a"
    todo = page.get_by_text("To fill before Submit: 1 required field in 1 region")
    assert todo.is_visible() and 'entity_id of "About"' in todo.inner_text()
    _delete_region(you, "About")  # fix: a spurious PERSON
    you.unselect()
    you.click_region("very dangerous.")
    _replace_pick(you, 1, "dangerous", "very_dangerous")  # fill: the quote group instead of "- none"
    you.unselect()
    you.click_region("10,000")
    _replace_pick(you, 0, "penta", "pentagon")  # the source the text names, instead of author
    page.get_by_role("button", name="Submit current annotation").click()
    page.wait_for_timeout(2500)
    assert not page.locator(".lsf-modal-ls_visible").count(), "Label Studio refused the first submit"
    page.close()

    second = _log_in(browser, url, "two@example.org", "secret-password-2", sign_up=True)
    other = _label_stream(second, url, project["id"])
    assert other.doc_id == "mini_a"  # the task ann1 did: overlap first
    assert second.locator(".lsf-htx-richtext span.htx-highlight", has_text="About").count()  # the pre-annotations, not ann1's
    assert not second.get_by_role("button", name="Update").count()
    _delete_region(other, "About")
    second.get_by_role("button", name="Submit current annotation").click()
    second.wait_for_timeout(2500)
    assert not second.locator(".lsf-modal-ls_visible").count()
    second.close()

    export = tmp_path / "export.json"
    assert cli("ls", "pull", "--url", url, "--title", "first-timer", "--seeds", seeds, "--out", export).code == 0
    status = cli("ls", "status", export, "--seeds", seeds, "--passes", tmp_path / "passes")
    assert f"{USER}: 1 done (task" in status.out and "two@example.org: 1 done (task" in status.out, status.out
    passes = tmp_path / "passes"
    imported = cli("ls", "import", export, "--seeds", seeds, "--annotations", annotations, "--passes", passes)
    assert imported.code == 0, imported.err
    corpus = load_corpus(seeds)
    one = load_annotation_set(passes / "tester_example.org", corpus, require_complete=False).documents["mini_a"]
    two = load_annotation_set(passes / "two_example.org", corpus, require_complete=False).documents["mini_a"]
    assert "About" not in [m["text"] for m in one["entities"]] and "About" not in [m["text"] for m in two["entities"]]
    assert [q["quote_group"] for q in one["quotes"] if q["text"] == "very dangerous."] == ["very_dangerous"]
    assert [q["quote_group"] for q in two["quotes"] if q["text"] == "very dangerous."] == [None]  # ann2's own answer
    assert [c["source_id"] for c in one["numeric_claims"]] == ["pentagon"] and [c["source_id"] for c in two["numeric_claims"]] == ["author"]
