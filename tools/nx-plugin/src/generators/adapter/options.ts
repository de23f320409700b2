/** The adapter generator's options as given (schema.json). */
export interface AdapterGeneratorSchema {
  name: string;
  directory?: string;
}
