"""Send one agent turn to Flowmeter with the OpenTelemetry Python SDK.

    pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http
    FLOWMETER_URL=http://127.0.0.1:3000 FLOWMETER_KEY=... python otel_python.py [conversation-id]

The spans carry the GenAI semantic conventions, as OpenLIT, OpenLLMetry or
the vendors' own instrumentations set them; Flowmeter maps each to a
pipeline stage (docs/otel.md). In a real agent, an instrumentation library
sets these attributes for you: keep only the provider setup below.
"""

import os
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

url = os.environ.get("FLOWMETER_URL", "http://127.0.0.1:3000")
key = os.environ["FLOWMETER_KEY"]
conversation = sys.argv[1] if len(sys.argv) > 1 else "python-demo"

provider = TracerProvider(resource=Resource.create({"service.name": "python-agent"}))
provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces", headers={"X-API-Key": key}, timeout=10))
)
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("flowmeter-example")

with tracer.start_as_current_span("invoke_agent support") as agent:
    agent.set_attribute("gen_ai.operation.name", "invoke_agent")
    agent.set_attribute("gen_ai.agent.name", "support")
    agent.set_attribute("gen_ai.conversation.id", conversation)

    with tracer.start_as_current_span("execute_tool search_web", kind=SpanKind.INTERNAL) as tool:
        tool.set_attribute("gen_ai.operation.name", "execute_tool")
        tool.set_attribute("gen_ai.tool.name", "search_web")
        tool.set_attribute("gen_ai.conversation.id", conversation)
        tool.set_status(Status(StatusCode.ERROR, "search backend timed out"))

    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as llm:
        llm.set_attribute("gen_ai.operation.name", "chat")
        llm.set_attribute("gen_ai.provider.name", "openai")
        llm.set_attribute("gen_ai.request.model", "gpt-4o")
        llm.set_attribute("gen_ai.response.model", "gpt-4o-2024-08-06")
        llm.set_attribute("gen_ai.conversation.id", conversation)
        llm.set_attribute("gen_ai.usage.input_tokens", 1000)
        llm.set_attribute("gen_ai.usage.cache_read.input_tokens", 400)
        llm.set_attribute("gen_ai.usage.output_tokens", 200)

# Exporters log a refused export instead of raising: flush, then check the
# dashboard (or, as scripts/smoke.sh does, the telemetry API).
if not provider.force_flush(timeout_millis=10_000):
    sys.exit("flush timed out")
provider.shutdown()
print(f"sent conversation {conversation} to {url}/v1/traces")
