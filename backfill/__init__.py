"""The backfill pipeline (`crm backfill`): history generated in-process, published,
projected, archived; every phase resumable after a crash at any point.

`generate` (the plan; simulate + fold, writing the run's log file, `runlog`), `publish` and
`publisher_process` (records to Kafka, exactly once in effect, in a process of its own),
`followers` (the projector and the archiver following the topics meanwhile) and
`helper_process` (what those child processes share), `run` (the driver).
"""
