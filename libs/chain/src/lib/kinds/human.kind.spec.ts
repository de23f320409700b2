import { FlotillaError, InMemoryRunStore, createFlotilla } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { compileChainSource } from '../load-chain';

const CHAIN = `version: 2
name: draft-and-check
agents:
  writer: { model: m, prompt: "write about {{this}}" }
steps:
  - call: writer
    id: draft
  - human:
      question: "Publish {{draft}} ({{input}})?"
      schema: { type: string, minLength: 3 }
    id: check
  - value: "\${check.value}!"
`;

describe('chain files: human steps', () => {
  it('compile to core human steps: the run waits with the rendered question and an edit goes on', async () => {
    const compiled = await compileChainSource(CHAIN, 'chain.yaml');
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: new ScriptedModelClient(() => 'a draft'), store });
    const paused = await flotilla.run(compiled.chain, 'ships', { runId: 'c1' }).result;
    expect(paused.waiting).toMatchObject({ stepKey: 'check', question: 'Publish a draft (ships)?', value: 'a draft', schema: { type: 'string', minLength: 3 } });
    const bad = await flotilla.resume(compiled.chain, 'c1', { answer: { action: 'edit', value: 'x' } }).result;
    expect(bad.error).toMatchObject({ kind: 'config', details: { reason: 'badAnswer' } });
    await flotilla.resume(compiled.chain, 'c1').result;
    const done = await flotilla.resume(compiled.chain, 'c1', { answer: { action: 'edit', value: 'a better draft' } }).result;
    expect(done.output).toBe('a better draft!');
    await flotilla.close();
  });

  it('can be the reviewer of a review loop, after the reviewer model (the loop ends on verdict.approved)', async () => {
    const loop = `version: 2
name: reviewed
agents:
  writer: { model: m, prompt: "write {{this}}" }
  critic: { model: m, prompt: "critique {{artifact}}" }
  reviser: { model: m, prompt: "revise {{artifact}}" }
steps:
  - reviewLoop:
      work: { call: writer }
      review:
        - call: critic
        - human: { question: "Accept the draft? The critic says: {{value}}" }
      revise: { call: reviser }
      until: \${verdict.approved}
`;
    const compiled = await compileChainSource(loop, 'loop.yaml');
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: new ScriptedModelClient((r) => `[${String(r.messages[r.messages.length - 1]!.content)}]`), store });
    const first = await flotilla.run(compiled.chain, 'x', { runId: 'l1' }).result;
    expect(first.waiting?.question).toBe('Accept the draft? The critic says: [critique [write x]]');
    const second = await flotilla.resume(compiled.chain, 'l1', { answer: { action: 'reject' } }).result;
    expect(second.waiting?.question).toBe('Accept the draft? The critic says: [critique [revise [write x]]]');
    const done = await flotilla.resume(compiled.chain, 'l1', { answer: { action: 'approve' } }).result;
    expect(done.output).toMatchObject({ artifact: '[revise [write x]]', approved: true });
    await flotilla.close();
  });

  it('reports a wrong human step at its place in the file', async () => {
    const wrong = CHAIN.replace('schema: { type: string, minLength: 3 }', 'onExpiry: { default: { action: approve } }');
    const e = await compileChainSource(wrong, 'chain.yaml').catch((x: unknown) => x);
    expect(FlotillaError.is(e, 'config')).toBe(true);
    expect((e as Error).message).toMatch(/chain\.yaml:\d+:\d+.*expiresInMs/s);
    const typo = await compileChainSource(CHAIN.replace('question:', 'questoin:'), 'chain.yaml').catch((x: unknown) => x);
    expect((typo as Error).message).toContain('questoin');
  });
});
