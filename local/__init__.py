"""Docker-free stand-ins for `sam local start-api` and `sam local invoke` (not deployed).

The routes, handler, layers and environment come from template.yaml, read as SAM reads
it, so a local run cannot drift from what is deployed. Only the part that needs Docker
in SAM, the Lambda container, is replaced: the handler runs in-process.

    template.py   template → functions, HttpApi routes, environment (+ env.json overrides)
    events.py     HTTP request ↔ payload v2 event, handler result → HTTP response
    container.py  one execution environment: lazy init (cold start), one call at a time
    api.py        `python -m local.api`: the gateway (werkzeug) in front of the container
    cli.py        arguments and setup shared by api and invoke (--from-build re-exec)
    s3.py         moto_server on a free loopback port, seeded with the artifacts
    artifacts.py  reuse the trained tree, or train it (demo data or a user CSV)
    serve.py      `make serve`: train if needed, moto_server + local.api, curl to paste
    invoke.py     `make invoke`: one event through the handler, moto in-process
"""
