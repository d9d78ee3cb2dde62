/** The NodeAgent service and its methods' paths, as call proofs and the health service name them. */
export const NODE_AGENT_SERVICE_NAME = 'quantgrid.v1.NodeAgent';
export const RUN_PARTITION_METHOD = `/${NODE_AGENT_SERVICE_NAME}/RunPartition`;
export const GET_STATUS_METHOD = `/${NODE_AGENT_SERVICE_NAME}/GetStatus`;
