"""Where predictions come from: a Python callable or shipped baseline (``callables``), a command
(``commands``) or an OpenAI-compatible chat endpoint (``openai_client``); a predictions file is read
by ``newsclaims.eval.predictions``. ``newsclaims.eval.pipeline`` names each as a source.

- Every answer goes through the strict JSON reader used for files (``newsclaims.jsonio``) and is
  checked like a line of a predictions file (``answers``), so what a run writes to
  predictions.jsonl can be scored again with ``--predictions``.
- A model's own failure (an exception, ``sys.exit``, a non-zero exit status, output that is not
  UTF-8) is one line and exit status 2.
- Documents run on worker threads (``pool``). Ctrl-C or SIGTERM ends the workers and every child
  process group at once and says ``interrupted after N of M documents`` (exit status 130); no
  report is written.
"""
