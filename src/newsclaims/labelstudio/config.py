"""The labeling config and the pick lists: what every part of the Label Studio round trip shares.

One config covers the three layers on the article text (``granularity="symbol"``, so regions are
code-point offsets like ours). The text sits on the left; the fields of the selected region sit
beside it on the right. Every record becomes a region whose id is the record's id with a layer
prefix; per-region attributes are perRegion controls sharing the region's id:

- ``entity`` Labels (the linked name types) with ``entity_id`` (a searchable list of the knowledge
  base) and ``time`` Labels (DATE, TIME: never linked);
- ``span`` Labels QUOTE with ``quote_type``, ``speaker_id`` and ``quote_group``;
- ``span`` Labels NUMBER with ``value``, ``unit``, ``approx``, ``source_id`` and ``claim_group``;
- ``span`` Labels SPEAKER, CUE, SOURCE for speakers, cues and sources that are no entity mention
  (one region per span: a SPEAKER region can also be a claim's source, and the other way round).

A quote's speaker and a claim's source are relations from the QUOTE/NUMBER region to an entity
mention or to a SPEAKER/SOURCE region; a cue is a relation to a CUE region. A relation needs no
label: ``speaker``, ``cue`` or ``source`` follows from the regions it joins.

Every id field is picked from a list built from the registries (task data, so the lists are the
ones of the set being annotated). Rare cases have list entries of their own: ``+ new entity``
(then ``new_entity`` reads ``id | name | TYPE``), ``+ new group`` (then ``new_group`` reads
``id | description``), ``- none`` (a null speaker_id, source_id or quote_group) and ``author``.

What a pass must have (the config marks these ``required``, so Label Studio refuses to submit an
annotation without them, and the import refuses them by name): entity_id for every PERSON … LANGUAGE
mention; quote_type, speaker_id and quote_group for every QUOTE; value, unit, approx, source_id and
claim_group for every NUMBER. ``- none`` is an answer; an empty field is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from ..corpus import AnnotationSet
from ..labels import APPROX_VALUES, AUTHOR, ENTITY_LABELS, QUOTE_TYPES, UNLINKED_ENTITY_LABELS

TEXT = "text"
NAME_LABELS = tuple(label for label in ENTITY_LABELS if label not in UNLINKED_ENTITY_LABELS)
TIME_LABELS = tuple(label for label in ENTITY_LABELS if label in UNLINKED_ENTITY_LABELS)
SPAN_LABELS = ("QUOTE", "NUMBER", "SPEAKER", "CUE", "SOURCE")
RELATIONS = {"speaker": ("QUOTE", "SPEAKER"), "cue": ("QUOTE", "CUE"), "source": ("NUMBER", "SOURCE")}
ATTRIBUTE_PREFIX = {"speaker": "spk-", "cue": "cue-", "source": "src-"}
CONFIG_PATH = Path("annotations") / "label_studio" / "config.xml"
REQUIRED = ' required="true"'
FIELD_STYLE = "font-size: 13px; font-weight: 600; margin: 8px 0 2px"
PANEL_STYLE = "font-size: 16px; font-weight: 700; margin: 10px 0 4px"
HINT_STYLE = "font-size: 12px; font-weight: 400; margin: 6px 0; opacity: 0.8"
NEW = "+new"  # the stored value of the "+ new entity" / "+ new group" list entries
NONE = "-none"  # the stored value of "- none": a deliberate null
# Task data fields holding the pick lists (built from the registries by ``choice_lists``).
LISTS = {"entity_id": "kb_choices", "speaker_id": "speaker_choices", "source_id": "source_choices",
         "quote_group": "quote_group_choices", "claim_group": "claim_group_choices"}
# The per-region fields a QUOTE and a NUMBER must have (the config marks them required).
QUOTE_FIELDS = ("quote_type", "speaker_id", "quote_group")
NUMBER_FIELDS = ("value", "unit", "approx", "source_id", "claim_group")


# Every label's hotkey (Label Studio's own shortcuts use u and modifier keys) and its hint on hover.
HOTKEYS = {"PERSON": "1", "NORP": "2", "FAC": "3", "ORG": "4", "GPE": "5", "LOC": "6", "PRODUCT": "7", "EVENT": "8",
           "WORK_OF_ART": "9", "LAW": "0", "LANGUAGE": "l", "DATE": "d", "TIME": "t",
           "QUOTE": "q", "NUMBER": "n", "SPEAKER": "s", "CUE": "c", "SOURCE": "o"}
HINTS = {
    "PERSON": "a named person, without titles: Joe Biden", "NORP": "nationality, religious or political group: North Korean",
    "FAC": "building, airport, bridge: Kursk Nuclear Power Plant", "ORG": "organisation: Pentagon, NATO, NSC",
    "GPE": "country, city, state: North Korea, Washington", "LOC": "place that is no GPE: eastern Russia, Kursk Region",
    "PRODUCT": "object, vehicle, weapon: HIMARS", "EVENT": "named event: World War II",
    "WORK_OF_ART": "title of a book, song, programme", "LAW": "named law or treaty",
    "LANGUAGE": "named language", "DATE": "date or period, relative ones too: Monday, coming weeks (never linked)",
    "TIME": "time of day: 9 a.m. (never linked)",
    "QUOTE": "what someone said: the quoted words (direct) or the reported content (indirect)",
    "NUMBER": "a number claimed about a quantity: 10,000 (troops)",
    "SPEAKER": "a speaker that is no named mention: She, the official",
    "CUE": "the reporting verb: said, told, according to", "SOURCE": "who claims a number, when no named mention: officials",
}


def label_config() -> str:
    """The labeling config, generated from the schema's label lists."""
    def labels(name: str, values, title: str) -> str:
        inner = "\n".join(f"      <Label value={quoteattr(v)} hotkey={quoteattr(HOTKEYS[v])} hint={quoteattr(HINTS[v])}/>"
                           for v in values)
        return (f'    <Header value={quoteattr(title)} style="{FIELD_STYLE}"/>\n'
                f'    <Labels name="{name}" toName="{TEXT}" showInline="true">\n{inner}\n    </Labels>')

    def needed(title: str, label: str) -> str:
        field_name = title.split(" (")[0]
        message = (f"Every {label} needs: {field_name}. Label Studio has selected the first region without it; the line "
                   "above the text lists every required field the pre-annotations left empty (Labeling Instructions, section 6).")
        return f" requiredMessage={quoteattr(message)}"

    def when(tag: str, label: str | None) -> str:
        # on the control itself too: Label Studio's "required" check reads the control's own conditions
        return (f' visibleWhen="region-selected" whenTagName="{tag}"'
                + (f' whenLabelValue="{label}"' if label else ""))

    def heading(title: str) -> str:
        return f'      <Header value={quoteattr(title)} style="{FIELD_STYLE}"/>'

    def pick(name: str, title: str, tag: str, label: str | None) -> str:
        return (heading(title) + "\n" +
                f'      <Taxonomy name="{name}" toName="{TEXT}" perRegion="true" value="${LISTS[name]}" required="true"'
                f'{needed(title, label or "entity mention")}{when(tag, label)} placeholder="search by id, name or alias" maxUsages="1"'
                f' leafsOnly="true" dropdownWidth="400px"/>')

    def choices(name: str, title: str, values, label: str) -> str:
        inner = "".join(f"<Choice value={quoteattr(v)}/>" for v in values)
        return (heading(title) + "\n" +
                f'      <Choices name="{name}" toName="{TEXT}" perRegion="true" choice="single-radio" showInline="true"'
                f' required="true"{needed(title, label)}{when("span", label)}>{inner}</Choices>')

    def textarea(name: str, title: str, condition: str, hint: str, required: bool = False) -> str:
        return (heading(title) + "\n" +
                f'      <TextArea name="{name}" toName="{TEXT}" perRegion="true" maxSubmissions="1" editable="true" rows="1"'
                f'{REQUIRED + needed(title, "NUMBER") if required else ""}{condition} placeholder={quoteattr(hint)}/>')

    def panel(tag: str, label: str | None, title: str, body: list[str]) -> list[str]:
        return [f"    <View{when(tag, label)}>", f'      <Header value={quoteattr(title)} style="{PANEL_STYLE}"/>', *body, "    </View>"]

    relations = "\n".join(f'      <Relation value="{r}"/>' for r in RELATIONS)
    return "\n".join([
        '<View style="display: flex; align-items: flex-start; gap: 16px">',
        '  <View style="flex: 1 1 55%; min-width: 0">',
        f'    <Header value="$doc_id" style="{PANEL_STYLE}"/>',
        f'    <Header value="$todo" style="{HINT_STYLE}"/>',
        f'    <Text name="{TEXT}" value="$text" granularity="symbol"/>',
        "  </View>",
        '  <View style="flex: 0 0 42%; position: sticky; top: 0; max-height: 100vh; overflow-y: auto; '
        'padding: 0 8px; border-left: 1px solid #ddd">',
        *panel("entity", None, "Entity", [
            pick("entity_id", "Knowledge-base entity", "entity", None),
            textarea("new_entity", "New entity (only with + new entity): id | name | TYPE", when("entity", None),
                     "e.g. kim_jong_un (name and type default to the mention)"),
        ]),
        *panel("span", "QUOTE", "Quote", [
            choices("quote_type", "Quote type", QUOTE_TYPES, "QUOTE"),
            pick("speaker_id", "Speaker (who said it; pronouns resolved)", "span", "QUOTE"),
            pick("quote_group", "Quote group (the same utterance in other articles)", "span", "QUOTE"),
        ]),
        *panel("span", "NUMBER", "Numeric claim", [
            heading("Value (a number: 10,000 is 10000)"),
            f'      <Number name="value" toName="{TEXT}" perRegion="true" step="any" required="true"{needed("Value", "NUMBER")}'
            ' whenLabelValue="NUMBER"/>',
            textarea("unit", "Unit (singular noun: troop, soldier, death)", when("span", "NUMBER"), "e.g. troop", required=True),
            choices("approx", "Approximation", APPROX_VALUES, "NUMBER"),
            pick("source_id", "Source (who claims it; author = the article)", "span", "NUMBER"),
            pick("claim_group", "Claim group (the quantity claimed)", "span", "NUMBER"),
        ]),
        '    <View visibleWhen="region-selected" whenTagName="span" whenLabelValue="QUOTE,NUMBER">',
        f'      <Header value="Only with a + new entry above" style="{HINT_STYLE}"/>',
        textarea("new_speaker", "New speaker or source entity: id | name | TYPE", "", "e.g. kim_jong_un | Kim Jong Un | PERSON"),
        textarea("new_group", "New group: id | description", "", "e.g. nk_troops_casualties | North Korean troops killed"),
        "    </View>",
        labels("entity", NAME_LABELS, "Entity mention (linked to the knowledge base)"),
        labels("time", TIME_LABELS, "Date or time (not linked)"),
        labels("span", SPAN_LABELS, "Quote, number; speaker / cue / source that is no entity mention"),
        f'    <Header value="Speaker, cue, source: a relation from the QUOTE or NUMBER to the entity mention or to a '
        f'SPEAKER / CUE / SOURCE region (its label is optional)." style="{HINT_STYLE}"/>',
        f"    <Relations>\n{relations}\n    </Relations>",
        "  </View>",
        "</View>",
        "",
    ])


# --- the pick lists ---------------------------------------------------------------------------

@dataclass
class Registry:
    """The ids an annotator may pick: the gold's registries plus the annotator's own pass."""

    kb: dict[str, dict] = field(default_factory=dict)
    quote_groups: dict[str, dict] = field(default_factory=dict)
    claim_groups: dict[str, dict] = field(default_factory=dict)
    claim_units: dict[str, set] = field(default_factory=dict)  # claim group -> the folded units its claims use

    @classmethod
    def of(cls, *sets: AnnotationSet | None) -> Registry:
        from ..normalise import fold_unit

        registry = cls()
        for ann in sets:
            if ann is not None:
                for own, theirs in ((registry.kb, ann.kb), (registry.quote_groups, ann.quote_groups),
                                    (registry.claim_groups, ann.claim_groups)):
                    for key, entry in theirs.items():
                        own.setdefault(key, entry)
                for _, claim in ann.records("numeric_claims"):
                    registry.claim_units.setdefault(claim["claim_group"], set()).add(fold_unit(claim["unit"]))
        return registry

    def entity_named(self, text: str, label: str | None = None) -> str | None:
        """The one knowledge-base entity (of ``label`` when given) whose name or an alias is ``text``
        (names compared as ``normalise.norm_name`` does), else None."""
        from ..normalise import norm_name

        wanted = norm_name(text)
        found = {k for k, e in self.kb.items() if (label is None or e["type"] == label)
                 and wanted in {norm_name(n) for n in [e["name"], *e.get("aliases", [])]}}
        return found.pop() if len(found) == 1 else None

    def claim_group_of(self, unit: str | None) -> str | None:
        """The one claim group whose claims use this unit, else None."""
        from ..normalise import fold_unit

        found = [g for g, units in self.claim_units.items() if g in self.claim_groups and fold_unit(unit) in units]
        return found[0] if unit and len(found) == 1 else None


def _entry(value: str, shown: str) -> dict:
    return {"value": shown, "alias": value}


def _kb_shown(key: str, entry: dict) -> str:
    """An entity as its list shows it, so a search finds it by id, name or alias: ``id · name (TYPE) · also: ...``"""
    also = [a for a in entry.get("aliases", []) if a.casefold() != entry["name"].casefold()]
    return f"{key} · {entry['name']} ({entry['type']})" + (f" · also: {', '.join(also)}" if also else "")


def choice_lists(registry: Registry) -> dict[str, list[dict]]:
    """Task data for the pick lists: each entry shows the id and what the registry says of it (an
    entity's name, type and aliases; a group's description), and stores the id. Every list is a
    searchable Taxonomy: typing part of any of that finds the entry."""
    kb = [_entry(k, _kb_shown(k, e)) for k, e in sorted(registry.kb.items())]
    new_entity = _entry(NEW, "+ new entity (type id | name | TYPE in New entity)")
    new_group = _entry(NEW, "+ new group (type id | description in New group)")
    none = _entry(NONE, "- none (the text gives no identifiable source)")

    def groups(table: dict) -> list[dict]:
        return [_entry(k, f"{k} · {table[k]['description']}" if table[k].get("description") else k) for k in sorted(table)]

    return {
        "kb_choices": kb + [new_entity],
        "speaker_choices": [none] + kb + [new_entity],
        "source_choices": [_entry(AUTHOR, "author (the article asserts it itself)"), none] + kb + [new_entity],
        "quote_group_choices": [_entry(NONE, "- none (reported in this article only)")] + groups(registry.quote_groups) + [new_group],
        "claim_group_choices": groups(registry.claim_groups) + [new_group],
    }


@dataclass
class NewEntries:
    """Registry entries an import adds, each written whole."""

    kb: dict[str, dict] = field(default_factory=dict)
    quote_groups: dict[str, dict] = field(default_factory=dict)
    claim_groups: dict[str, dict] = field(default_factory=dict)



# --- the Labeling Instructions ------------------------------------------------------------------

# The sections of GUIDELINES.md an annotator needs while labeling (not 5, the project's process).
INSTRUCTION_SECTIONS = ("1.", "2.", "3.", "4.", "4a.", "6.")


def instructions_html(guidelines: str) -> str:
    """The project's Labeling Instructions: the annotator's sections of GUIDELINES.md as HTML
    (headings, paragraphs, lists, tables, ``code`` and **bold**), shown before labeling."""
    import html
    import re

    def inline(text: str) -> str:
        text = html.escape(text, quote=False)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
        return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)

    sections, keep = [], False
    for line in guidelines.splitlines():
        if line.startswith("## "):
            keep = line[3:].split(" ", 1)[0] in INSTRUCTION_SECTIONS
        elif line.startswith("# "):
            keep = False
        if keep:
            sections.append(line)
    out: list[str] = []
    paragraph: list[str] = []  # the lines of the open paragraph
    items: list[str] = []  # the open list's items, each joined from its lines
    rows: list[str] = []  # the open table's rows

    def close() -> None:
        if paragraph:
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>")
        if rows:
            out.append("<table>" + "".join(rows) + "</table>")
        paragraph.clear()
        items.clear()
        rows.clear()

    for line in sections + [""]:
        stripped = line.strip()
        if line.startswith("## "):
            close()
            out.append(f"<h3>{inline(line[3:])}</h3>")
        elif stripped.startswith("|"):
            if not rows:
                close()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):  # not the header rule
                rows.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells) + "</tr>")
        elif stripped.startswith("- "):
            if paragraph or rows:
                close()
            items.append(stripped[2:])
        elif not stripped:
            close()
        elif items:
            items[-1] += " " + stripped  # a list item's next line
        else:
            if rows:
                close()
            paragraph.append(stripped)
    return "\n".join(out)
