import type { ModelClient } from '@flotilla/core';
import type { z } from 'zod';
import type { EndpointConfig, EndpointInput } from '../config/router-config.schema';
import type { EndpointProbe } from '../endpoints/endpoint-probe';

/** Fields of an endpoint entry that belong to some kinds only (every kind has name, slots, labels, models, onDemand). */
export type EndpointField = 'url' | 'cassettes' | 'modelPaths' | 'apiKeyEnv';

/** How a kind uses one endpoint field. */
export interface EndpointFieldUse {
  /** What a value is, as messages say it: `endpoints[0].url: expected a server URL (required for kind ollama)`. */
  readonly expected: string;
  /** @default false */
  readonly required?: boolean;
}

/**
 * A single backend's command line, by the conventions every Flotilla command shares:
 * `--host` gives `url`, `--cassette` gives `cassettes`, `--gguf` gives `modelPaths`.
 */
export interface BackendFlags {
  /** `--host <url>`. */
  readonly host?: string;
  /** `--cassette <file>` (repeatable). */
  readonly cassettes?: readonly string[];
  /** `--gguf name=path` (repeatable): a model file per model name. */
  readonly models?: Readonly<Record<string, string>>;
}

/** What `fromCommandLine` reads. */
export interface CommandLineInput {
  readonly flags: BackendFlags;
  readonly env: NodeJS.ProcessEnv;
  /** Values to fall back to after the flags and the environment (the demo's shipped cassettes, cassettes next to a chain file). */
  readonly defaults: BackendFlags;
}

/** The kind-specific fields of a single backend's endpoint entry. */
export type CommandLineEndpoint = Partial<Pick<EndpointInput, EndpointField>>;

/** What an endpoint of a kind gives the router. */
export interface EndpointClient {
  /**
   * Its model client. When it holds anything (connections, processes, in-process models),
   * its own `close()` lets go of it: the router calls it when the fleet closes, and
   * `createFlotilla` when it is the only backend.
   */
  readonly client: ModelClient;
  /** What the router may ask the server besides chat (models, loaded models, warm-up). @default nothing */
  readonly probe?: EndpointProbe;
  /** One line for users when it is the only backend ("ollama at 127.0.0.1:11434"). @default "<kind> <url or name>" */
  describe?(): string;
}

export interface EndpointContext<O> {
  /** Where API keys are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** The entry's `options`, parsed by the kind's `options` schema (`{}` for a kind without one). */
  readonly options: O;
}

export interface ListModelsContext<O> extends EndpointContext<O> {
  /** Aborted when the listing's time is up (`flotilla models --timeout-ms`) or the user cancels. */
  readonly signal: AbortSignal;
  /** The deadline of each metadata call. */
  readonly timeoutMs: number;
}

/** One model of an endpoint, as `flotilla models` lists it. */
export interface ListedModel {
  name: string;
  loaded: boolean;
  sizeBytes?: number;
  details?: string;
}

/** How a kind that answers from recordings replays them: at once, or at the recorded timings. */
export type ReplayPace = 'instant' | 'recorded';

/**
 * One kind of endpoint (`kind:` in a fleet file, `--backend <kind>` on a command line):
 * everything the router, the CLI and the demo need to know about it. Register one with
 * `endpointKinds.register(kind)`; see docs/deployment.md ("Adding an endpoint kind").
 *
 * Keep the adapter out of the module that defines the kind (load it inside `create`), so
 * that registering the kind, or loading the router, does not load it.
 */
export interface EndpointKind<O = Record<string, unknown>> {
  /** As written after `kind:` and `--backend`: lowercase letters, digits and "-". */
  readonly name: string;
  /** One line for users (`flotilla models --help`). */
  readonly description: string;
  /**
   * The kind-specific endpoint fields it reads. A required one missing from an entry is a
   * configuration error; `--host`, `--cassette` and `--gguf` are accepted for a single
   * backend of this kind only when it reads `url`, `cassettes` and `modelPaths`.
   */
  readonly fields: Readonly<Partial<Record<EndpointField, EndpointFieldUse>>>;
  /**
   * A zod object schema of the entry's `options` mapping (settings of this kind only, such
   * as the fixture kind's replay `pace`). On a command line each option is the flag of its
   * name (`--pace`). @default none: the kind takes no options
   */
  readonly options?: z.ZodType<O>;
  /** Defined for kinds that answer from recordings instead of a model: at which pace, under these options. */
  replay?(options: O): ReplayPace;
  /**
   * The entry of a single backend of this kind (`--backend <kind>`, `FLOTILLA_BACKEND`): from
   * the flags, then the environment, then `defaults`. Throws a `config` FlotillaError
   * that says what to pass when something required is nowhere.
   * @default the flags of the fields it reads, then `defaults`
   */
  fromCommandLine?(input: CommandLineInput): CommandLineEndpoint;
  /** Its client for an endpoint entry (already validated), and what the router may ask it. */
  create(endpoint: EndpointConfig, context: EndpointContext<O>): EndpointClient;
  /** The endpoint's models, for `flotilla models`. @default from the probe of `create` (listModels, loadedModels) */
  listModels?(endpoint: EndpointConfig, context: ListModelsContext<O>): Promise<ListedModel[]>;
  /** How listings name the endpoint. @default "<kind> <url or name>" */
  label?(endpoint: EndpointConfig): string;
  /**
   * The one name of a model on this kind's servers, so that a model asked for and a model
   * listed compare equal (Ollama: `llama3.2` is `llama3.2:latest`). @default the name as given
   */
  modelName?(name: string): string;
}
