import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { createFlotilla, defineTool } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { diagnosticsOf } from '../parse/chain-diagnostic';
import { compileChainSource, loadChain } from '../load-chain';

const lookup = defineTool({ name: 'lookup', description: 'Harbours of a city', input: z.object({ city: z.string() }), run: ({ city }) => `${city} has 2 harbours` });

const CHAIN = `
version: 2
name: tools
agents:
  pilot:
    model: m
    prompt: "Where to moor in {{this}}?"
    tools: [lookup]
    toolChoice: required
    toolLoop: { maxRounds: 2, concurrency: 1 }
steps:
  - call: pilot
`;

/** The first call asks for the tool; the call after its result answers with it. */
const client = () =>
  new ScriptedModelClient((req) => {
    const tool = req.messages.find((m) => m.role === 'tool');
    return tool ? `moor by: ${tool.content}` : { toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo' } }] };
  });

describe('tools in chain files', () => {
  it('an agent lists tools by name, with tool choice and loop bounds, and runs them', async () => {
    const compiled = await compileChainSource(CHAIN, 'chain.yaml', { tools: ['lookup'] });
    expect(compiled.agents[0]).toMatchObject({ tools: ['lookup'], toolChoice: 'required', toolLoop: { maxRounds: 2, concurrency: 1 } });
    const c = client();
    const result = await createFlotilla({ client: c, tools: [lookup] }).run(compiled.chain, 'Oslo').result;
    expect(result.output).toBe('moor by: Oslo has 2 harbours');
    expect(c.requests[0]!.request).toMatchObject({ toolChoice: 'required', tools: [{ name: 'lookup' }] });
    expect(result.trace.filter((e) => e.type === 'tool.call')).toEqual([expect.objectContaining({ key: '0', tool: 'lookup' })]);
  });

  it('reports an unknown tool name where the file names it, with the closest known name', async () => {
    const err = await compileChainSource(CHAIN.replace('[lookup]', '[lokup]'), 'chain.yaml', { tools: ['lookup', 'weather'] }).catch((e: unknown) => e);
    const [d] = diagnosticsOf(err)!;
    expect(d).toMatchObject({ file: 'chain.yaml', line: 8, code: 'unknownTool', message: 'agent "pilot": unknown tool "lokup"; known tools: lookup, weather', hint: 'did you mean "lookup"?' });
  });

  it('without the known tools, flotilla.validate reports an unknown name with the closest one', async () => {
    const compiled = await compileChainSource(CHAIN.replace('[lookup]', '[lokup]'), 'chain.yaml');
    expect(() => createFlotilla({ client: client(), tools: [lookup] }).validate(compiled.chain)).toThrow(/unknown tool "lokup" \(did you mean "lookup"\?\)/);
  });

  it("takes a Dotprompt file's tools: front matter unchanged", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-tools-'));
    try {
      fs.writeFileSync(path.join(dir, 'pilot.prompt'), '---\nmodel: m\ntools: [lookup]\n---\nWhere to moor in {{this}}?\n');
      fs.writeFileSync(path.join(dir, 'chain.yaml'), 'version: 2\nname: p\nagents:\n  pilot: { file: pilot.prompt }\nsteps:\n  - call: pilot\n');
      const compiled = await loadChain(path.join(dir, 'chain.yaml'), { tools: ['lookup'] });
      expect(compiled.agents[0]!.tools).toEqual(['lookup']);
      const result = await createFlotilla({ client: client(), tools: [lookup] }).run(compiled.chain, 'Oslo').result;
      expect(result.output).toBe('moor by: Oslo has 2 harbours');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
