"""The local infrastructure: the embedded PostgreSQL and Kafka broker, their log's archive,
the live workers as subprocesses, and a real Apache Kafka cluster on demand (`kafka/`).

`import localstack` gives the stack's lifecycle (`up`, `down`, `status`, `StackInfo`);
the parts: `stack` (stack.json, what runs where), `postgres`, `tansu` (the two embedded
servers), `children` (liveness and stopping of the processes it starts), `loopback` (ports),
`durability` (the log archived under CRM_HOME/archive), `worker_processes` (`crm run`
subprocesses), `kafka` (Apache Kafka on demand).
"""

from localstack.children import StackError
from localstack.postgres import pg_url
from localstack.stack import StackInfo, down, is_running, status, up

__all__ = ["StackError", "StackInfo", "down", "is_running", "pg_url", "status", "up"]
