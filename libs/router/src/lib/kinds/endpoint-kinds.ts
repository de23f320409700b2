import { EndpointKindRegistry } from './endpoint-kind-registry';
import { FIXTURE_KIND } from './built-in/fixture.endpoint-kind';
import { LLAMA_CPP_KIND } from './built-in/llama-cpp.endpoint-kind';
import { OLLAMA_KIND } from './built-in/ollama.endpoint-kind';
import { OPENAI_KIND } from './built-in/openai.endpoint-kind';

/**
 * The endpoint kinds fleet files, `--backend` and the demo accept: the four built-in ones,
 * and any a program registers (`endpointKinds.register(kind)`) before it loads a
 * configuration. Registering loads no adapter: each kind loads its own when it makes an endpoint.
 */
export const endpointKinds = new EndpointKindRegistry().register(OLLAMA_KIND).register(OPENAI_KIND).register(LLAMA_CPP_KIND).register(FIXTURE_KIND);
