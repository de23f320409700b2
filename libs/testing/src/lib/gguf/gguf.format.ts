/** GGUF metadata value types (gguf_type in ggml). */
export const GGUF_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
/** ggml tensor type of 32-bit floats. */
export const GGML_TYPE_F32 = 0;

export type GgufScalarType = Exclude<keyof typeof GGUF_TYPE, 'array'>;

/** A typed metadata value: GGUF needs the width of every number, JS numbers do not carry it. */
export type GgufValue =
  | { type: GgufScalarType; value: number | bigint | boolean | string }
  | { type: 'array'; itemType: GgufScalarType; items: readonly (number | bigint | boolean | string)[] };
