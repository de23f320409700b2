import { FlotillaError } from './flotilla-error';

/** An optional peer dependency: what needs it and the line that installs it. */
export interface OptionalPeer {
  /** The npm package, as `require` names it. */
  name: string;
  /** What needs it, for the message: "createOtlpTracerProvider (@flotilla/observability)". */
  neededBy: string;
  /** The install line. @default `npm install <name>` */
  install?: string;
}

/**
 * Where an optional peer dependency resolves from the caller's `require` (pass your module's
 * own `require`, so that it resolves beside your package). When it is not installed: a `config`
 * FlotillaError that names the package, what needs it and the line that installs it.
 */
export function resolveOptionalPeer(req: NodeJS.Require, peer: OptionalPeer): string {
  try {
    return req.resolve(peer.name);
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw cause;
    throw missingPeer(peer, cause);
  }
}

/** `require` of an optional peer dependency, with the same error as `resolveOptionalPeer` when it is missing. */
export function requireOptionalPeer<T>(req: NodeJS.Require, peer: OptionalPeer): T {
  return req(resolveOptionalPeer(req, peer)) as T;
}

function missingPeer(peer: OptionalPeer, cause: unknown): FlotillaError {
  const install = peer.install ?? `npm install ${peer.name}`;
  return new FlotillaError('config', `${peer.neededBy} needs ${peer.name}, an optional peer dependency that is not installed; install it with: ${install}`, {
    cause,
    details: { package: peer.name, install },
  });
}
