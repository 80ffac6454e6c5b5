"""Records the OTLP fixtures of the golden mapping tests
(pipeline/tests/fixtures/otlp/*.pb, and the same as OTLP/JSON in *.json) with the OpenTelemetry Python SDK's own
protobuf encoder: spans carrying the attributes OpenLIT, OpenLLMetry
(Traceloop) and OpenInference set on an OpenAI / Anthropic call, a tool
call and an agent, plus an HTTP span that is not a stage.

    .venv/bin/python scripts/record-otlp-fixtures.py   # after scripts/setup.sh --test

The instrumentations themselves need a live vendor API, so the attribute
sets are copied from what each library's instrumentation writes.
"""

import base64
import json
import pathlib

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

OUT = pathlib.Path(__file__).resolve().parent.parent / "pipeline/tests/fixtures/otlp"
T0 = 1_795_000_000_000_000_000  # 2026-11-18T...Z, fixed so the goldens are stable


class Keep(SpanExporter):
    def __init__(self):
        self.spans = []

    def export(self, spans):
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def record(name, service, build):
    keep = Keep()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(keep))
    build(provider.get_tracer(name), T0)
    provider.shutdown()
    request = encode_spans(keep.spans)
    (OUT / f"{name}.pb").write_bytes(request.SerializeToString())
    # OTLP/JSON is proto3 JSON with hex ids and enums as integers.
    doc = MessageToDict(request, use_integers_for_enums=True)
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in sp:
                        sp[key] = base64.b64decode(sp[key]).hex()
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


def span(tracer, name, t, ms, attrs, kind=SpanKind.CLIENT, error=None, exception=None, parent=None):
    context = trace.set_span_in_context(parent) if parent else None
    s = tracer.start_span(name, context=context, kind=kind, start_time=t, attributes=attrs)
    if exception:
        s.add_event("exception", {"exception.type": exception[0], "exception.message": exception[1]}, timestamp=t + 1)
    if error is not None:
        s.set_status(Status(StatusCode.ERROR, error))
    s.end(end_time=t + ms * 1_000_000)
    return s


def openlit(tracer, t):
    # OpenLIT's OpenAI instrumentation (GenAI conventions, its own cost).
    root = span(tracer, "chat gpt-4o-mini", t, 812, {
        "gen_ai.operation.name": "chat", "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 180,
        "gen_ai.usage.total_tokens": 1380, "gen_ai.usage.cost": 0.000288,
        "gen_ai.request.temperature": 0.2, "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.server.address": "api.openai.com", "gen_ai.application_name": "support-bot",
        "gen_ai.environment": "production", "gen_ai.conversation.id": "conv-openlit-1",
    })
    tool = span(tracer, "execute_tool search_web", t + 900_000_000, 2100, parent=root, attrs={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search_web",
        "gen_ai.tool.call.id": "call_1", "gen_ai.conversation.id": "conv-openlit-1",
    }, kind=SpanKind.INTERNAL, error="", exception=("TimeoutError", "search backend timed out"))
    span(tracer, "GET", t + 950_000_000, 40, parent=tool, attrs={
        "http.request.method": "GET", "url.full": "https://search.example/q", "http.response.status_code": 504,
    })


def openllmetry(tracer, t):
    # OpenLLMetry's Anthropic instrumentation: gen_ai.system, the older
    # prompt/completion token names, and cache reads beside the input.
    span(tracer, "anthropic.chat", t, 2300, {
        "gen_ai.system": "Anthropic", "llm.request.type": "chat",
        "gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.usage.prompt_tokens": 350, "gen_ai.usage.completion_tokens": 420,
        "gen_ai.usage.cache_read_input_tokens": 5000, "gen_ai.usage.cache_creation_input_tokens": 1000,
        "llm.usage.total_tokens": 770, "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "Summarise my last invoice", "gen_ai.completion.0.role": "assistant",
        "traceloop.workflow.name": "billing", "traceloop.entity.name": "summarise",
        "session.id": "sess-llmetry-7",
    })


def openinference(tracer, t):
    # OpenInference's OpenAI instrumentation and an agent around it.
    agent = tracer.start_span("Agent", kind=SpanKind.INTERNAL, start_time=t, attributes={
        "openinference.span.kind": "AGENT", "session.id": "sess-oi-3", "agent.name": "triage",
        "input.value": "Where is my order?",
    })
    span(tracer, "ChatCompletion", t + 100_000_000, 1500, parent=agent, attrs={
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4.1-2025-04-14",
        "llm.provider": "openai", "llm.system": "openai", "session.id": "sess-oi-3",
        "llm.token_count.prompt": 2000, "llm.token_count.completion": 300, "llm.token_count.total": 2300,
        "llm.token_count.prompt_details.cache_read": 1500,
        "llm.token_count.completion_details.reasoning": 0,
        "llm.invocation_parameters": json.dumps({"temperature": 0}),
        "llm.input_messages.0.message.role": "user",
    }, error="rate limited (429)")
    agent.end(end_time=t + 3000 * 1_000_000)


record("openlit", "support-bot", openlit)
record("openllmetry", "billing-agent", openllmetry)
record("openinference", "triage-agent", openinference)
print("recorded", ", ".join(sorted(p.name for p in OUT.glob("*.pb"))))
