import Ajv, { type ValidateFunction } from 'ajv';
import { FlotillaError, type JsonSchema, formatAjvErrors } from '@flotilla/core';
import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { portableSchemaGbnf } from './json-schema.gbnf';

/**
 * Grammars compiled once per backend and text: a JSON Schema becomes our own GBNF when it
 * is inside the portable subset (bounds enforced), else node-llama-cpp's
 * `createGrammarForJsonSchema`. Failing to compile is the request's fault: badRequest.
 */
export class GrammarCache {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(private readonly llama: Llama) {}

  forSchema(schema: JsonSchema): Promise<LlamaGrammar> {
    const gbnf = portableSchemaGbnf(schema);
    if (gbnf !== undefined) return this.forGbnf(gbnf);
    const key = `schema:${JSON.stringify(schema)}`;
    return this.cached(key, () => this.llama.createGrammarForJsonSchema(schema as Parameters<Llama['createGrammarForJsonSchema']>[0]));
  }

  forGbnf(grammar: string): Promise<LlamaGrammar> {
    return this.cached(`gbnf:${grammar}`, () => this.llama.createGrammar({ grammar }));
  }

  private cached(key: string, make: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let g = this.grammars.get(key);
    if (!g) {
      g = (async () => {
        try {
          return await make();
        } catch (e) {
          throw new FlotillaError('badRequest', `cannot build a grammar for this request: ${(e as Error).message}`, { cause: e });
        }
      })();
      g.catch(() => this.grammars.delete(key));
      this.grammars.set(key, g);
    }
    return g;
  }
}

const ajv = new Ajv({ strict: false, allowUnionTypes: true });
const validators = new Map<string, ValidateFunction>();

/**
 * Checks grammar-constrained output against its schema. Grammars cannot enforce everything
 * (node-llama-cpp's integers accept exponents, neither enforces arbitrary numeric bounds),
 * so a complete reply that parses may still not conform: that is `badOutput`, retryable.
 */
export function checkStructuredOutput(schema: JsonSchema, text: string): FlotillaError | undefined {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (e) {
      return new FlotillaError('badRequest', `the requested format is not a valid JSON Schema: ${(e as Error).message}`, { cause: e });
    }
    validators.set(key, validate);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return new FlotillaError('badOutput', `grammar-constrained reply is not JSON: ${(e as Error).message}`, { cause: e, details: { raw: text } });
  }
  if (validate(value)) return undefined;
  return new FlotillaError('badOutput', `grammar-constrained reply does not match the schema: ${formatAjvErrors(validate.errors ?? [])}`, {
    details: { raw: text, errors: validate.errors ?? [] },
  });
}
