/**
 * One stop request often arrives twice at once: a signal to the process group and one to the process
 * (Ctrl-C under some tools, ManagedProcess.kill). A signal this soon after the first is that same
 * request again; only a later one means "stop now".
 */
export const DUPLICATE_SIGNAL_MS = 300;
