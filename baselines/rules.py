"""The ``rules`` baseline: hand-written patterns of English news writing. No training, no downloads.

Five rule families, each of which can be switched off for the ablation table:

- ``entities``: capitalised word sequences (with "of" inside names), titles stripped, typed by small
  lists written here: nationality adjectives -> NORP, countries and capitals -> GPE, organisation
  words and acronyms -> ORG, region words -> LOC, calendar words and durations -> DATE; the rest
  PERSON. A surname alone links to the full name it ends earlier in the document.
- ``direct_quotes``: text between paired quotation marks, straight or curly, across line breaks.
- ``speakers``: the source next to a quote: "X said", "said X", "X told ...", "X added", with a
  pronoun resolved to the nearest preceding person.
- ``indirect_quotes``: a cue verb followed by a content clause ("X said (that) ...", "according to
  X, ..."), to the end of the sentence.
- ``numbers``: digit groups and number words with scale words, parsed to a value, with the
  approximator before them and the first plural noun after them as the unit; the source is the
  speaker of the quote the number is in, else the author.

The lists describe how news is written in general; none of them is taken from the test articles.
"""

from __future__ import annotations

import re

from newsclaims.coverage import quoted_spans

FAMILIES = ("entities", "direct_quotes", "speakers", "indirect_quotes", "numbers")

NATIONALITIES = {
    "american", "russian", "ukrainian", "korean", "chinese", "british", "french", "german", "japanese", "iranian",
    "israeli", "palestinian", "indian", "pakistani", "turkish", "syrian", "european", "asian", "african", "western",
    "eastern", "polish", "italian", "spanish", "canadian", "australian", "belarusian", "georgian", "arab", "kurdish",
}
COUNTRIES = {
    "us", "u.s.", "usa", "united states", "america", "uk", "britain", "united kingdom", "russia", "ukraine", "china",
    "north korea", "south korea", "korea", "japan", "india", "pakistan", "iran", "iraq", "israel", "syria", "turkey",
    "france", "germany", "italy", "spain", "poland", "belarus", "georgia", "canada", "mexico", "brazil", "australia",
    "dprk", "washington", "moscow", "kyiv", "kiev", "pyongyang", "seoul", "beijing", "tokyo", "london", "paris", "berlin",
    "rome", "brussels", "vladivostok", "taiwan", "vietnam", "egypt", "lebanon", "gaza",
}
REGIONS = {"europe", "asia", "africa", "middle east", "far east", "indo-pacific", "euro-atlantic", "arctic", "balkans",
           "caucasus", "pacific", "atlantic", "latin america", "central asia"}
ORG_WORDS = {"department", "ministry", "council", "agency", "organization", "organisation", "service", "committee",
             "commission", "office", "bureau", "army", "navy", "force", "forces", "union", "party", "parliament",
             "congress", "senate", "assembly", "court", "bank", "fund", "institute", "university", "company", "corporation",
             "news", "times", "post", "pentagon", "kremlin", "nato", "un", "eu", "white house", "intelligence"}
TITLES = {"president", "secretary", "minister", "general", "deputy", "press", "spokesperson", "spokesman",
          "spokeswoman", "chief", "director", "senator", "governor", "mayor", "prime", "foreign", "defense", "defence",
          "state", "of", "former", "ambassador", "commander", "chancellor", "king", "queen", "prince", "sir", "dr", "mr",
          "mrs", "ms", "secretary-general", "official", "lieutenant", "colonel", "admiral", "vice"}
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
          "december"}
DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
SENTENCE_STARTERS = {"the", "a", "an", "this", "that", "these", "those", "but", "and", "or", "however", "he", "she",
                     "it", "they", "we", "i", "you", "if", "while", "when", "also", "initially", "meanwhile", "since",
                     "as", "after", "before", "should", "so", "recent", "our", "his", "her", "their", "its", "there",
                     "what", "which", "who", "according", "speaking", "turning", "listen", "more", "over", "some",
                     "nevertheless", "in", "on", "at", "for", "with", "to", "from", "by", "leave", "your", "required",
                     "both", "such", "whether", "although", "because", "despite", "during", "until", "now", "then"}
CUES = r"said|says|say|stated|states|told|tells|added|adds|noted|notes|warned|warns|confirmed|confirms|claimed|claims|" \
       r"announced|announces|reported|reports|remarked|believes|believe|believed|suggested|argued|insisted|explained|" \
       r"emphasized|emphasised|stressed|acknowledged|admitted|described|called|indicated|indicate|indicates"
PRONOUNS = {"he", "she", "they"}
APPROXIMATORS = [
    (r"(?:more than|over|at least|upwards of)", "at_least"),
    (r"(?:up to|fewer than|less than|at most|no more than)", "at_most"),
    (r"(?:around|about|approximately|some|roughly|nearly|almost|an estimated|estimated|close to)", "approximate"),
]
SMALL_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                 "fifty": 50, "hundred": 100, "dozen": 12}
SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
TIME_UNITS = {"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours", "decade", "decades"}

WORD = r"[A-Z][\w.’'-]*"
NAME_RE = re.compile(rf"{WORD}(?:(?:\s(?:of|for|and)\s|\s|-){WORD})*")
NUMBER_WORDS = "|".join(sorted(SMALL_NUMBERS, key=len, reverse=True))
NUMBER_RE = re.compile(
    rf"\b(?:half a (?:million|billion)|(?:{NUMBER_WORDS})-and-a-half|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?"
    rf"(?:\s(?:million|billion|thousand))?|(?:{NUMBER_WORDS})(?:\s(?:hundred|thousand|million|billion))?)\b",
    re.IGNORECASE)


def _sentence_start(text: str, i: int) -> bool:
    before = text[:i].rstrip(" \t\u00a0\"“‘(")
    return not before or before[-1] in ".!?:\n"


def _entity_type(name: str) -> str | None:
    low = name.lower()
    words = low.split()
    if low in COUNTRIES:
        return "GPE"
    if low in REGIONS:
        return "LOC"
    if low.rstrip("s") in NATIONALITIES or low in NATIONALITIES or (
            len(words) == 2 and words[0] in ("north", "south", "east", "west") and words[1].rstrip("s") in NATIONALITIES):
        return "NORP"
    if low in MONTHS or low in DAYS:
        return "DATE"
    if any(w in ORG_WORDS for w in words) or (name.isupper() and 2 <= len(name.replace(".", "")) <= 6):
        return "ORG"
    if words[-1] in ("region", "oblast", "province", "state", "city"):
        return "GPE"
    return None


def _strip_titles(text: str, start: int, end: int) -> tuple[int, int]:
    span = text[start:end]
    words = span.split(" ")
    while len(words) > 1 and words[0].lower().rstrip(".") in TITLES:
        start += len(words[0]) + 1
        words = words[1:]
    return start, end


def _possessive_end(text: str, start: int, end: int) -> int:
    for suffix in ("’s", "'s"):
        if text[start:end].endswith(suffix):
            return end - len(suffix)
    return end


def find_entities(text: str) -> list[dict]:
    out: list[dict] = []
    for match in NAME_RE.finditer(text):
        start, end = match.span()
        end = _possessive_end(text, start, end)
        words = text[start:end].split(" ")
        # a capitalised function word that only starts the sentence ("The", "However") is not part of a name
        if _sentence_start(text, start) and words[0].lower() in SENTENCE_STARTERS:
            if len(words) == 1:
                continue
            start += len(words[0]) + 1
        start, end = _strip_titles(text, start, end)
        name = text[start:end]
        if name.count(".") <= 1:  # a sentence's full stop, not an abbreviation such as "U.S."
            name = name.rstrip(".,’'")
        end = start + len(name)
        if not name or name.lower() in TITLES or name.lower() in SENTENCE_STARTERS:
            continue
        parts = _split_modifier(name)
        for offset, part in parts:
            label = _entity_type(part) or ("PERSON" if part[0].isupper() and not part.isupper() else "ORG")
            out.append({"start": start + offset, "end": start + offset + len(part), "label": label})
    out += _dates(text, out)
    out.sort(key=lambda e: (e["start"], e["end"]))
    cleaned: list[dict] = []
    for entity in out:  # keep the longest of overlapping guesses
        if cleaned and entity["start"] < cleaned[-1]["end"]:
            if entity["end"] - entity["start"] > cleaned[-1]["end"] - cleaned[-1]["start"]:
                cleaned[-1] = entity
            continue
        cleaned.append(entity)
    _link(text, cleaned)
    return cleaned


def _split_modifier(name: str) -> list[tuple[int, str]]:
    """'US Defense Department' -> US + Defense Department; 'North Korean troops' style modifiers too."""
    words = name.split(" ")
    for k in (2, 1):
        head = " ".join(words[:k])
        if len(words) > k and (_entity_type(head) in ("GPE", "NORP")) and _entity_type(" ".join(words[k:])) != "GPE":
            rest = " ".join(words[k:])
            return [(0, head), (len(head) + 1, rest)]
    return [(0, name)]


def _dates(text: str, entities: list[dict]) -> list[dict]:
    found = []
    pattern = re.compile(
        r"\b(?:(?:last|next|this|coming|past|early|late|mid-)\s?)?(?:(?:next|coming|past)\s(?:several|few|two|three)\s)?"
        r"(?:weeks?|months?|years?|weekend)\b|\b(?:" + "|".join(m.capitalize() for m in MONTHS | DAYS) + r")(?:\s\d{1,2}(?:st|nd|rd|th)?)?\b"
        r"|\b(?:(?:" + NUMBER_WORDS + r")(?:-and-a-half)?|\d+)\s(?:years?|months?|weeks?|days?|decades?)\b", re.IGNORECASE)
    for m in pattern.finditer(text):
        span = m.group()
        if span.lower() in ("weeks", "years", "months") or span.lower().startswith(("week", "month", "year")):
            continue  # a bare unit is not a date
        found.append({"start": m.start(), "end": m.end(), "label": "DATE"})
    return found


def _link(text: str, entities: list[dict]) -> None:
    """entity_id: the lower-case name; a lone surname takes the id of an earlier full name ending in it."""
    full_names: dict[str, str] = {}
    for e in entities:
        if e["label"] == "DATE":
            continue
        name = text[e["start"]:e["end"]]
        key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        words = name.split()
        if e["label"] == "PERSON" and len(words) == 1 and name.lower() in full_names:
            key = full_names[name.lower()]
        elif e["label"] == "PERSON" and len(words) > 1:
            full_names[words[-1].lower()] = key
        e["entity_id"] = key


def _speaker_near(text: str, q_start: int, q_end: int, persons: list[dict]) -> tuple[dict | None, dict | None]:
    """(speaker span, cue span) next to a quote: after it ("..., X said") or before it ("X said, ...")."""
    after = text[q_end:q_end + 80]
    m = re.match(rf"[”\"’,.]*\s*(?:(?P<cue1>{CUES})\s+(?P<name1>{WORD}(?:\s{WORD})*)"
                 rf"|(?P<name2>(?:[Hh]e|[Ss]he|[Tt]hey|{WORD}(?:\s{WORD})*))\s+(?P<cue2>{CUES}))", after)
    if m:
        name_group = "name1" if m.group("name1") else "name2"
        cue_group = "cue1" if m.group("cue1") else "cue2"
        return _span(text, q_end + m.start(name_group), q_end + m.end(name_group), persons), \
            {"start": q_end + m.start(cue_group), "end": q_end + m.end(cue_group)}
    before = text[max(0, q_start - 120):q_start]
    m = re.search(rf"(?P<name>(?:[Hh]e|[Ss]he|[Tt]hey|{WORD}(?:\s{WORD})*))\s+(?:(?:also|then)\s)?"
                  rf"(?P<cue>{CUES})(?:\s\w+){{0,3}}[,:]?\s*[“\"]?$", before)
    if m:
        offset = q_start - len(before)
        return _span(text, offset + m.start("name"), offset + m.end("name"), persons), \
            {"start": offset + m.start("cue"), "end": offset + m.end("cue")}
    return None, None


def _span(text: str, start: int, end: int, persons: list[dict]) -> dict:
    word = text[start:end]
    if word.lower() in PRONOUNS:
        earlier = [p for p in persons if p["end"] <= start]
        if earlier:
            return {"start": start, "end": end, "resolved": earlier[-1]}
    start, end = _strip_titles(text, start, end)
    return {"start": start, "end": end}


def _indirect(text: str, persons: list[dict], taken: list[tuple[int, int]]) -> list[dict]:
    out = []
    sentence_end = re.compile(r"[.!?](?=\s|$)|\n")
    for m in re.finditer(rf"(?P<name>(?:[Hh]e|[Ss]he|[Tt]hey|{WORD}(?:\s{WORD})*))\s+(?:(?:also|has|had|have)\s)?(?P<cue>{CUES})"
                         rf"(?:\s(?:reporters|journalists|newsmen|\w+ers))?\s+(?:that\s)?(?P<rest>[^\n]*)", text):
        start = m.start("rest")
        if text[start:start + 1] in "“\"" or not m.group("rest").strip():
            continue
        end_match = sentence_end.search(text, start)
        end = end_match.start() if end_match else len(text)
        end = len(text[:end].rstrip(" ,"))
        if end - start < 12 or any(s <= start < e for s, e in taken):
            continue
        speaker = _span(text, m.start("name"), m.end("name"), persons)
        out.append({"start": start, "end": end, "type": "indirect", "speaker": speaker,
                    "cue": {"start": m.start("cue"), "end": m.end("cue")}})
    for m in re.finditer(r"[Aa]ccording to (?P<name>(?:the |a |an )?[\w.’' ]+?),\s(?P<rest>[^\n]+)", text):
        start = m.start("rest")
        end_match = sentence_end.search(text, start)
        end = end_match.start() if end_match else len(text)
        out.append({"start": start, "end": end, "type": "indirect",
                    "speaker": {"start": m.start("name"), "end": m.end("name")},
                    "cue": {"start": m.start(), "end": m.start() + len("according to")}})
    return out


def parse_value(expression: str) -> float | None:
    low = expression.lower().replace(",", "")
    if low.startswith("half a "):
        return 0.5 * SCALES[low.split()[-1]]
    m = re.fullmatch(r"(\w+)-and-a-half", low)
    if m and m.group(1) in SMALL_NUMBERS:
        return SMALL_NUMBERS[m.group(1)] + 0.5
    parts = low.split()
    value: float | None
    try:
        value = float(parts[0])
    except ValueError:
        value = SMALL_NUMBERS.get(parts[0])
    if value is None:
        return None
    for scale in parts[1:]:
        value *= SCALES.get(scale, 1)
    return float(value)


def _numbers(text: str, quotes: list[dict], entities: list[dict]) -> list[dict]:
    out = []
    for m in NUMBER_RE.finditer(text):
        start, end = m.span()
        expression = m.group()
        if re.fullmatch(r"(?:19|20)\d\d", expression):  # a year
            continue
        if any(e["label"] == "DATE" and e["start"] <= start and end <= e["end"] and not re.search(r"\d|half", expression)
               for e in entities):
            continue
        if text[end:end + 2] in ("st", "nd", "rd", "th"):
            continue
        value = parse_value(expression)
        if value is None or (expression.lower() in SMALL_NUMBERS and expression.lower() not in ("dozen",) and value < 2):
            continue
        approx = "exact"
        before = text[max(0, start - 25):start].lower()
        for pattern, kind in APPROXIMATORS:
            if re.search(rf"\b{pattern}\s+$", before):
                approx = kind
                break
        unit = None
        following = re.findall(r"[A-Za-z’'-]+", text[end:end + 50])[:4]
        for word in following:
            low = word.lower()
            if low in ("of", "in", "to", "and", "by", "from", "since", "on", "at", "as", "have", "has", "had", "were", "are"):
                break
            if low.endswith("s") and len(low) > 3 or low in TIME_UNITS:
                unit = low[:-1] if low.endswith("s") and not low.endswith("ss") else low
                break
        claim = {"start": start, "end": end, "value": value, "unit": unit, "approx": approx, "source_id": "author"}
        enclosing = [q for q in quotes if q["start"] <= start and end <= q["end"] and q.get("speaker")]
        if enclosing:  # a figure inside a quote is its speaker's claim
            speaker = enclosing[0]["speaker"]
            del claim["source_id"]
            claim["source"] = speaker if isinstance(speaker, str) else {"start": speaker["start"], "end": speaker["end"]}
        out.append(claim)
    return out


def predict(document: dict, families=FAMILIES) -> dict:
    """Prediction for one document ({"doc_id", "text"}) with the given rule families switched on."""
    text = document["text"]
    entities = find_entities(text)
    persons = [e for e in entities if e["label"] == "PERSON"]
    quotes: list[dict] = []
    if "direct_quotes" in families:
        for start, end in quoted_spans(text):
            quote: dict = {"start": start, "end": end, "type": "direct"}
            if "speakers" in families:
                speaker, cue = _speaker_near(text, start - 1, min(len(text), end + 1), persons)
                if speaker:
                    quote["speaker"], quote["cue"] = speaker, cue
            quotes.append(quote)
    if "indirect_quotes" in families:
        quotes += _indirect(text, persons, [(q["start"], q["end"]) for q in quotes])
    for quote in quotes:  # the rules know no knowledge-base ids: a speaker is a span, or a resolved pronoun's name
        speaker = quote.get("speaker")
        if speaker and "resolved" in speaker:
            person = speaker.pop("resolved")
            quote["speaker"] = text[person["start"]:person["end"]]
        if not ("speakers" in families or quote["type"] == "indirect"):
            quote.pop("speaker", None)
    prediction: dict = {"doc_id": document["doc_id"], "quotes": quotes}
    if "entities" in families:
        prediction["entities"] = entities
    else:
        prediction["entities"] = []
    prediction["numeric_claims"] = _numbers(text, quotes, entities) if "numbers" in families else []
    return prediction


def _ablation(family: str):
    def run(document: dict) -> dict:
        return predict(document, tuple(f for f in FAMILIES if f != family))

    run.__name__ = f"without_{family}"
    run.__doc__ = f"The rules without the {family} family."
    return run


without_entities = _ablation("entities")
without_direct_quotes = _ablation("direct_quotes")
without_speakers = _ablation("speakers")
without_indirect_quotes = _ablation("indirect_quotes")
without_numbers = _ablation("numbers")
