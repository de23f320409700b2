import * as path from 'node:path';
import type { BackendSpec } from '@flotilla/router';
import { DEFAULT_KIND, DEFAULT_SPEED, type DemoOptions } from './cli-options';

/** The cassettes shipped with the demo, one per objective. */
export const SHIPPED_CASSETTES_DIR = path.resolve(__dirname, '../../cassettes');
export const SHIPPED_CASSETTES = ['reverse-string.json', 'fizzbuzz.json', 'lru-cache.json'].map((f) => path.join(SHIPPED_CASSETTES_DIR, f));

/**
 * The demo's command line as the router's backend factory takes it (`openBackend`): the
 * demo replays its shipped cassettes unless told otherwise, at recorded pace on a terminal.
 */
export function demoBackendSpec(options: DemoOptions, env: NodeJS.ProcessEnv): BackendSpec {
  return {
    config: options.config,
    kind: options.backend,
    defaultKind: DEFAULT_KIND,
    flags: options.flags,
    defaults: { cassettes: SHIPPED_CASSETTES },
    options: { pace: options.pace, speed: options.speed },
    defaultOptions: { pace: options.defaultPace, speed: DEFAULT_SPEED },
    record: options.record,
    env,
  };
}
