import { FlotillaError } from '@flotilla/core';
import { type ConfigProblem, validateRouterConfig } from '../config/load-router-config';
import type { EndpointConfig } from '../config/router-config.schema';
import type { CommandLineEndpoint, CommandLineInput, EndpointKind } from '../kinds/endpoint-kind';
import { optionKeys } from '../kinds/endpoint-kind-registry';
import { given } from '../kinds/command-line-values';
import type { BackendChoice, BackendSpec } from './choose-backend';

/** The endpoints of a chosen backend: the fleet file's, or the one its kind builds from the command line. */
export function backendEndpoints(spec: BackendSpec, choice: BackendChoice): readonly EndpointConfig[] {
  return choice.source === 'fleet' ? choice.fleet.endpoints : [singleEndpoint(spec, choice.kind)];
}

/**
 * A single backend's endpoint entry: the kind's fields from the flags, the environment and
 * the defaults, its options from the command line, validated like an entry of a fleet file.
 */
export function singleEndpoint(spec: BackendSpec, kind: EndpointKind): EndpointConfig {
  const flags = spec.record ? { ...spec.flags, cassettes: undefined } : (spec.flags ?? {});
  const input: CommandLineInput = { flags, env: spec.env ?? process.env, defaults: spec.defaults ?? {} };
  const fields = kind.fromCommandLine ? kind.fromCommandLine(input) : fromFlags(kind, input);
  const known = optionKeys(kind);
  const defaults = Object.entries(spec.defaultOptions ?? {}).filter(([key, value]) => known.includes(key) && value !== undefined);
  const explicit = Object.entries(spec.options ?? {}).filter(([, value]) => value !== undefined);
  const options = Object.fromEntries([...defaults, ...explicit]);
  const entry = { name: kind.name, kind: kind.name, ...fields, ...(Object.keys(options).length ? { options } : {}) };
  try {
    return validateRouterConfig({ endpoints: [entry] }).endpoints[0]!;
  } catch (e) {
    if (!FlotillaError.is(e, 'config')) throw e;
    // Said in the words of the command line: the option's flag, or the backend and the field.
    const lines = (e.details['problems'] as ConfigProblem[]).map((p) => {
      const option = /^endpoints\[0\]\.options\.(\w+)/.exec(p.path)?.[1];
      return option ? `--${option}: expected ${p.expected}` : `--backend ${kind.name}: ${p.path.replace(/^endpoints\[0\]\.?/, '') || 'endpoint'}: expected ${p.expected}`;
    });
    throw new FlotillaError('config', lines.join('\n'), { details: { kind: kind.name } });
  }
}

/** For a kind without `fromCommandLine`: the flags of the fields it reads, else the defaults. */
function fromFlags(kind: EndpointKind, { flags, defaults }: CommandLineInput): CommandLineEndpoint {
  const out: CommandLineEndpoint = {};
  if (kind.fields.url && (flags.host ?? defaults.host)) out.url = flags.host ?? defaults.host;
  const cassettes = given(flags.cassettes) ?? given(defaults.cassettes);
  if (kind.fields.cassettes && cassettes) out.cassettes = [...cassettes];
  const models = given(flags.models) ?? given(defaults.models);
  if (kind.fields.modelPaths && models) out.modelPaths = { ...models };
  return out;
}
