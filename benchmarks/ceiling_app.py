"""The ingest benchmark's ceiling: an empty POST endpoint on the same stack as the services
(uvicorn with uvloop and httptools, FastAPI). What it handles per second on a machine is the most
any service endpoint can handle there, before doing any work of its own."""

from fastapi import FastAPI, Request, Response

app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})


@app.post("/elin/messages")
async def take(request: Request) -> Response:
    await request.body()
    return Response(b"<AppRec/>", media_type="application/xml")
