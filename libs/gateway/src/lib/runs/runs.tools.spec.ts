import 'reflect-metadata';
import { HttpAgent } from '@ag-ui/client';
import { type BaseEvent, EventType } from '@ag-ui/core';
import { type ChatRequest, createFlotilla, defineAgent, defineTool } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { z } from 'zod';
import type { ChainRunner } from './chain-runner';
import { GatewayFixture } from '../../spec/gateway-fixture';

const lookup = defineTool({
  name: 'lookup',
  description: 'Harbours of a city',
  input: z.object({ city: z.string() }),
  run: ({ city }) => ({ city, harbours: [`${city}-north`, `${city}-south`] }),
});

describe('runs over HTTP: tool calls as AG-UI events', () => {
  const fx = new GatewayFixture();
  afterEach(() => fx.close());

  it('a tool call and its result reach HttpAgent as TOOL_CALL_START/ARGS/END and TOOL_CALL_RESULT, assembled by the client', async () => {
    // The model calls the tool, then answers; the engine runs the real tool loop.
    const client = new ScriptedModelClient((_r: ChatRequest, i: number) => (i === 0 ? { toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo' }, id: 'c1' }] } : 'Oslo has two harbours.'));
    const flotilla = createFlotilla({ client });
    const sailor = defineAgent({ name: 'sailor', model: 'm', retries: 0, tools: [lookup], prompt: (q: string) => q });
    const runner: ChainRunner = { start: async (_chain, input, options) => flotilla.run(sailor, String(input), options) };
    await fx.sim();
    await fx.start({}, { runs: runner });
    const agent = new HttpAgent({ url: `${fx.url}/v1/runs/sailor`, initialMessages: [{ id: 'm1', role: 'user', content: 'harbours of Oslo?' }] });
    const events: BaseEvent[] = [];
    const { result } = await agent.runAgent({ runId: 'tools-1' }, { onEvent: ({ event }) => void events.push(event) });
    await flotilla.close();
    expect(result).toBe('Oslo has two harbours.');
    const tools = events.filter((e) => e.type.startsWith('TOOL_CALL'));
    expect(tools).toEqual([
      expect.objectContaining({ type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'lookup' }),
      expect.objectContaining({ type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '{"city":"Oslo"}' }),
      expect.objectContaining({ type: EventType.TOOL_CALL_END, toolCallId: 'c1' }),
      expect.objectContaining({ type: EventType.TOOL_CALL_RESULT, toolCallId: 'c1', content: '{"city":"Oslo","harbours":["Oslo-north","Oslo-south"]}' }),
    ]);
    // The client assembled the call and its result into its messages.
    expect(agent.messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ role: 'assistant', toolCalls: [expect.objectContaining({ id: 'c1', function: { name: 'lookup', arguments: '{"city":"Oslo"}' } })] }),
        expect.objectContaining({ role: 'tool', toolCallId: 'c1' }),
      ]),
    );
  });
});
