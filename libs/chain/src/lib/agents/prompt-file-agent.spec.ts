import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Dotprompt } from 'dotprompt';
import { type ChatMessage, type FlotillaAgent, TOKENS, createFlotillaContainer, readAgentMetadata } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { diagnosticsOf } from '../parse/chain-diagnostic';
import { loadChain } from '../load-chain';
import { chainAgentClass } from './chain-agent.factory';
import { loadPromptFileAgent } from './prompt-file-agent';

// A prompt as written for Genkit: provider model id, Genkit config names, Picoschema,
// input defaults, role markers, each/if blocks.
const GENKIT_PROMPT = `---
model: googleai/gemini-2.0-flash
config:
  temperature: 0.4
  maxOutputTokens: 256
  stopSequences: ["END"]
input:
  schema:
    topic: string
    points(array): string
    tone?: string
  default:
    tone: friendly
output:
  format: json
  schema:
    title: string, a short title
    tags(array): string
---
{{role "system"}}
You write {{tone}} blog outlines.
{{role "user"}}
Outline a post about {{topic}}.
{{#each points}}
- {{this}}
{{/each}}
{{#if extra}}Also: {{extra}}{{/if}}
`;

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-prompt-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const ALIASES = { 'googleai/gemini-2.0-flash': 'qwen2.5:3b' };

describe('Dotprompt .prompt files as agents', () => {
  it('loads a Genkit prompt unchanged: model alias, config, Picoschema output, input defaults', async () => {
    const { agent, diagnostics } = await loadPromptFileAgent('outliner', write('outline.prompt', GENKIT_PROMPT), { modelAliases: ALIASES });
    expect(diagnostics).toEqual([]);
    const meta = readAgentMetadata(chainAgentClass(agent!.spec));
    expect(meta).toMatchObject({ name: 'outliner', model: 'qwen2.5:3b' });
    expect(meta.options.options).toEqual({ temperature: 0.4, maxTokens: 256, stop: ['END'] });
    expect(meta.options.output!.jsonSchema).toEqual({
      type: 'object',
      properties: { title: { type: 'string', description: 'a short title' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['title', 'tags'],
      additionalProperties: false,
    });
    expect(agent!.inputType).toMatchObject({ required: ['topic', 'points'] });
  });

  it('renders the messages Dotprompt.render renders, with the input defaults', async () => {
    const file = write('outline.prompt', GENKIT_PROMPT.replace('tone?: string', 'tone: string'));
    const { agent } = await loadPromptFileAgent('outliner', file, { modelAliases: ALIASES });
    const Cls = chainAgentClass(agent!.spec) as unknown as new () => FlotillaAgent<unknown, unknown>;
    const input = { topic: 'local models', points: ['cost', 'privacy'] };
    const ours = new Cls().prompt(input, { model: 'qwen2.5:3b', attempt: 0 });
    // Genkit hands the file's input.default to render(); dotprompt alone does not apply it.
    const theirs = await new Dotprompt().render(fs.readFileSync(file, 'utf8'), { input }, { input: { default: { tone: 'friendly' } } });
    const asChat = theirs.messages.map((m): ChatMessage => ({ role: m.role === 'model' ? 'assistant' : (m.role as ChatMessage['role']), content: m.content.map((p) => ('text' in p ? p.text : '')).join('').trim() }));
    expect(ours).toEqual(asChat);
    expect(ours).toEqual([
      { role: 'system', content: 'You write friendly blog outlines.' },
      { role: 'user', content: 'Outline a post about local models.\n- cost\n- privacy' },
    ]);
  });

  it('a provider model id without an alias: the file, the line of model:, and the fix', async () => {
    const file = write('outline.prompt', GENKIT_PROMPT.replace('tone?: string', 'tone: string'));
    const { diagnostics } = await loadPromptFileAgent('outliner', file);
    expect(diagnostics).toEqual([
      expect.objectContaining({ file, line: 2, col: 8, code: 'modelAlias', message: 'model "googleai/gemini-2.0-flash" is not a local model and is not in the model-alias map' }),
    ]);
    expect(diagnostics[0]!.hint).toContain('modelAliases: { "googleai/gemini-2.0-flash": <a model of your fleet> }');
  });

  it('optional Picoschema fields leave the portable subset: said where, with the fix', async () => {
    const file = write('outline.prompt', GENKIT_PROMPT.replace('title: string, a short title', 'title?: string, a short title'));
    const { diagnostics } = await loadPromptFileAgent('outliner', file, { modelAliases: ALIASES });
    expect(diagnostics[0]).toMatchObject({ file, line: 16, code: 'schema' });
    expect(diagnostics[0]!.message).toContain('every property must be required');
  });

  it('template problems point at the line of the body', async () => {
    const file = write('bad.prompt', '---\nmodel: m\n---\nHello\n{{shell "ls"}}\n');
    const { diagnostics } = await loadPromptFileAgent('bad', file);
    expect(diagnostics[0]).toMatchObject({ file, line: 5, code: 'template' });
    expect(diagnostics[0]!.message).toContain('unknown helper "shell"');
    const noFront = await loadPromptFileAgent('bad', write('plain.prompt', 'Hello {{name}}'));
    expect(noFront.diagnostics[0]).toMatchObject({ code: 'promptFile', line: 1 });
  });

  it('a chain calls a .prompt agent like any other; chain overrides win, chain aliases resolve its model', async () => {
    write('outline.prompt', GENKIT_PROMPT.replace('tone?: string', 'tone: string'));
    const chain = write(
      'chain.yaml',
      `name: blog
modelAliases: { googleai/gemini-2.0-flash: "llama3.2:3b" }
agents:
  outliner: { file: outline.prompt, retries: 0 }
steps:
  - call: outliner
    input: { topic: "\${input}", points: [one, two] }
`,
    );
    const compiled = await loadChain(chain);
    const client = new ScriptedModelClient(() => JSON.stringify({ title: 'T', tags: ['a'] }));
    const engine = createFlotillaContainer({ client, agents: compiled.agents }).get(TOKENS.ChainEngine);
    const result = await engine.run(compiled.chain, 'fleets');
    expect(result.output).toEqual({ title: 'T', tags: ['a'] });
    expect(client.requests[0]!.request).toMatchObject({ model: 'llama3.2:3b', options: { temperature: 0.4, maxTokens: 256 } });
    expect(readAgentMetadata(compiled.agents[0]!).retries).toBe(0);

    const missing = write('missing.yaml', 'name: m\nagents:\n  a: { file: nope.prompt }\nsteps:\n  - call: a\n');
    const d = await loadChain(missing).then(() => [], diagnosticsOf);
    expect(d[0]).toMatchObject({ file: missing, line: 3, code: 'missingFile' });
    expect(d.some((x) => x.code === 'unknownAgent')).toBe(false);
  });

  it('checks the input a step sends against the prompt\'s input schema', async () => {
    write('outline.prompt', GENKIT_PROMPT.replace('tone?: string', 'tone: string'));
    const chain = write('chain.yaml', `name: blog\nmodelAliases: { googleai/gemini-2.0-flash: m }\nagents:\n  outliner: { file: outline.prompt }\nsteps:\n  - call: outliner\n    input: { topic: "\${input}" }\n`);
    const d = await loadChain(chain).then(() => [], diagnosticsOf);
    expect(d[0]).toMatchObject({ line: 7, code: 'schemaMismatch' });
    expect(d[0]!.message).toContain('missing required property "points"');
  });

  it('Picoschema (enum) fields are string enums, in input and output schemas', async () => {
    const file = write('mood.prompt', '---\nmodel: m\ninput:\n  schema:\n    mood(enum): [happy, sad]\noutput:\n  schema:\n    text: string\n    tone(enum, how it sounds): [warm, dry]\n---\nWrite something {{mood}}.\n');
    const { agent, diagnostics } = await loadPromptFileAgent('m', file);
    expect(diagnostics).toEqual([]);
    expect(readAgentMetadata(chainAgentClass(agent!.spec)).options.output!.jsonSchema).toEqual({
      type: 'object',
      properties: { text: { type: 'string' }, tone: { type: 'string', enum: ['warm', 'dry'], description: 'how it sounds' } },
      required: ['text', 'tone'],
      additionalProperties: false,
    });
    expect(agent!.spec.input!.parse({ mood: 'happy' }).ok).toBe(true);
    expect(agent!.spec.input!.parse({ mood: 'angry' }).ok).toBe(false);
  });

  it('every key Dotprompt reserves, and namespaced extension keys, are accepted; an unknown key is refused where it is', async () => {
    const all = write('all.prompt', '---\nname: n\nvariant: v\nversion: "1"\ndescription: d\nmodel: m\ntools: []\ntoolDefs: []\nconfig: {}\ninput: { schema: { x: string } }\noutput: { format: text }\nraw: {}\next: {}\nmyorg.owner: ada\n---\nSay {{x}}\n');
    expect((await loadPromptFileAgent('a', all)).diagnostics).toEqual([]);
    const typo = write('typo.prompt', '---\nmodle: m\n---\nSay hi\n');
    expect((await loadPromptFileAgent('t', typo)).diagnostics).toEqual([
      expect.objectContaining({ file: typo, line: 2, col: 1, code: 'unknownKey', message: expect.stringContaining('unknown key "modle"'), hint: 'did you mean "model"?' }),
    ]);
  });

  it('sampling values are checked and config keys must map to Flotilla options', async () => {
    const bad = write('bad.prompt', '---\nmodel: m\nconfig:\n  temperature: hot\n  maxOutputTokens: -5\n  safetySettings: []\n---\nSay hi\n');
    const d = (await loadPromptFileAgent('b', bad)).diagnostics;
    expect(d.map((x) => `${x.line}:${x.col} ${x.message}`).sort()).toEqual([
      '4:16 config.temperature: expected a number, got "hot"',
      '5:20 config.maxOutputTokens: expected a number >= 1, got -5',
      expect.stringMatching(/^6:3 config: "safetySettings" is not a sampling option Flotilla knows; expected one of temperature, /),
    ]);
    const ok = write('ok.prompt', '---\nmodel: m\nconfig: { temperature: 0.2, numCtx: 4096, stopSequences: [x] }\n---\nSay hi\n');
    const { agent } = await loadPromptFileAgent('o', ok);
    expect(readAgentMetadata(chainAgentClass(agent!.spec)).options.options).toEqual({ temperature: 0.2, numCtx: 4096, stop: ['x'] });
  });

  it('output.format: json without a schema is refused (not silently plain text); wrong front matter types are said', async () => {
    const file = write('json.prompt', '---\nmodel: m\noutput:\n  format: json\n---\nSay hi\n');
    expect((await loadPromptFileAgent('j', file)).diagnostics).toEqual([expect.objectContaining({ line: 4, code: 'schema', message: expect.stringContaining('output.format: json needs output.schema') })]);
    const typed = write('typed.prompt', '---\nmodel: 5\noutput: { format: yaml }\n---\nSay hi\n');
    expect((await loadPromptFileAgent('t', typed)).diagnostics.map((x) => x.message)).toEqual([
      'front matter model: expected a string, got 5',
      'front matter output.format: expected one of "json", "text", got "yaml"',
    ]);
  });

  it('an invalid schema is reported as invalid, not as a portability problem', async () => {
    const file = write('schema.prompt', '---\nmodel: m\noutput:\n  schema: { type: object, required: text, properties: { text: { type: string } } }\n---\nSay hi\n');
    const [d] = (await loadPromptFileAgent('s', file)).diagnostics;
    expect(d).toMatchObject({ line: 4, col: 3, message: expect.stringContaining('invalid JSON Schema: #/required must be array, got "text"') });
    expect(d!.message + d!.hint).not.toContain('portable');
    const pico = write('pico.prompt', '---\nmodel: m\ninput:\n  schema: { topic: string }\noutput:\n  schema: { text: strin }\n---\nSay {{topic}}\n');
    expect((await loadPromptFileAgent('p', pico)).diagnostics).toEqual([expect.objectContaining({ line: 6, col: 3, message: "front matter output.schema: Picoschema: could not find schema with name 'strin'" })]);
  });

  it('a template variable that is not in the prompt\'s input schema is refused at its line; {{#if}}-guarded names are allowed', async () => {
    const file = write('vars.prompt', '---\nmodel: m\ninput:\n  schema:\n    topic: string\n---\nWrite about {{topc}}.\n{{#if extra}}Also {{extra}}{{/if}}\n');
    const chain = write('chain.yaml', 'name: c\nagents:\n  w: { file: vars.prompt }\nsteps:\n  - call: w\n    input: { topic: "${input}" }\n');
    const d = await loadChain(chain).then(() => [], diagnosticsOf);
    expect(d).toEqual([expect.objectContaining({ file, line: 7, code: 'templateInput', message: 'agent "w" reads {{topc}}, which is not in its input schema; it has "topic"', hint: 'did you mean {{topic}}?' })]);
  });
});
