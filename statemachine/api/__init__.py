"""The HTTP JSON API (`baton serve --http HOST:PORT`), beside the sweep and send loop.

Each endpoint calls the engine functions the CLI calls, with the request's
token's actor as the one acting: the same judge, the same transaction, the
same refusal sentences, the same JSON as `--json`. Only `app.py` and
`server.py` import Starlette and uvicorn, and only `baton serve --http`
imports them; `tokens.py` and `idempotency.py` are plain engine code that
`baton token` and `lead forget` use too.
"""
