import type { Observable } from 'rxjs';
import type { ModelClient } from '../model/model-client.interface';
import type { StepNode } from '../steps/step';
import type { AgentRegistry } from './agent-registry';
import type { ContextGuard } from './context-guard';
import type { RunContext } from './run-context';
import type { ScopeRecord } from './step-span';
import type { ToolExecutor } from '../tools/execute-tool';

/** What the engine lends its steps while they run (internal to core). */
export interface EngineCore {
  readonly agents: AgentRegistry;
  readonly client: ModelClient;
  readonly guard: ContextGuard | undefined;
  /** Runs every tool call (a run journal wraps it). */
  readonly toolExecutor: ToolExecutor;
  /** Runs a step as an Observable of its output (see `StepExecution.run`). */
  exec(node: StepNode, value: unknown, ctx: RunContext, parentKey: string | undefined, segment: string, suffix: string, index: number | undefined, scope: ScopeRecord): Observable<unknown>;
}
