import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { lastValueFrom, toArray } from 'rxjs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createFlotilla, defineAgent, defineTool, type RunEvent } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { TraceFileSink } from './trace-file.sink';
import { readRunSummaries } from './trace-file.reader';
import { renderHtmlReport } from './html-report';
import { ProgressRenderer } from './progress.renderer';
import { OtelSink } from './otel.sink';

/** A tool-using agent's run: round 1 calls `lookup` (fine) and `broken` (a tool error), round 2 answers. */
async function toolRun(): Promise<RunEvent[]> {
  const lookup = defineTool({ name: 'lookup', input: z.object({ city: z.string(), apiKey: z.string() }), run: ({ city }) => `${city}: 2 harbours` });
  const broken = defineTool({ name: 'broken', input: z.object({}), run: () => Promise.reject(new Error('registry offline')) });
  const client = new ScriptedModelClient((req) =>
    req.messages.some((m) => m.role === 'tool')
      ? 'Oslo has 2 harbours.'
      : { toolCalls: [{ id: 'c1', name: 'lookup', arguments: { city: 'Oslo', apiKey: 'sk-abcdefghijklmnopqrstuv' } }, { id: 'c2', name: 'broken', arguments: {} }] },
  );
  const agent = defineAgent({ name: 'pilot', model: 'm', tools: [lookup, broken], prompt: (q: string) => q });
  return lastValueFrom(createFlotilla({ client }).run(agent, 'harbours?').events.pipe(toArray()));
}

describe('tool calls in sinks', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-tools-trace-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are in the trace file (secrets redacted), the run summary and the HTML report', async () => {
    const sink = new TraceFileSink({ dir });
    for (const e of await toolRun()) sink.next(e);
    await sink.flush();
    const [run] = await readRunSummaries(sink.files);
    const tools = run!.calls[0]!.tools!;
    expect(tools.map((t) => [t.tool, t.ok, t.error?.kind])).toEqual(
      expect.arrayContaining([
        ['lookup', true, undefined],
        ['broken', false, 'userCode'],
      ]),
    );
    expect(tools.find((t) => t.tool === 'lookup')).toMatchObject({ round: 0, preview: 'Oslo: 2 harbours', arguments: { city: 'Oslo', apiKey: '[REDACTED]' } });
    const html = renderHtmlReport([run!]);
    expect(html).toContain('<h3>Tool calls</h3>');
    expect(html).toMatch(/<tr class="tool-call" data-step-key="" data-tool="broken" data-ok="false">.*userCode.*registry offline/);
    expect(html).not.toContain('sk-abcdefghijklmnopqrstuv');
  });

  it('a call recovered from the text is marked in the trace file, the run summary and the HTML report', async () => {
    const lookup = defineTool({ name: 'lookup', input: z.object({ city: z.string() }), run: ({ city }) => `${city}: 2 harbours` });
    const client = new ScriptedModelClient((req) => (req.messages.some((m) => m.role === 'tool') ? 'Two.' : '<tool_call>\n{"name": "lookup", "arguments": {"city": "Oslo"}}\n</tool_call>'));
    const agent = defineAgent({ name: 'pilot', model: 'm', tools: [lookup], prompt: (q: string) => q });
    const sink = new TraceFileSink({ dir });
    for (const e of await lastValueFrom(createFlotilla({ client }).run(agent, 'harbours?').events.pipe(toArray()))) sink.next(e);
    await sink.flush();
    const [run] = await readRunSummaries(sink.files);
    expect(run!.calls[0]!.tools).toEqual([expect.objectContaining({ tool: 'lookup', ok: true, recovered: true, arguments: { city: 'Oslo' } })]);
    expect(renderHtmlReport([run!])).toMatch(/<tr class="tool-call" data-step-key="" data-tool="lookup" data-ok="true" data-recovered="true"><td>[^<]*<\/td><td>1<\/td><td>lookup \(recovered from text\)<\/td>/);
  });

  it('show in the progress display and as execute_tool spans under the agent step', async () => {
    const events = await toolRun();
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const progress = new ProgressRenderer(out, false);
    const exporter = new InMemorySpanExporter();
    const otel = new OtelSink({ tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t') });
    for (const e of events) {
      progress.next(e);
      otel.next(e);
    }
    expect(text).toMatch(/⚙ pilot: tool lookup \(round 1\) ok/);
    expect(text).toMatch(/⚠ pilot: tool broken \(round 1\) userCode: .*registry offline/);
    const spans = exporter.getFinishedSpans();
    const tool = spans.find((s) => s.name === 'execute_tool lookup')!;
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.id': 'c1', 'flotilla.tool.round': 0 });
    const parent = spans.find((s) => s.spanContext().spanId === tool.parentSpanContext?.spanId)!;
    expect(parent.name).toBe('invoke_agent pilot');
    expect(spans.find((s) => s.name === 'execute_tool broken')!.status.code).toBe(2);
  });
});
