"""Parse: skill_output -> ParsedError (parsing, forms), fingerprints, endpoints, the message-pattern miner, what an error means."""
