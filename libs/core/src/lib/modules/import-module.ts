import * as vm from 'node:vm';

/**
 * A real `import()` that survives compilation to CommonJS (swc and tsc rewrite a literal
 * `import()` into `require()`, which cannot load an ES module with top-level await, nor a
 * user's `.mjs` file on Node 20).
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * The same import through Node's own loader in the main context. Needed where code runs
 * inside a `vm` context that has no dynamic-import callback (jest without
 * --experimental-vm-modules): there `nativeImport` rejects with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING*.
 */
function mainContextImport(specifier: string): Promise<unknown> {
  const loader = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol }).USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (loader === undefined) return Promise.reject(new Error('this Node version cannot import ESM from a vm context (needs Node >= 20.12)'));
  const load = vm.runInThisContext('(specifier) => import(specifier)', { importModuleDynamically: loader } as vm.RunningScriptOptions) as (specifier: string) => Promise<unknown>;
  return load(specifier);
}

/**
 * Imports a module (a `file:` URL or a package name) with Node's own ESM loader, from code
 * compiled to CommonJS: an ES module, a CommonJS module, a `.mjs` file. The one way Flotilla
 * loads a module it does not bundle: node-llama-cpp, a user's tool module.
 */
export async function importModule(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await nativeImport(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')) return (await mainContextImport(specifier)) as Record<string, unknown>;
    throw e;
  }
}
