import { branch } from './branch.step';
import { call } from './call.step';
import { fanOut } from './fan-out.step';
import { human } from './human.step';
import { map } from './map.step';
import { reviewLoop } from './review-loop.step';
import { sequence } from './sequence.step';

/** The step builders: typed constructors of the step tree. */
export const step = { call, sequence, map, fanOut, reviewLoop, branch, human } as const;
