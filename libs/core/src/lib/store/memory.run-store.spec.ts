import { describeRunStoreContract } from '../../testing/run-store-contract';
import { InMemoryRunStore } from './memory.run-store';

describeRunStoreContract('InMemoryRunStore', { open: () => new InMemoryRunStore() });
