"""`sam local start-api` and `sam local invoke` without Docker (not deployed).

SAM CLI's own code reads template.yaml (routes, handler, layers, environment) and
serves HTTP; only the Lambda container, which needs Docker in SAM, is ours: the
function runs in a process of its own, laid out as Lambda lays it out.

    sam.py        SAM CLI's providers and LocalLambdaRunner, over our runtime
    runner.py     the runtime SAM calls: Layout (/var/task, /opt, env), Container, one
                  request at a time, timeouts; also used by bench/ and tests/build
    host.py       the container's process: the one Lambda host and fake context
    api.py        `python -m local.api`: SAM's LocalApigwService, as HTTP API answers
    openapi.py    GET /openapi.json: Powertools' document plus the request body
    s3.py         moto_server on a free loopback port, seeded with the artifacts
    artifacts.py  reuse the trained tree, or train it (demo data or a user CSV)
    serve.py      `make serve`: train if needed, moto_server + the API, curl to paste
    invoke.py     `make invoke`: one event through SAM's runner, like `sam local invoke`
    smoke.py      `make smoke`: events/ and the README's curls against a deployed API
"""
