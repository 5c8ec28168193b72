"""Take docs/label_studio.png: the labeling UI on one seed article with gold pre-annotations.

Needs a running Label Studio (see README, "Annotating in Label Studio"), the gold pushed to it with
`newsclaims ls push --title newsclaims-screenshot --source gold`, Debian's chromium and the
playwright package (no browser download: it drives /usr/bin/chromium).

    python docs/screenshot.py --url http://127.0.0.1:8080 --email you@example.org --password ...
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


def main() -> None:
    from label_studio_sdk import LabelStudio
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--title", default="newsclaims-screenshot")
    parser.add_argument("--doc", default="004_d0ac60c4e534b1bf")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "label_studio.png")
    args = parser.parse_args()
    client = LabelStudio(base_url=args.url, api_key=os.environ["LABEL_STUDIO_API_KEY"])
    project = next(p for p in client.projects.list() if p.title == args.title)
    task = next(t for t in client.tasks.list(project=project.id) if t.data["doc_id"] == args.doc)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1300})
        page.goto(f"{args.url}/user/login/")
        page.fill("input[name=email]", args.email)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{args.url}/projects/{project.id}/data?task={task.id}")
        page.wait_for_selector("text=Pentagon", timeout=60000)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote: {args.out}")


if __name__ == "__main__":
    main()
