import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFlotilla } from '@flotilla/core';
import { FixtureModelClient, loadCassette } from '@flotilla/adapter-fixture';
import { loadChain } from '@flotilla/chain';
import { authorCassette } from './author-cassette';
import { chainCases, exampleCases } from './chain-cases';
import { HAND_WRITTEN_NOTE } from './reply-source';

const CHAIN = `version: 2
name: echo
agents:
  echoer: { model: tiny, prompt: "Say {{value}}" }
steps:
  - call: echoer
    input: { value: "\${input.word}" }
`;

describe('authorCassette', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-authoring-'));
    fs.mkdirSync(path.join(dir, 'echo/cassettes/src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'echo/chain.yaml'), CHAIN);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const replies = (text: string) => fs.writeFileSync(path.join(dir, 'echo/cassettes/src/hello.yaml'), text);

  it('runs the chain over the written replies and records a cassette that replays', async () => {
    replies('input: { word: hello }\nreplies:\n  - { agent: echoer, reply: hello }\n');
    const [c] = exampleCases(dir);
    expect(c).toEqual(chainCases(path.join(dir, 'echo'))[0]);
    const authored = await authorCassette(c!.chain, c!.source, c!.cassette, { timeScale: 0, by: 'a spec' });
    expect(authored.output).toBe('hello');
    const cassette = loadCassette(c!.cassette);
    expect(cassette).toMatchObject({ note: HAND_WRITTEN_NOTE, source: 'replies written in src/hello.yaml, run through the chain by a spec' });

    const compiled = await loadChain(c!.chain);
    const replayed = await createFlotilla({ client: new FixtureModelClient({ cassette: c!.cassette }) }).run(compiled.chain, { word: 'hello' }).result;
    expect(replayed).toMatchObject({ status: 'succeeded', output: 'hello' });
  });

  it('fails on a call nobody wrote a reply for, and on a reply never asked for', async () => {
    replies('input: { word: hello }\nreplies:\n  - { agent: echoer, match: goodbye, reply: hello }\n');
    const [c] = exampleCases(dir);
    await expect(authorCassette(c!.chain, c!.source, c!.cassette, { timeScale: 0 })).rejects.toThrow(/no reply written for agent "echoer"/);
    replies('input: { word: hello }\nreplies:\n  - { agent: echoer, reply: hello }\n  - { agent: echoer, reply: again }\n');
    await expect(authorCassette(c!.chain, c!.source, c!.cassette, { timeScale: 0 })).rejects.toThrow(/never asked for: #2 \(echoer\)/);
  });

  it('names the file and the problem when the replies are malformed', async () => {
    replies('input: x\nreplies: []\n');
    const [c] = exampleCases(dir);
    await expect(authorCassette(c!.chain, c!.source, c!.cassette, { timeScale: 0 })).rejects.toThrow(/hello\.yaml: .*replies/s);
  });
});
