import { FlotillaError } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import type { EndpointKind } from './endpoint-kind';
import { EndpointKindRegistry } from './endpoint-kind-registry';
import { endpointKinds } from './endpoint-kinds';

const toy = (name: string): EndpointKind => ({ name, description: 'a toy', fields: {}, create: () => ({ client: new ScriptedModelClient(() => 'hi') }) });

function configError(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('EndpointKindRegistry', () => {
  it('keeps kinds by name in registration order, and finds the closest name', () => {
    const kinds = new EndpointKindRegistry().register(toy('alpha')).register(toy('beta-2'));
    expect(kinds.keys()).toEqual(['alpha', 'beta-2']);
    expect(kinds.get('beta-2').name).toBe('beta-2');
    expect(kinds.find('gamma')).toBeUndefined();
    expect(kinds.closest('alpah')).toBe('alpha');
    expect(kinds.closest('zzzzzzzz')).toBeUndefined();
    expect(kinds.keys((k) => k.name.startsWith('b'))).toEqual(['beta-2']);
  });

  it('an unknown name says where it came from, which kinds exist (a given one first) and the closest', () => {
    const kinds = new EndpointKindRegistry().register(toy('alpha')).register(toy('beta'));
    expect(configError(() => kinds.get('alhpa', '--backend')).message).toBe('--backend: expected one of alpha, beta, got "alhpa"; did you mean alpha?');
    expect(configError(() => kinds.get('omega', 'FLOTILLA_BACKEND', 'beta')).message).toBe('FLOTILLA_BACKEND: expected one of beta, alpha, got "omega"');
  });

  it('refuses a taken name, a name that is not one, a kind without create', () => {
    const kinds = new EndpointKindRegistry().register(toy('alpha'));
    expect(configError(() => kinds.register(toy('alpha'))).message).toContain('"alpha" is already registered');
    expect(configError(() => kinds.register(toy('Not A Name'))).message).toContain('lowercase letters, digits and "-"');
    expect(configError(() => kinds.register({ ...toy('beta'), create: undefined } as unknown as EndpointKind)).message).toContain('expected a create(endpoint, context) function');
  });

  it('the default registry has the four built-in kinds, each with its fields and description', () => {
    expect(endpointKinds.keys()).toEqual(['ollama', 'openai', 'llama-cpp', 'fixture']);
    expect(endpointKinds.keys((k) => k.fields.url?.required === true)).toEqual(['ollama', 'openai']);
    expect(endpointKinds.keys((k) => k.replay !== undefined)).toEqual(['fixture']);
    for (const name of endpointKinds.keys()) expect(endpointKinds.get(name).description.length).toBeGreaterThan(10);
  });
});
