/** How the user called us, for usage lines and messages: `kubectl trace-exec` or `oc trace-exec`. */
import { invokedAs } from './completion.js';

export const INVOKED_AS = invokedAs(process.argv[1], process.env.TRACE_EXEC_INVOKED_AS);
export const NAME = INVOKED_AS === 'oc' ? 'oc trace-exec' : 'kubectl trace-exec';
