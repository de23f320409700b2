/** What stands in for a secret in every sink's output. */
export const REDACTED = '[REDACTED]';

/**
 * Key names whose values are secrets, compared lower-cased with separators removed
 * (`OPENAI_API_KEY`, `x-api-key`, `apiKey` all end in `apikey`). `token` is singular on
 * purpose: `promptTokens`, `maxTokens` are counts, `accessToken` is a secret.
 */
const SECRET_KEY = /(apikey|secret|password|passwd|passphrase|authorization|auth|cookie|credential|credentials|privatekey|accesskey|token|sessionid|signature|bearer)$/;

/**
 * Secret-looking text wherever it appears: provider key formats, HTTP auth schemes,
 * `key=value` in URLs and env-style assignments. Prefixes that stay (`Bearer `, `?api_key=`,
 * `OPENAI_API_KEY=`) are captured groups rather than lookbehinds, and the pattern is case
 * sensitive: it runs on every log line and trace-file line, so it must scan in linear time.
 */
const SECRET_TEXT = new RegExp(
  [
    String.raw`(\b(?:Bearer|bearer|BEARER|Basic|basic|Token|token)\s+)[A-Za-z0-9._~+/=-]{8,}`,
    String.raw`([?&](?:api[_-]?key|apikey|key|token|access_token|secret|sig|signature|password)=)[^&\s"']+`,
    String.raw`((?:API_KEY|APIKEY|SECRET|TOKEN|PASSWORD)\s*[=:]\s*["']?)[^\s"',}]{6,}`, // OPENAI_API_KEY=..., the name's start stays
    String.raw`\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}`, // OpenAI / Anthropic / Stripe-style keys
    String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{20,}`,
    String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`,
    String.raw`\bAKIA[0-9A-Z]{16}\b`,
    String.raw`\bAIza[0-9A-Za-z_-]{35}`,
    String.raw`\bhf_[A-Za-z0-9]{20,}`,
    String.raw`\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}`, // JWT
  ].join('|'),
  'g',
);

const keepPrefix = (_match: string, bearer?: string, query?: string, env?: string): string => (bearer ?? query ?? env ?? '') + REDACTED;

const keyVerdicts = new Map<string, boolean>();

/** True for a key whose value must never be written out. Verdicts are cached: keys repeat. */
export function isSecretKey(key: string): boolean {
  let v = keyVerdicts.get(key);
  if (v === undefined) {
    v = SECRET_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
    if (keyVerdicts.size < 10_000) keyVerdicts.set(key, v);
  }
  return v;
}

/** The text with every secret-looking substring replaced by `[REDACTED]`. */
export function redactText(text: string): string {
  SECRET_TEXT.lastIndex = 0;
  if (!SECRET_TEXT.test(text)) return text;
  SECRET_TEXT.lastIndex = 0;
  return text.replace(SECRET_TEXT, keepPrefix);
}

/**
 * A copy of `value` with secret keys' values replaced and secret-looking strings masked,
 * at any depth (errors, headers, env-like maps). Returns the same object when nothing
 * needed changing, so the common case allocates nothing.
 */
export function redact<T>(value: T, depth = 8): T {
  return redactValue(value, depth) as T;
}

/** The depth bound also ends cycles, without a visited set to allocate on every call. */
function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth <= 0) return value;
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { name: value.name, message: redactText(value.message) };
    for (const [k, v] of Object.entries(value)) copy[k] = isSecretKey(k) ? REDACTED : redactValue(v, depth - 1);
    if (value.cause !== undefined) copy['cause'] = redactValue(value.cause, depth - 1);
    return copy;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = redactValue(value[i], depth - 1);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    return redactValue(Object.fromEntries(value), depth);
  }
  if (value instanceof Headers) {
    return redactValue(Object.fromEntries(value.entries()), depth);
  }
  let out: Record<string, unknown> | undefined;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const r = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactValue(v, depth - 1);
    if (r !== v) (out ??= { ...obj })[k] = r;
  }
  return out ?? value;
}
