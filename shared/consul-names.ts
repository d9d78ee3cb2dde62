/** The Consul service every node agent registers as, and the coordinator watches. */
export const AGENT_SERVICE_NAME = 'quantgrid-agent';
