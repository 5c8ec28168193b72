"""What a model answered, checked as the reader checks a predictions file."""

from __future__ import annotations

from typing import cast

from newsclaims.problems import InvalidInput, Problem, show

from ..predictions import Predictions, check_prediction, missing_documents


def parse_strict(text: str, label: str, line: int | None = None, where: str = ""):
    """Parse model output with the strict reader used for files (``jsonio.loads``); one Problem on failure."""
    from newsclaims import jsonio

    try:
        return jsonio.loads(text, label, line)
    except InvalidInput as err:
        first = err.problems[0]
        raise InvalidInput([Problem(label, where or first.where, first.field, first.found, first.expected, line)]) from None


def collect(name: str, texts: dict[str, str], answers: list[tuple[str, object]]) -> Predictions:
    """Validate (doc_id, answer) pairs into Predictions; raises InvalidInput naming each bad answer."""
    result = Predictions(name)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for doc_id, answer in answers:
        label = f"{name}: document {doc_id}"
        if isinstance(answer, dict) and "doc_id" not in answer:
            answer = {"doc_id": doc_id, **answer}
        found = check_prediction(answer, texts, label, None, seen)
        record = cast(dict, answer)  # read only where check_prediction found it a prediction object
        if not found and record["doc_id"] != doc_id:
            found = [Problem(label, "", "doc_id", show(record["doc_id"]), f"{doc_id!r}, the document it was given")]
        problems += found
        if not found:
            result.objects[doc_id] = record
            seen[doc_id] = 0
    if problems:
        raise InvalidInput(problems[:20])
    result.warnings += missing_documents(result, texts, "no answer")
    return result
