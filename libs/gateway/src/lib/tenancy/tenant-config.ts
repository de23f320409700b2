import { z } from 'zod';

/** One tenant: who holds a key, what it may use, and how it is scheduled. */
export const TenantSchema = z
  .object({
    name: z.string().min(1),
    /** The environment variable that holds the key (the key itself is never in a file); kept as its SHA-256. */
    keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
    /** Models it may call (as clients name them). @default every model */
    models: z.array(z.string().min(1)).optional(),
    /** Dispatch priority of its calls in the router's queue; higher first. @default 0 */
    priority: z.number().int().default(0),
    /** Requests it may have in flight at once; more get 429. @default unlimited */
    maxConcurrent: z.number().int().positive().optional(),
    /** Requests it may start per minute; more get 429. @default unlimited */
    requestsPerMinute: z.number().int().positive().optional(),
    /** Its share of the fleet under saturation, relative to other tenants. @default 1 */
    weight: z.number().positive().default(1),
    /** May read `/queue` and `/metrics`. @default false */
    admin: z.boolean().default(false),
  })
  .strict();

export const TenancySchema = z
  .object({
    tenants: z.array(TenantSchema).default([]),
    /** An environment variable holding a key with the admin role only. */
    adminKeyEnv: z.string().optional(),
  })
  .strict();

export type TenantConfig = z.infer<typeof TenantSchema>;
export type TenantInput = z.input<typeof TenantSchema>;
export type TenancyConfig = z.infer<typeof TenancySchema>;
export type TenancyInput = z.input<typeof TenancySchema>;
