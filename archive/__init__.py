"""The local log archive: the embedded broker's topics mirrored to Avro files on disk.

`log` appends and restores the records; `torn_tail` repairs a file a killed process left
with a partial last block. In local mode this is the durable copy of the log.
"""
