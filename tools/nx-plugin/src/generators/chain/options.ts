/** The chain generator's options as given (schema.json). */
export interface ChainGeneratorSchema {
  name: string;
  directory?: string;
  model?: string;
}
