// @flotilla/authoring: cassettes authored from hand-written replies run through the real
// chain; shared by the CLI's example tooling and the nx-plugin's chain generator.
export { authorCassette, DEFAULT_AUTHORED_BY } from './lib/author-cassette';
export type { AuthorCassetteOptions } from './lib/author-cassette';
export { loadReplySource, ReplySourceSchema, HAND_WRITTEN_NOTE } from './lib/reply-source';
export type { ReplySource } from './lib/reply-source';
export { chainCases, exampleCases } from './lib/chain-cases';
export type { ChainCase } from './lib/chain-cases';
export { pacedReply, SMALL_MODEL_PACE } from './lib/paced-reply';
export type { ModelPace } from './lib/paced-reply';
