"""Adjudication in Label Studio: two passes' disagreements on documents without gold, shown to a reviewer as
choices, and the reviewed export written as the gold of those documents with ADJUDICATION.md entries.

``newsclaims adjudicate A B --export tasks.json --label-config adjudication.xml`` makes one task per document
both passes hold and the gold does not (``--replace``: also those with gold). Its pick list (``keep``) has two
choices per disagreement, ``pass a`` and ``pass b``, each naming what that pass said; the passes' versions are
pre-annotated as ``pass a`` / ``pass b`` regions so the reviewer sees them in the text. What the passes agree
on is kept as it is. ``newsclaims adjudicate A B --import export.json`` reads the reviewer's annotation of each
task and writes, for those documents only:

- ``gold/<doc_id>.json``: pass a's records where both agree; for each disagreement the version picked
  (``only_a``/``only_b``: the record kept or left out; ``boundary``: that pass's span; an attribute: that
  pass's value). Registry entries the kept records name come from the passes' registries; every entity
  mention's text is one of its entity's aliases. It is validated as all gold is before anything is written.
- an ADJUDICATION.md section per document (``<!-- review:DOC_ID -->``): each disagreement, what each pass
  said, what was kept, and by whom (the Label Studio user) and when. ``newsclaims adjudicate A B`` (the log
  of a gold made otherwise) keeps these sections.

Refused in one line, nothing written: a task of another text or of passes changed since the export (its
``passes_sha256``), a disagreement with no pick or with both, a pick of no disagreement, two annotations of
one task, and a document that has gold (unless ``--replace``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..agreement import _same, match_layer
from ..corpus import CLAIM_GROUPS_FILE, GOLD_DIR, KB_FILE, QUOTE_GROUPS_FILE, AnnotationSet, Corpus, load_annotation_set
from ..jsonio import dumps_canonical
from ..labels import AUTHOR, LAYER_SPECS, LAYERS
from ..problems import InvalidInput, Problem, show
from .config import TEXT

PASSES = ("a", "b")
KEEP = "keep"  # the Choices control
PASS_LABELS = "pass"  # the Labels control highlighting each pass's version
REVIEWS_MARKER = "<!-- Label Studio reviews: newsclaims adjudicate --import writes below; kept when the log is regenerated -->"


@dataclass(frozen=True)
class Disagreement:
    """One difference of the two passes on a document: a record one pass has alone, a boundary, or an attribute."""

    layer: str
    kind: str  # only_a, only_b, boundary, or the attribute's name
    a: dict | None  # pass a's record (None: only_b)
    b: dict | None

    @property
    def key(self) -> str:
        spans = "|".join(f"[{r['start']}:{r['end']}]" for r in (self.a, self.b) if r is not None)
        return f"{self.layer}:{self.kind}:{spans}"

    def said(self, side: str) -> str:
        """What a pass said, in a line."""
        record = self.a if side == "a" else self.b
        if record is None:
            return "no such record"
        head = f"[{record['start']}:{record['end']}] {json.dumps(record['text'][:50], ensure_ascii=False)}"
        if self.kind in ("only_a", "only_b", "boundary"):
            return head + (f" {record['label']} {record['entity_id']}" if self.layer == "entities" else "")
        value = record[self.kind]
        shown = f"[{value['start']}:{value['end']}] {json.dumps(value['text'], ensure_ascii=False)}" if isinstance(value, dict) \
            else json.dumps(value, ensure_ascii=False)
        return f"{head} {self.kind} {shown}"


def disagreements(doc_a: dict, doc_b: dict) -> list[Disagreement]:
    """Every difference of two passes on one document, in text order (the pairing of ``newsclaims agree``)."""
    out = []
    for layer in LAYERS:
        ra, rb = doc_a[layer], doc_b[layer]
        _, pairs = match_layer(layer, ra, rb)
        items = [(r["start"], Disagreement(layer, "only_a", r, None)) for i, r in enumerate(ra) if i not in {p[0] for p in pairs}]
        items += [(r["start"], Disagreement(layer, "only_b", None, r)) for j, r in enumerate(rb) if j not in {p[1] for p in pairs}]
        for i, j in pairs:
            if (ra[i]["start"], ra[i]["end"]) != (rb[j]["start"], rb[j]["end"]):
                items.append((ra[i]["start"], Disagreement(layer, "boundary", ra[i], rb[j])))
            items += [(ra[i]["start"], Disagreement(layer, attr, ra[i], rb[j])) for attr in LAYER_SPECS[layer].attributes
                      if not _same(layer, attr, ra[i][attr], rb[j][attr])]
        out += [d for _, d in sorted(items, key=lambda t: (t[0], t[1].kind))]
    return out


def _passes_digest(doc_a: dict, doc_b: dict) -> str:
    return hashlib.sha256((dumps_canonical(doc_a) + dumps_canonical(doc_b)).encode()).hexdigest()


def choice_value(d: Disagreement, side: str) -> str:
    return f"{d.key} => {side}"


def label_config() -> str:
    """The reviewer's labeling config: the text, each pass's version highlighted, one pick per disagreement."""
    return "\n".join([
        "<View>",
        '  <Header value="$doc_id"/>',
        '  <Header value="Two passes disagree where a region is highlighted. For each line below, tick the version to keep: '
        'exactly one of pass a and pass b (what both passes agree on is kept as it is)." style="font-size: 13px"/>',
        f'  <Labels name="{PASS_LABELS}" toName="{TEXT}" showInline="true">',
        '    <Label value="pass a" background="#1f77b4"/>',
        '    <Label value="pass b" background="#ff7f0e"/>',
        "  </Labels>",
        f'  <Text name="{TEXT}" value="$text" granularity="symbol"/>',
        f'  <Choices name="{KEEP}" toName="{TEXT}" choice="multiple" value="$choices" required="true"'
        ' requiredMessage="Tick one version of every disagreement."/>',
        "</View>",
        "",
    ])


def _region(region_id: str, record: dict, side: str) -> dict:
    return {"id": region_id, "from_name": PASS_LABELS, "to_name": TEXT, "type": "labels",
            "value": {"start": record["start"], "end": record["end"], "text": record["text"], "labels": [f"pass {side}"]}}


def documents_to_review(corpus: Corpus, pass_a: AnnotationSet, pass_b: AnnotationSet, gold: AnnotationSet,
                        replace: bool) -> list[str]:
    """The documents both passes hold that have no gold (or any, with ``replace``), in fold order."""
    shared = [d for d in sorted(corpus.documents, key=lambda d: corpus.documents[d].fold)
              if d in pass_a.documents and d in pass_b.documents]
    return [d for d in shared if replace or d not in gold.documents]


def tasks(corpus: Corpus, pass_a: AnnotationSet, pass_b: AnnotationSet, gold: AnnotationSet, replace: bool = False) -> list[dict]:
    """One review task per document to review (``documents_to_review``)."""
    out = []
    for doc_id in documents_to_review(corpus, pass_a, pass_b, gold, replace):
        doc_a, doc_b = pass_a.documents[doc_id], pass_b.documents[doc_id]
        found = disagreements(doc_a, doc_b)
        options = [{"value": f"{n + 1}. {d.layer} {d.kind}: pass {side} says {d.said(side)}", "alias": choice_value(d, side)}
                   for n, d in enumerate(found) for side in PASSES]
        regions = [_region(f"{side}{n + 1}", record, side) for n, d in enumerate(found)
                   for side, record in (("a", d.a), ("b", d.b)) if record is not None]
        document = corpus.documents[doc_id]
        out.append({"data": {"doc_id": doc_id, TEXT: document.text, "text_sha256": document.sha256,
                             "passes_sha256": _passes_digest(doc_a, doc_b), "choices": options,
                             "disagreements": len(found)},
                    "predictions": [{"model_version": "passes a and b", "result": regions}]})
    return out


# --- the reviewed export -----------------------------------------------------------------------

@dataclass
class Review:
    doc_id: str
    reviewer: str
    when: str
    kept: list[tuple[Disagreement, str]]  # each disagreement and the side kept
    gold: dict  # the document's gold, resolved


def _picked(value) -> list[str]:
    chosen = value.get("choices") if isinstance(value, dict) else None
    chosen = [chosen] if isinstance(chosen, str) else chosen if isinstance(chosen, list) else []
    return [c[-1] if isinstance(c, list) and c else c for c in chosen]


def _unique_id(record_id: str, taken: set[str]) -> str:
    new = record_id
    while new in taken:
        new += "_b"
    return new


def resolve(doc_a: dict, doc_b: dict, picks: dict[str, str]) -> dict:
    """The gold of one document: pass a's records, each disagreement decided by ``picks`` (key -> "a" or "b")."""
    gold = {"doc_id": doc_a["doc_id"], "text_sha256": doc_a["text_sha256"]}
    for layer in LAYERS:
        ra, rb = doc_a[layer], doc_b[layer]
        _, pairs = match_layer(layer, ra, rb)
        kept = []
        for i, j in pairs:
            record = dict(ra[i])
            if picks.get(Disagreement(layer, "boundary", ra[i], rb[j]).key) == "b":
                record.update(start=rb[j]["start"], end=rb[j]["end"], text=rb[j]["text"])
            for attr in LAYER_SPECS[layer].attributes:
                if picks.get(Disagreement(layer, attr, ra[i], rb[j]).key) == "b":
                    record[attr] = rb[j][attr]
            kept.append(record)
        matched_a, matched_b = {i for i, _ in pairs}, {j for _, j in pairs}
        kept += [dict(r) for i, r in enumerate(ra) if i not in matched_a and picks.get(Disagreement(layer, "only_a", r, None).key) == "a"]
        taken = {r["id"] for r in kept} | {r["id"] for r in ra}
        for j, r in enumerate(rb):
            if j not in matched_b and picks.get(Disagreement(layer, "only_b", None, r).key) == "b":
                r = dict(r, id=_unique_id(r["id"], taken))
                taken.add(r["id"])
                kept.append(r)
        gold[layer] = sorted(kept, key=lambda r: (r["start"], r["end"], r["id"]))
    return gold


def read_reviews(path: Path, corpus: Corpus, pass_a: AnnotationSet, pass_b: AnnotationSet, gold: AnnotationSet,
                 replace: bool = False) -> list[Review]:
    """A Label Studio export of review tasks -> one Review per reviewed document; raises InvalidInput listing every problem."""
    from ..jsonio import read_json
    from .reader import author

    label = str(path)
    data = read_json(path, label)
    if not isinstance(data, list):
        raise InvalidInput([Problem(label, "", "", show(data), "a JSON list of tasks (Label Studio's JSON export)")])
    problems: list[Problem] = []
    reviews: list[Review] = []
    for index, task in enumerate(data):
        at = f"task {task.get('id', index) if isinstance(task, dict) else index}"
        info = task.get("data") if isinstance(task, dict) else None
        info = info if isinstance(info, dict) else {}
        doc_id = info.get("doc_id")
        if not isinstance(doc_id, str) or doc_id not in corpus.documents:
            problems.append(Problem(label, at, "data.doc_id", show(doc_id), "a doc_id from seeds/MANIFEST.json"))
            continue
        at = f"{at} ({doc_id})"
        if info.get("text_sha256") != corpus.documents[doc_id].sha256:
            problems.append(Problem(label, at, "data.text_sha256", show(info.get("text_sha256")), "the seed's sha256"))
            continue
        if doc_id not in pass_a.documents or doc_id not in pass_b.documents:
            problems.append(Problem(label, at, "data.doc_id", f"{doc_id}, which one of the passes does not hold",
                                    "a document of both passes"))
            continue
        doc_a, doc_b = pass_a.documents[doc_id], pass_b.documents[doc_id]
        if info.get("passes_sha256") != _passes_digest(doc_a, doc_b):
            problems.append(Problem(label, at, "data.passes_sha256", show(info.get("passes_sha256")),
                                    "the passes as they were exported (they changed since: export the review tasks again)"))
            continue
        if doc_id in gold.documents and not replace:
            problems.append(Problem(label, at, "data.doc_id", f"{doc_id}, which has gold", "a document without gold (or --replace)"))
            continue
        done = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not done:
            continue  # not reviewed yet: nothing imported for it
        if len(done) > 1:
            problems.append(Problem(label, at, "annotations", f"{len(done)} reviews ({', '.join(author(a) for a in done)})",
                                    "one review per task (delete the one not meant in Label Studio)"))
            continue
        review = done[0]
        found = disagreements(doc_a, doc_b)
        values = {choice_value(d, side): (d, side) for d in found for side in PASSES}
        picks: dict[str, str] = {}
        for item in review.get("result") or []:
            if isinstance(item, dict) and item.get("from_name") == KEEP:
                for value in _picked(item.get("value")):
                    if value not in values:
                        problems.append(Problem(label, at, KEEP, show(value), "a choice of this task's list"))
                        continue
                    d, side = values[value]
                    if d.key in picks and picks[d.key] != side:
                        problems.append(Problem(label, at, KEEP, f"both versions of {d.key}", "one version per disagreement"))
                    picks[d.key] = side
        missing = [d.key for d in found if d.key not in picks]
        if missing:
            problems.append(Problem(label, at, KEEP, f"no pick for {len(missing)} disagreements ({', '.join(missing[:3])})",
                                    "one version ticked for every disagreement"))
            continue
        when = str(review.get("updated_at") or review.get("created_at") or "")[:10]
        reviews.append(Review(doc_id, author(review), when, [(d, picks[d.key]) for d in found], resolve(doc_a, doc_b, picks)))
    if problems:
        raise InvalidInput(problems)
    return reviews


# --- writing the gold and the log --------------------------------------------------------------

def _registries(reviews: list[Review], gold: AnnotationSet, pass_a: AnnotationSet, pass_b: AnnotationSet) -> dict[str, dict]:
    """The gold's registries with every entry the reviewed documents name (from the passes) and every mention text an alias."""
    kb = {k: dict(v, aliases=list(v["aliases"])) for k, v in gold.kb.items()}
    claim_groups, quote_groups = dict(gold.claim_groups), dict(gold.quote_groups)
    for review in reviews:
        doc = review.gold
        for eid in [m["entity_id"] for m in doc["entities"]] + [q["speaker_id"] for q in doc["quotes"]] + \
                   [c["source_id"] for c in doc["numeric_claims"]]:
            if eid and eid != AUTHOR and eid not in kb:
                entry = pass_a.kb.get(eid) or pass_b.kb.get(eid)
                if entry is not None:
                    kb[eid] = dict(entry, aliases=[])
        for m in doc["entities"]:
            if m["entity_id"] in kb and m["text"] not in kb[m["entity_id"]]["aliases"]:
                kb[m["entity_id"]]["aliases"].append(m["text"])
        for table, layer, name in ((quote_groups, "quotes", "quote_group"), (claim_groups, "numeric_claims", "claim_group")):
            for r in doc[layer]:
                g = r[name]
                if g and g not in table:
                    entry = (pass_a.quote_groups if name == "quote_group" else pass_a.claim_groups).get(g) or \
                            (pass_b.quote_groups if name == "quote_group" else pass_b.claim_groups).get(g)
                    if entry is not None:
                        table[g] = entry
    return {KB_FILE: {"entities": [kb[k] for k in sorted(kb)]},
            CLAIM_GROUPS_FILE: {"claim_groups": [claim_groups[k] for k in sorted(claim_groups)]},
            QUOTE_GROUPS_FILE: {"quote_groups": [quote_groups[k] for k in sorted(quote_groups)]}}


def review_section(review: Review, names: tuple[str, str]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "⏎")

    lines = [f"<!-- review:{review.doc_id} -->", f"### {review.doc_id}: reviewed by {review.reviewer}" + (f" ({review.when})" if review.when else ""),
             "", f"Pass a: `{names[0]}`; pass b: `{names[1]}`; {len(review.kept)} disagreements, decided in Label Studio "
             "(`newsclaims adjudicate --import`). Where the passes agreed, the gold keeps their version.", ""]
    if review.kept:
        lines += ["| layer | kind | pass a | pass b | kept |", "|---|---|---|---|---|"]
        lines += [f"| {d.layer} | {d.kind} | {cell(d.said('a'))} | {cell(d.said('b'))} | pass {side} |" for d, side in review.kept]
    lines += ["", f"<!-- /review:{review.doc_id} -->"]
    return "\n".join(lines) + "\n"


def with_reviews(log: str, previous: str | None) -> str:
    """A regenerated adjudication log, followed by the review sections of the previous one (kept as written)."""
    if previous is None or REVIEWS_MARKER not in previous:
        return log
    return log.rstrip("\n") + "\n\n" + previous[previous.index(REVIEWS_MARKER):]


def _add_sections(previous: str | None, sections: dict[str, str]) -> str:
    text = previous if previous is not None else "# Adjudication log\n"
    if REVIEWS_MARKER not in text:
        text = text.rstrip("\n") + f"\n\n## Reviews in Label Studio\n\n{REVIEWS_MARKER}\n"
    for doc_id, section in sections.items():
        pattern = re.compile(rf"<!-- review:{re.escape(doc_id)} -->.*?<!-- /review:{re.escape(doc_id)} -->\n", re.S)
        text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    return text


def write_reviews(reviews: list[Review], corpus: Corpus, gold: AnnotationSet, pass_a: AnnotationSet, pass_b: AnnotationSet,
                  names: tuple[str, str]) -> list[Path]:
    """Validate the resolved gold with the gold set it joins, then write gold files, registries and the log entries."""
    import shutil
    import tempfile

    from ..safewrite import atomic_write_text

    root = Path(gold.root)
    files = {f"{GOLD_DIR}/{r.doc_id}.json": dumps_canonical(r.gold) for r in reviews}
    files.update((name, dumps_canonical(content)) for name, content in _registries(reviews, gold, pass_a, pass_b).items())
    with tempfile.TemporaryDirectory(prefix="newsclaims-adjudicate-") as staging:
        staged = Path(staging) / "annotations"
        (staged / GOLD_DIR).mkdir(parents=True)
        for path in (root / GOLD_DIR).glob("*.json"):
            shutil.copy(path, staged / GOLD_DIR / path.name)
        for rel, text in files.items():
            (staged / rel).write_text(text, encoding="utf-8")
        load_annotation_set(staged, corpus, require_complete=False)  # refused as any gold is, before anything is written
    log = root / "ADJUDICATION.md"
    previous = log.read_text("utf-8") if log.is_file() else None
    written = []
    for rel, text in files.items():
        atomic_write_text(root / rel, text)
        written.append(root / rel)
    atomic_write_text(log, _add_sections(previous, {r.doc_id: review_section(r, names) for r in reviews}))
    return [*written, log]
