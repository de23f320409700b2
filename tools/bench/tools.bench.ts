/**
 * Tool-loop benchmark (docs/benchmarks.md): the engine's time per tool round trip, from the
 * moment the client has delivered a reply with one tool call to the moment the engine sends
 * the next model request (the tool has run and its result is in that request), with a client
 * that answers synchronously and a tool that returns at once. Runs are sequential, one agent
 * step each (a tool-call reply, then a text reply), measured as the engine benchmark measures
 * a call: many runs after a warm-up, percentiles of the per-run figure.
 *
 * Run: npm run bench:tools   (add -- --quick for a short run)
 */
import { Observable } from 'rxjs';
import { z } from 'zod';
import { type ChatEvent, type ChatRequest, type FinalEvent, type ModelClient, createFlotilla, defineAgent, defineTool } from '@flotilla/core';

const quick = process.argv.includes('--quick');

/** First request of a run: one tool call; the request after the tool's result: text. Times the gap between them. */
class ToolRoundTripClient implements ModelClient {
  readonly name = 'instant-tools';
  /** When the tool-call reply was delivered (hrtime ns), and the last round trip (ns). */
  private repliedAt = 0n;
  lastGapNs = 0n;

  chat(request: ChatRequest): Observable<ChatEvent> {
    return new Observable((s) => {
      const answered = request.messages[request.messages.length - 1]!.role === 'tool';
      if (answered) this.lastGapNs = process.hrtime.bigint() - this.repliedAt;
      const final: FinalEvent = answered
        ? { type: 'final', message: { role: 'assistant', content: 'Oslo has two harbours.' }, finishReason: 'stop', usage: { promptTokens: 60, completionTokens: 8 }, timings: {}, model: request.model }
        : {
            type: 'final',
            message: { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', arguments: { city: 'Oslo' } }] },
            finishReason: 'toolCalls',
            usage: { promptTokens: 40, completionTokens: 12 },
            timings: {},
            model: request.model,
          };
      if (!answered) s.next({ type: 'toolCall', call: final.message.toolCalls![0]! });
      s.next(final);
      if (!answered) this.repliedAt = process.hrtime.bigint();
      s.complete();
    });
  }
}

const lookup = defineTool({ name: 'lookup', description: 'Harbours of a city', input: z.object({ city: z.string() }), run: ({ city }) => ({ city, harbours: 2 }) });
const agent = defineAgent({ name: 'pilot', model: 'm', tools: [lookup], prompt: (q: string) => q });

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const client = new ToolRoundTripClient();
  const flotilla = createFlotilla({ client });
  const warm = quick ? 2000 : 10_000;
  const n = quick ? 10_000 : 50_000;
  const gaps: number[] = new Array(n);
  for (let i = 0; i < warm + n; i++) {
    const result = await flotilla.run(agent, 'harbours of Oslo?').result;
    if (result.status !== 'succeeded') throw new Error(`run failed: ${result.error?.message}`);
    if (i >= warm) gaps[i - warm] = Number(client.lastGapNs) / 1000;
  }
  gaps.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      measure: 'engine time per tool round trip (reply with one tool call -> tool runs -> next request sent)',
      runs: n,
      p50us: +pct(gaps, 50).toFixed(2),
      p90us: +pct(gaps, 90).toFixed(2),
      p99us: +pct(gaps, 99).toFixed(2),
      targetP50us: 10,
      node: process.version,
    }),
  );
  await flotilla.close();
}

void main();
