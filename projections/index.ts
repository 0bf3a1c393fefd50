import { DocumentProjector } from './projector';
import { acknowledgements } from './acknowledgements/acknowledgements.projector';
import { diary } from './diary/diary.projector';
import { journalGrid } from './journal-grid/journal-grid.projector';
import { streamCatalog } from './stream-catalog/stream-catalog.projector';

/** Every view the service keeps. The runner applies them all from one pass over the log. */
export const PROJECTORS: readonly DocumentProjector[] = [streamCatalog, journalGrid, diary, acknowledgements] as DocumentProjector[];
