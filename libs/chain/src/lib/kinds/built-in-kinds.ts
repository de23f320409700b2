import { BRANCH_KIND } from './branch.kind';
import { CALL_KIND } from './call.kind';
import { FAN_OUT_KIND } from './fan-out.kind';
import { FileStepKinds } from './file-step-kind';
import { HUMAN_KIND } from './human.kind';
import { REVIEW_LOOP_KIND } from './review-loop.kind';
import { SEQUENCE_KIND } from './sequence.kind';
import { TEMPLATE_KIND } from './template.kind';
import { VALUE_KIND } from './value.kind';

/** The step kinds every chain file may use. Add your own with `loadChain(file, { stepKinds })`. */
export const BUILT_IN_STEP_KINDS = new FileStepKinds([CALL_KIND, SEQUENCE_KIND, FAN_OUT_KIND, REVIEW_LOOP_KIND, BRANCH_KIND, TEMPLATE_KIND, VALUE_KIND, HUMAN_KIND]);
