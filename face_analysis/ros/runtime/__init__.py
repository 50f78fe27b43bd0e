"""What every node runs on: the lifecycle shell (base_node.py: start here, the path of one
frame; paired_node.py for the nodes that pair two inputs), the intake (camera_input,
camera_info_input, pairing), the newest-frame worker (latest_worker), parameters (node_params),
/diagnostics, and identity off the frame path (node_identity: the services; identity_worker;
embedding_process)."""
