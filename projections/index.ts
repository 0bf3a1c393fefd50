import { DocumentProjector } from './projector';
import { acknowledgements } from './acknowledgements/acknowledgements.projector';
import { correctionsAudit } from './corrections-audit/corrections-audit.projector';
import { diary } from './diary/diary.projector';
import { incidents } from './incidents/incidents.projector';
import { journalGrid } from './journal-grid/journal-grid.projector';
import { streamCatalog } from './stream-catalog/stream-catalog.projector';

/**
 * Every view the service keeps. The runner applies them all from one pass over the log, after
 * the voiding facts it adds itself (projections/voiding-facts), so each honours voiding.
 */
export const PROJECTORS: readonly DocumentProjector[] = [streamCatalog, journalGrid, diary, incidents, correctionsAudit, acknowledgements] as DocumentProjector[];
