/** The agent generator's options as given (schema.json). */
export interface AgentGeneratorSchema {
  name: string;
  project?: string;
  role?: string;
  model?: string;
  structured?: boolean;
  directory?: string;
}
