import { DocumentProjector } from './projector';
import { streamCatalog } from './stream-catalog/stream-catalog.projector';

/** Every view the service keeps. The runner applies them all from one pass over the log. */
export const PROJECTORS: readonly DocumentProjector[] = [streamCatalog as DocumentProjector];
