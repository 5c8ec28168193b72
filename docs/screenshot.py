"""Take the screenshots in docs/: the labeling UI at 1366x768 on a seed article with gold pre-annotations.

Needs a running Label Studio (see docs/ANNOTATING.md), the gold pushed to it with
`newsclaims ls push --title newsclaims-screenshot --source gold`, Debian's chromium and the
playwright package (no browser download: it drives /usr/bin/chromium).

    LABEL_STUDIO_API_KEY=... python docs/screenshot.py --url http://127.0.0.1:8080 --email you@example.org --password ...

Writes docs/label_studio.png (the article beside the labels), docs/label_studio_number.png (a
selected NUMBER: its fields beside the text), docs/label_studio_quote.png (a selected QUOTE) and
docs/label_studio_entity_list.png (the knowledge-base list of an entity mention, searched by an alias).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
DOCS = Path(__file__).resolve().parent


def main() -> None:
    from label_studio_sdk import LabelStudio
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--title", default="newsclaims-screenshot")
    parser.add_argument("--doc", default="004_d0ac60c4e534b1bf")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    client = LabelStudio(base_url=args.url, api_key=os.environ["LABEL_STUDIO_API_KEY"])
    project = next(p for p in client.projects.list() if p.title == args.title)
    task = next(t for t in client.tasks.list(project=project.id) if t.data["doc_id"] == args.doc)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{args.url}/user/login/")
        page.fill("input[name=email]", args.email)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{args.url}/projects/{project.id}/data?task={task.id}")
        page.wait_for_selector(".lsf-htx-richtext span.htx-highlight", timeout=60000)
        page.wait_for_timeout(2000)
        if page.locator(".lsf-modal-ls_visible").count():  # the Labeling Instructions, shown first
            page.keyboard.press("Escape")
        shots = []

        def shot(name: str) -> None:
            page.wait_for_timeout(600)
            page.screenshot(path=str(DOCS / name))
            shots.append(name)

        def select(text: str) -> None:
            page.locator("h3", has_text=args.doc).first.click()
            page.keyboard.press("Escape")
            page.locator(".lsf-htx-richtext span.htx-highlight", has_text=text).first.click()

        shot("label_studio.png")
        select("10,000")
        shot("label_studio_number.png")
        select("very dangerous")
        shot("label_studio_quote.png")
        select("Pentagon")
        page.locator(".htx-taxonomy:visible").first.click()
        page.locator("input[data-testid=taxonomy-search]:visible").fill("dprk")  # an alias finds its entity
        shot("label_studio_entity_list.png")
        browser.close()
    print("wrote: " + ", ".join(f"docs/{name}" for name in shots))


if __name__ == "__main__":
    main()
