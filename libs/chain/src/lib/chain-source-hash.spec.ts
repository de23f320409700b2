import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemoryRunStore, createFlotilla } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { loadChain } from './load-chain';

const PROMPT = `---
model: m
---
Say {{this}}.
`;
const CHAIN = `name: say
agents:
  sayer: { file: say.prompt }
steps:
  - call: sayer
`;

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-hash-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

describe("a chain file's source hash", () => {
  it('covers the file and the prompt files it includes; a resume after either changed is refused', async () => {
    write('say.prompt', PROMPT);
    write('chain.yaml', CHAIN);
    const first = await loadChain(path.join(dir, 'chain.yaml'));
    expect(first.chain.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await loadChain(path.join(dir, 'chain.yaml'))).chain.sourceHash).toBe(first.chain.sourceHash);

    const store = new InMemoryRunStore();
    // A new Flotilla for each load, as a new process would have (agent names are unique per Flotilla).
    const fresh = () => createFlotilla({ client: new ScriptedModelClient(() => 'ok'), store });
    expect((await fresh().run(first.chain, 'hi', { runId: 'r' }).result).status).toBe('succeeded');

    write('say.prompt', PROMPT.replace('Say', 'Shout'));
    const promptChanged = await loadChain(path.join(dir, 'chain.yaml'));
    expect(promptChanged.chain.sourceHash).not.toBe(first.chain.sourceHash);
    expect((await fresh().resume(promptChanged.chain, 'r').result).error?.details?.['reason']).toBe('chainChanged');

    write('say.prompt', PROMPT);
    write('chain.yaml', `${CHAIN}# a comment\n`);
    const fileChanged = await loadChain(path.join(dir, 'chain.yaml'));
    expect(fileChanged.chain.sourceHash).not.toBe(first.chain.sourceHash);
    expect((await fresh().resume(fileChanged.chain, 'r').result).error?.details?.['reason']).toBe('chainChanged');
    expect((await fresh().resume(first.chain, 'r').result).status).toBe('succeeded');
  });
});
